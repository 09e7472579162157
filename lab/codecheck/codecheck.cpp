#include "lab/codecheck/codecheck.h"

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <set>
#include <system_error>

#include <fmt/format.h>

#include "lab/codecheck/check.h"
#include "lab/codecheck/disassembler.h"
#include "lab/codecheck/elf_object.h"
#include "lab/codecheck/flags.h"
#include "lab/util/demangle.h"

namespace rfl::codecheck {
namespace fs = std::filesystem;
namespace {

// How much of a function a check that only looks at the entry needs decoded.
constexpr size_t kEntryBytes = 64;

// Sections whose references to a function are not an indirect-call target:
// unwind tables and the tables the compiler, objtool and ftrace make.
bool IgnoredReferrer(const std::string& name) {
  static constexpr std::array<std::string_view, 10> kNames = {
      ".eh_frame",      "__patchable_function_entries", ".ibt_endbr_seal", ".return_sites",       ".call_sites",
      ".retpoline_sites", "__mcount_loc",               ".kcfi_traps",     ".static_call_sites", ".orc_unwind_ip"};
  return std::find(kNames.begin(), kNames.end(), name) != kNames.end();
}

// A direct call or jump: R_X86_64_PLT32, R_AARCH64_JUMP26, R_AARCH64_CALL26.
bool IsCallRelocation(Arch arch, uint32_t type) {
  if (arch == Arch::kX86_64) return type == 4;
  if (arch == Arch::kArm64) return type == 282 || type == 283;
  return false;
}

// x86 PC-relative relocations against a section symbol carry the target
// minus 4 (the field is the instruction's last four bytes): PC32, PLT32,
// GOTPCREL, GOTPCRELX, REX_GOTPCRELX.
int64_t PcBias(Arch arch, uint32_t type) {
  if (arch != Arch::kX86_64) return 0;
  return (type == 2 || type == 4 || type == 9 || type == 41 || type == 42) ? 4 : 0;
}

// (section, offset) of every place a pointer to code is taken.
std::set<std::pair<size_t, uint64_t>> AddressTaken(const ElfObject& obj) {
  std::set<std::pair<size_t, uint64_t>> out;
  if (!obj.relocatable) return out;
  for (size_t i = 1; i < obj.sections.size(); ++i) {
    const ElfSection& s = obj.sections[i];
    if (!s.allocated || IgnoredReferrer(s.name)) continue;
    for (const ElfRelocation& r : obj.relocations[i]) {
      if (r.symbol_section == 0 || IsCallRelocation(obj.arch, r.type)) continue;
      uint64_t at = r.symbol_value;
      if (r.symbol_is_section) at += static_cast<uint64_t>(r.addend + PcBias(obj.arch, r.type));
      out.insert({r.symbol_section, at});
    }
  }
  return out;
}

struct Tally {
  std::unique_ptr<FlagCheck> check;
  FlagResult result;
  size_t missing = 0;
};

Verdict Decide(const Tally& t) {
  if (t.result.checked == 0) return Verdict::kNotApplicable;
  if (t.missing == 0) return Verdict::kEffective;
  if (t.check->evidence() == Evidence::kViolationsOnly || t.result.with_signature == 0) return Verdict::kAbsent;
  return Verdict::kPartial;
}

struct Input {
  fs::path path;
  bool from_directory = false;
};

Result<std::vector<Input>> Expand(const std::vector<fs::path>& inputs) {
  std::vector<Input> out;
  for (const fs::path& in : inputs) {
    std::error_code ec;
    auto st = fs::status(in, ec);
    if (ec || !fs::exists(st)) return FailAs(Error::Kind::kInput, "{}: no such file or directory", in.string());
    if (!fs::is_directory(st)) {
      out.push_back({in, false});
      continue;
    }
    std::vector<fs::path> found;
    for (auto it = fs::recursive_directory_iterator(in, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_regular_file(ec) && it->path().extension() == ".o") found.push_back(it->path());
    }
    if (ec) return FailAs(Error::Kind::kInput, "{}: {}", in.string(), ec.message());
    std::sort(found.begin(), found.end());
    for (auto& p : found) out.push_back({std::move(p), true});
  }
  return out;
}

}  // namespace

std::string_view VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kEffective: return "effective";
    case Verdict::kPartial: return "partial";
    case Verdict::kAbsent: return "absent";
    case Verdict::kNotApplicable: return "not-applicable";
  }
  return "not-applicable";
}

Result<CodeCheckReport> CheckCode(const CodeCheckRequest& request) {
  if (request.flags.empty()) return FailAs(Error::Kind::kInput, "no flag to check");
  if (request.inputs.empty()) return FailAs(Error::Kind::kInput, "no object or directory to check");
  std::vector<Tally> tallies;
  for (const std::string& flag : request.flags) {
    auto check = MakeFlagCheck(flag);
    if (!check) return std::unexpected(check.error());
    Tally t;
    t.check = std::move(*check);
    t.result.flag = std::string(t.check->flag());
    tallies.push_back(std::move(t));
  }
  auto inputs = Expand(request.inputs);
  if (!inputs) return std::unexpected(inputs.error());

  CodeCheckReport report;
  std::map<Arch, Disassembler> disassemblers;
  std::set<fs::path> directories_with_rust;
  for (const Input& in : *inputs) {
    auto obj = ReadElfObject(in.path);
    if (!obj) return std::unexpected(obj.error());
    if (in.from_directory && !obj->from_rustc()) {
      ++report.skipped_objects;
      continue;
    }
    if (request.arch && obj->arch != *request.arch) {
      return FailAs(Error::Kind::kInput, "{}: an {} object, but --arch is {}", in.path.string(), ArchName(obj->arch),
                    ArchName(*request.arch));
    }
    report.objects.push_back(in.path.string());
    report.functions += obj->functions.size();
    std::vector<Tally*> applicable;
    for (Tally& t : tallies) {
      if (!t.check->AppliesTo(obj->arch)) continue;
      applicable.push_back(&t);
      if (t.result.arch.empty()) t.result.arch = ArchName(obj->arch);
      ++t.result.objects;
      t.result.functions += obj->functions.size();
      for (auto& note : t.check->BeginObject(*obj)) t.result.notes.push_back(std::move(note));
    }
    if (applicable.empty()) continue;
    auto dis = disassemblers.find(obj->arch);
    if (dis == disassemblers.end()) {
      auto created = Disassembler::Create(obj->arch);
      if (!created) return std::unexpected(created.error());
      dis = disassemblers.emplace(obj->arch, std::move(*created)).first;
    }
    bool whole = std::any_of(applicable.begin(), applicable.end(), [](Tally* t) { return t->check->needs_body(); });
    auto taken = AddressTaken(*obj);
    for (const ElfFunction& f : obj->functions) {
      const ElfSection& sec = obj->sections[f.section];
      std::span<const uint8_t> body(sec.bytes.data() + f.offset, f.size);
      std::span<const uint8_t> before(sec.bytes.data(), f.offset);
      uint64_t address = sec.address + f.offset;
      auto insns = dis->second.Decode(whole ? body : body.first(std::min(body.size(), kEntryBytes)), address);
      report.instructions += insns.size();
      const auto& relocs = obj->relocations[f.section];
      auto lo = std::lower_bound(relocs.begin(), relocs.end(), f.offset,
                                 [](const ElfRelocation& r, uint64_t o) { return r.offset < o; });
      auto hi = std::lower_bound(lo, relocs.end(), f.offset + f.size,
                                 [](const ElfRelocation& r, uint64_t o) { return r.offset < o; });
      FunctionCode code{*obj,   f,       dis->second, insns, body, before, std::span<const ElfRelocation>(lo, hi),
                        address, taken.contains({f.section, f.offset})};
      for (Tally* t : applicable) {
        Judgement j = t->check->Judge(code);
        switch (j.signature) {
          case Signature::kPresent:
            ++t->result.checked;
            ++t->result.with_signature;
            break;
          case Signature::kMissing:
            ++t->result.checked;
            ++t->missing;
            ++t->result.offenders_total;
            if (t->result.offenders.size() < kMaxOffenders) {
              t->result.offenders.push_back({Demangle(f.name), in.path.string(), std::move(j.reason), f.name});
            }
            break;
          case Signature::kNotApplicable: ++t->result.exempt; break;
        }
      }
    }
  }
  if (report.objects.empty()) {
    return FailAs(Error::Kind::kInput, "no object to check: {} *.o file(s) found, none produced by rustc",
                  report.skipped_objects);
  }
  for (Tally& t : tallies) {
    if (t.result.objects == 0) {
      t.result.notes.push_back(fmt::format("none of the {} object(s) is of an arch this flag applies to",
                                           report.objects.size()));
    }
    t.result.verdict = Decide(t);
    report.results.push_back(std::move(t.result));
  }
  return report;
}

nlohmann::json ToJson(const CodeCheckReport& report) {
  nlohmann::json flags = nlohmann::json::array();
  for (const FlagResult& r : report.results) {
    nlohmann::json offenders = nlohmann::json::array();
    for (const Offender& o : r.offenders) {
      offenders.push_back({{"function", o.function}, {"symbol", o.symbol}, {"object", o.object}, {"reason", o.reason}});
    }
    flags.push_back({{"flag", r.flag},
                     {"verdict", VerdictName(r.verdict)},
                     {"arch", r.arch},
                     {"objects", r.objects},
                     {"functions", r.functions},
                     {"functions_checked", r.checked},
                     {"functions_with_signature", r.with_signature},
                     {"functions_exempt", r.exempt},
                     {"offenders_total", r.offenders_total},
                     {"offenders", std::move(offenders)},
                     {"notes", r.notes}});
  }
  return {{"flags", std::move(flags)},
          {"objects", report.objects.size()},
          {"skipped_objects", report.skipped_objects},
          {"functions", report.functions},
          {"instructions", report.instructions}};
}

}  // namespace rfl::codecheck

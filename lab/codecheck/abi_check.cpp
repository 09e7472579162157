#include "lab/codecheck/abi_check.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <future>
#include <system_error>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "lab/util/file_lock.h"
#include "lab/util/hash.h"
#include "lab/util/paths.h"
#include "lab/util/temp_dir.h"

namespace rfl::codecheck {
namespace fs = std::filesystem;
using std::chrono::milliseconds;

namespace {

// Where the sandbox sees the cores of one (toolchain, arch) and the scratch
// directory of one check. /tmp is a tmpfs inside, so mount points can be made.
const fs::path kCoresInside = "/tmp/abicheck/cores";
const fs::path kWorkInside = "/tmp/abicheck/work";

// Arguments every compile of one check shares, as the kernel passes them to
// its crates: no sysroot (core comes from -L), panic=abort, the kernel's
// opt-level, and the flag's companions (AbiCompanionFlags).
std::vector<std::string> AbiCommonArgs(std::string_view target, const std::vector<std::string>& companions = {}) {
  std::vector<std::string> args = {"-Cpanic=abort", "-Copt-level=s", "--sysroot=/dev/null", "-Zunstable-options",
                                   fmt::format("--target={}", target)};
  args.insert(args.end(), companions.begin(), companions.end());
  return args;
}

std::vector<std::string_view> AbiLines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    lines.push_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return lines;
}

std::string_view AbiTrimLeft(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '|')) s.remove_prefix(1);
  return s;
}

// "1.96.0" → 196; 0 when unparsable.
int RustcMinorVersion(std::string_view release) {
  int major = 0, minor = 0;
  auto r = std::from_chars(release.data(), release.data() + release.size(), major);
  if (r.ec != std::errc() || r.ptr == release.data() + release.size() || *r.ptr != '.') return 0;
  std::from_chars(r.ptr + 1, release.data() + release.size(), minor);
  return major * 100 + minor;
}

// Runs the collaborator processes of one check inside the toolchain.
class AbiRunner {
 public:
  AbiRunner(const toolchain::Toolchain& tc, const AbiCheckOptions& options, std::vector<toolchain::Mount> mounts)
      : tc_(tc), options_(options), mounts_(std::move(mounts)) {}

  fs::path Inside(size_t mount) const { return toolchain::InsidePath(tc_, mounts_.at(mount)); }

  [[nodiscard]] Result<ProcessResult> Run(std::vector<std::string> argv, milliseconds timeout,
                                          std::optional<std::string> stdin_data = std::nullopt) const {
    Command cmd;
    cmd.argv = std::move(argv);
    // The kernel builds with RUSTC_BOOTSTRAP=1 too: -Z flags on a stable rustc.
    cmd.env["RUSTC_BOOTSTRAP"] = "1";
    cmd.cwd = Inside(1);
    cmd.timeout = timeout;
    cmd.stop = options_.stop;
    cmd.capture_limit = 256 * 1024;
    cmd.stdin_data = std::move(stdin_data);
    ProcessRunner& runner = options_.runner ? *options_.runner : DefaultRunner();
    auto r = runner.Run(toolchain::InToolchain(tc_, cmd, mounts_));
    if (!r) return Fail(r.error().Wrap(fmt::format("running {}", cmd.argv.front())));
    if (r->timed_out) {
      return FailAs(Error::Kind::kTimeout, "`{}` in toolchain {}: {}", fmt::join(cmd.argv, " "), tc_.name,
                    r->Describe());
    }
    return r;
  }

  // A judged case: the verdict, the excerpt, the time.
  [[nodiscard]] Result<AbiCase> Judge(std::vector<std::string> argv) const {
    auto r = Run(std::move(argv), options_.crate_timeout);
    if (!r) return Fail(r.error());
    AbiCase c;
    c.verdict = ClassifyCompile(r->ok(), r->output);
    c.elapsed = r->elapsed;
    if (c.verdict != AbiVerdict::kAccepted) c.excerpt = ErrorExcerpt(r->output);
    if (c.verdict == AbiVerdict::kError && c.excerpt.empty()) c.excerpt = r->Describe();
    return c;
  }

 private:
  const toolchain::Toolchain& tc_;
  const AbiCheckOptions& options_;
  std::vector<toolchain::Mount> mounts_;
};

// A `core` (and compiler_builtins) build, cached in `<cores>/<name>/`: made
// in a temporary directory beside it and renamed into place when complete.
struct CoreBuild {
  fs::path dir;        // host path of the finished directory
  bool cached = false;
  std::string failure; // rustc's excerpt when the build failed (not cached)
};

Result<CoreBuild> EnsureCore(const AbiRunner& run, const fs::path& cores_host, const std::string& name,
                             std::string_view target, const std::vector<std::string>& companions,
                             const std::string& core_src, int rustc_version, const std::optional<std::string>& flag,
                             const AbiCheckOptions& options) {
  CoreBuild out;
  out.dir = cores_host / name;
  auto lock = FileLock::Acquire(cores_host / (name + ".lock"), options.core_timeout);
  if (!lock) return Fail(lock.error().Wrap("locking the abicheck core cache"));
  if (fs::exists(out.dir / "libcore.rmeta") && fs::exists(out.dir / "libcompiler_builtins.rmeta")) {
    out.cached = true;
    return out;
  }
  auto tmp = TempDir::Create(cores_host, ".building-");
  if (!tmp) return Fail(tmp.error());
  const fs::path inside = kCoresInside / tmp->path().filename();
  if (options.on_progress) {
    options.on_progress(fmt::format("building core for {}{} (metadata only, about a minute)", target,
                                    flag ? " with " + *flag : std::string(" without the flag")));
  }
  // As rust/Makefile builds core.o: edition 2024 from rustc 1.87, no_fp_fmt_parse.
  std::vector<std::string> core = {"rustc", "--crate-name", "core", "--crate-type", "rlib",
                                   rustc_version >= 187 ? "--edition=2024" : "--edition=2021",
                                   "--cfg", "no_fp_fmt_parse", "-Ccodegen-units=1", "-Crelocation-model=static"};
  for (auto& a : AbiCommonArgs(target, companions)) core.push_back(std::move(a));
  if (flag) core.push_back(*flag);
  core.push_back(fmt::format("--emit=metadata={}", (inside / "libcore.rmeta").string()));
  core.push_back(core_src);
  std::vector<std::string> builtins = {"rustc", "--crate-name", "compiler_builtins", "--crate-type", "rlib",
                                       "--edition=2021"};
  for (auto& a : AbiCommonArgs(target, companions)) builtins.push_back(std::move(a));
  if (flag) builtins.push_back(*flag);
  builtins.push_back("-L" + inside.string());
  builtins.push_back(fmt::format("--emit=metadata={}", (inside / "libcompiler_builtins.rmeta").string()));
  builtins.push_back((run.Inside(1) / "compiler_builtins.rs").string());
  for (auto* argv : {&core, &builtins}) {
    auto r = run.Run(*argv, options.core_timeout);
    if (!r) return Fail(r.error());
    if (!r->ok()) {
      out.failure = ErrorExcerpt(r->output);
      if (out.failure.empty()) out.failure = r->Describe();
      return out;
    }
  }
  std::error_code ec;
  fs::remove_all(out.dir, ec);
  fs::rename(tmp->path(), out.dir, ec);
  if (ec) return Fail("moving the built core to {}: {}", out.dir.string(), ec.message());
  return out;
}

// A file name for the flag's core: readable, and unique through the hash.
std::string CoreDirName(std::string_view flag) {
  std::string readable;
  for (char c : flag) readable += (std::isalnum(static_cast<unsigned char>(c)) || c == '-') ? c : '_';
  if (readable.size() > 48) readable.resize(48);
  return fmt::format("flag{}-{}", readable, KeyHasher().Add(flag).Short().substr(0, 8));
}

Status WriteAbiSources(const fs::path& data_dir, const fs::path& work) {
  for (const char* name : {"abicheck.rs", "compiler_builtins.rs", "kcfi_types.c", "kcfi_types.rs"}) {
    auto text = ReadFile(data_dir / "images" / "abicheck" / name);
    if (!text) return Fail(text.error());
    if (auto st = WriteFileAtomic(work / name, *text); !st) return st;
  }
  return {};
}

// clang's target triple for the kernel's C code of `arch`.
std::string_view KernelClangTarget(Arch arch) {
  return arch == Arch::kArm64 ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
}

// The kCFI type-id probe (kcfi_type_ids.h): kcfi_types.c by clang and
// kcfi_types.rs by rustc (against the plain core: `hatch` names the target
// modifiers to allow when this rustc enforces them) with the kernel's flags,
// without normalization, and rustc merging functions; then the ids compared. A compile that fails is the
// result's `error`; the lab's own failures are errors.
Result<KcfiTypeIdResult> ProbeKcfiTypeIds(const AbiRunner& run, const fs::path& work_host, Arch arch,
                                          std::string_view target, const std::string& plain_core,
                                          const std::optional<std::string>& hatch, const AbiCheckOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  KcfiTypeIdResult out;
  const fs::path work_in = run.Inside(1);
  if (options.on_progress) options.on_progress("comparing kCFI type ids of C (clang) and Rust (rustc)");
  auto version = run.Run({"clang", "--version"}, options.crate_timeout);
  if (!version) return Fail(version.error());
  out.clang = version->output.substr(0, version->output.find('\n'));
  // c, rust (the kernel's flags), c-plain, rust-plain (no normalization),
  // rust-mergeable (the kernel's flags, functions merged).
  struct Build {
    std::string object;
    bool clang = false, normalize = true, merge = false;
  };
  const std::vector<Build> builds = {{"kcfi-c.o", true, true, false},
                                     {"kcfi-rust.o", false, true, false},
                                     {"kcfi-c-plain.o", true, false, false},
                                     {"kcfi-rust-plain.o", false, false, false},
                                     {"kcfi-rust-mergeable.o", false, true, true}};
  for (const Build& b : builds) {
    std::vector<std::string> argv;
    if (b.clang) {
      argv = {"clang"};
      for (auto& a : KcfiProbeClangArgs(KernelClangTarget(arch), b.normalize)) argv.push_back(std::move(a));
      argv.insert(argv.end(), {"-c", (work_in / "kcfi_types.c").string(), "-o", (work_in / b.object).string()});
    } else {
      argv = {"rustc", "--crate-name", "kcfi_types", "--crate-type", "rlib", "--edition=2021"};
      for (auto& a : AbiCommonArgs(target)) argv.push_back(std::move(a));
      argv.push_back("-L" + plain_core);
      for (auto& a : KcfiProbeRustcFlags(b.normalize, b.merge)) argv.push_back(std::move(a));
      if (hatch) argv.push_back("-Cunsafe-allow-abi-mismatch=" + *hatch);
      argv.push_back(fmt::format("--emit=obj={}", (work_in / b.object).string()));
      argv.push_back((work_in / "kcfi_types.rs").string());
    }
    auto r = run.Run(argv, options.crate_timeout);
    if (!r) return Fail(r.error());
    if (!r->ok()) {
      std::string excerpt = ErrorExcerpt(r->output);
      out.error = fmt::format("`{}` failed: {}", argv.front(), excerpt.empty() ? r->Describe() : excerpt);
      out.elapsed = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
      return out;
    }
  }
  std::vector<ElfObject> objs;
  for (const Build& b : builds) {
    auto obj = ReadElfObject(work_host / b.object);
    if (!obj) return Fail(obj.error().Wrap("reading the kCFI probe's " + b.object));
    objs.push_back(std::move(*obj));
  }
  out.pairs = PairKcfiTypeIds({objs[0], objs[1], objs[2], objs[3], objs[4]});
  out.elapsed = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
  return out;
}

}  // namespace

std::string_view AbiVerdictName(AbiVerdict v) {
  switch (v) {
    case AbiVerdict::kRejected: return "rejected";
    case AbiVerdict::kAccepted: return "accepted";
    case AbiVerdict::kUnknownFlag: return "unknown-flag";
    case AbiVerdict::kError: return "error";
    case AbiVerdict::kNotRun: return "not-run";
  }
  return "?";
}

std::string_view EscapeHatchName(EscapeHatch e) {
  switch (e) {
    case EscapeHatch::kWorks: return "works";
    case EscapeHatch::kFails: return "fails";
    case EscapeHatch::kNotApplicable: return "n/a";
  }
  return "?";
}

bool AbiCheckResult::Finding() const {
  if (kcfi_types && kcfi_types->Finding()) return true;
  if (!known_target_modifier) return false;
  return crate_with_flag.verdict == AbiVerdict::kAccepted || core_with_flag.verdict == AbiVerdict::kAccepted ||
         rustdoc_mismatch.verdict == AbiVerdict::kAccepted || escape_hatch == EscapeHatch::kFails ||
         rustdoc_matched.verdict == AbiVerdict::kRejected;
}

bool AbiCheckResult::Inconclusive() const {
  for (const auto* c : {&crate_with_flag, &core_with_flag, &escape_hatch_case, &rustdoc_mismatch, &rustdoc_matched}) {
    if (c->verdict == AbiVerdict::kError) return true;
  }
  return kcfi_types && kcfi_types->Inconclusive();
}

nlohmann::json ToJson(const AbiCheckResult& r) {
  auto one = [](const AbiCase& c) {
    nlohmann::json j = {{"verdict", AbiVerdictName(c.verdict)}, {"seconds", c.elapsed.count() / 1000.0}};
    if (!c.excerpt.empty()) j["excerpt"] = c.excerpt;
    return j;
  };
  nlohmann::json j = {{"flag", r.flag},
          {"arch", ArchName(r.arch)},
          {"target", r.target},
          {"toolchain", r.toolchain},
          {"rustc", r.rustc},
          {"modifier", r.modifier},
          {"known_target_modifier", r.known_target_modifier},
          {"companions", r.companions},
          {"crate_with_flag", one(r.crate_with_flag)},
          {"core_with_flag", one(r.core_with_flag)},
          {"escape_hatch", EscapeHatchName(r.escape_hatch)},
          {"escape_hatch_case", one(r.escape_hatch_case)},
          {"rustdoc_mismatch", one(r.rustdoc_mismatch)},
          {"rustdoc_matched", one(r.rustdoc_matched)},
          {"cores_cached", r.cores_cached},
          {"finding", r.Finding()},
          {"inconclusive", r.Inconclusive()},
          {"seconds", r.elapsed.count() / 1000.0}};
  if (r.kcfi_types) j["kcfi_type_ids"] = ToJson(*r.kcfi_types);
  return j;
}

Result<std::string> ModifierName(std::string_view flag) {
  if (flag.size() < 3 || flag[0] != '-' || (flag[1] != 'Z' && flag[1] != 'C')) {
    return FailAs(Error::Kind::kInput, "'{}' is not a rustc -Z or -C flag (write it as one word: -Zfixed-x18)", flag);
  }
  for (char c : flag) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || std::string_view("_=,.:+-").find(c) != std::string_view::npos)) {
      return FailAs(Error::Kind::kInput, "'{}' is not a single rustc flag: '{}' is not allowed (letters, digits and _ = , . : + - only)",
                    flag, c);
    }
  }
  std::string_view name = flag.substr(2);
  name = name.substr(0, name.find('='));
  if (name.empty() || name.front() == '-') {
    return FailAs(Error::Kind::kInput, "'{}' is not a rustc flag: no option name after '{}'", flag, flag.substr(0, 2));
  }
  std::string out(name);
  std::replace(out.begin(), out.end(), '_', '-');
  return out;
}

std::vector<std::string> AbiCompanionFlags(std::string_view flag, Arch arch) {
  // rustc supports the shadow call stack on aarch64-unknown-none* only with
  // x18 reserved ("shadow-call-stack sanitizer is not supported for this
  // target" without it); arch/arm64/Makefile passes -Zfixed-x18 with
  // SHADOW_CALL_STACK to every crate, core included.
  if (arch == Arch::kArm64 && flag == "-Zsanitizer=shadow-call-stack") return {"-Zfixed-x18"};
  return {};
}

const std::vector<std::string>& KnownTargetModifiers() {
  // rustc's `[TRACKED] { TARGET_MODIFIER }` options (compiler/rustc_session/src/options.rs) as of 1.96.
  static const std::vector<std::string> kNames = {
      "fixed-x18",  "branch-protection",        "indirect-branch-cs-prefix", "reg-struct-return", "regparm",
      "retpoline",  "retpoline-external-thunk", "sanitizer",                 "sanitizer-cfi-normalize-integers"};
  return kNames;
}

std::string_view KernelRustTarget(Arch arch) {
  switch (arch) {
    case Arch::kX86_64: return "x86_64-unknown-none";  // the kernel: scripts/target.json
    case Arch::kArm64: return "aarch64-unknown-none-softfloat";  // arch/arm64/Makefile, rustc >= 1.85
    case Arch::kRiscv64: return "riscv64imac-unknown-none-elf";  // arch/riscv/Makefile
  }
  return "";
}

AbiVerdict ClassifyCompile(bool succeeded, std::string_view output) {
  if (output.contains("will cause an ABI mismatch")) return AbiVerdict::kRejected;
  if (succeeded) return AbiVerdict::kAccepted;
  if (output.contains("error: unknown unstable option") || output.contains("error: unknown codegen option")) {
    return AbiVerdict::kUnknownFlag;
  }
  return AbiVerdict::kError;
}

bool RefusedValue(std::string_view output) {
  return output.contains("error: incorrect value") || output.contains("requires an argument") ||
         (output.contains("error: unstable option") && output.contains("does not take a value"));
}

std::optional<std::string> SuggestedEscapeHatch(std::string_view output) {
  // One suggestion per mismatched option: a flag that implies another
  // (-Zretpoline-external-thunk sets -Zretpoline too) mismatches both, and
  // the hatch must name both.
  constexpr std::string_view kKey = "-Cunsafe-allow-abi-mismatch=";
  std::vector<std::string> names;
  for (size_t p = output.find(kKey); p != std::string_view::npos; p = output.find(kKey, p)) {
    p += kKey.size();
    size_t end = output.find_first_of("` \n", p);
    std::string name(output.substr(p, end == std::string_view::npos ? std::string_view::npos : end - p));
    if (!name.empty() && std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  if (names.empty()) return std::nullopt;
  return fmt::format("{}", fmt::join(names, ","));
}

std::string ErrorExcerpt(std::string_view output, size_t max_lines) {
  std::string out;
  size_t n = 0;
  bool in_error = false;
  for (std::string_view line : AbiLines(output)) {
    std::string_view t = AbiTrimLeft(line);
    if (line.starts_with("error")) {
      in_error = !line.starts_with("error: aborting due to");
      if (!in_error) continue;
    } else if (!(in_error && (t.starts_with("= note") || t.starts_with("= help")))) {
      if (!line.starts_with(" ") && !line.empty()) in_error = false;
      continue;
    }
    if (n++ == max_lines) break;
    out += std::string(line) + "\n";
  }
  return out;
}

Result<AbiCheckResult> CheckAbiEnforcement(const toolchain::Toolchain& tc, Arch arch, std::string_view flag,
                                           const AbiCheckOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  auto name = ModifierName(flag);
  if (!name) return Fail(name.error());
  AbiCheckResult res;
  res.flag = std::string(flag);
  res.arch = arch;
  res.target = std::string(KernelRustTarget(arch));
  res.toolchain = tc.name;
  res.rustc = tc.versions.rustc;
  res.modifier = *name;
  const auto& known = KnownTargetModifiers();
  res.known_target_modifier = std::find(known.begin(), known.end(), *name) != known.end();
  res.companions = AbiCompanionFlags(flag, arch);
  const auto common = AbiCommonArgs(res.target, res.companions);

  // <cache>/abicheck/<toolchain id>/<arch>/ holds the cores; a scratch
  // directory beside them holds this check's sources and outputs.
  const fs::path cores_host = options.cache_dir / "abicheck" / (tc.id.empty() ? tc.name : tc.id) / std::string(ArchName(arch));
  if (auto st = EnsureDir(cores_host); !st) return Fail(st.error());
  auto work = TempDir::Create(options.cache_dir / "abicheck" / "tmp", "check-");
  if (!work) return Fail(work.error());
  if (auto st = WriteAbiSources(DataDir(), work->path()); !st) return Fail(st.error());
  AbiRunner run(tc, options,
                {{cores_host, kCoresInside, true}, {work->path(), kWorkInside, true}});
  const fs::path work_in = run.Inside(1);
  const fs::path cores_in = run.Inside(0);

  // The probe: parses the flag for the target, builds nothing.
  std::vector<std::string> probe = {"rustc"};
  probe.insert(probe.end(), common.begin(), common.end());
  probe.insert(probe.end(), {std::string(flag), "--print=crate-name", "-"});
  auto p = run.Run(probe, options.crate_timeout, std::string());
  if (!p) return Fail(p.error());
  if (!p->ok()) {
    if (RefusedValue(p->output)) {
      std::string first = ErrorExcerpt(p->output, 1);
      while (!first.empty() && first.back() == '\n') first.pop_back();
      return FailAs(Error::Kind::kInput, "rustc {} refuses '{}': {}", tc.versions.rustc, flag, first);
    }
    res.crate_with_flag = {ClassifyCompile(false, p->output), ErrorExcerpt(p->output), p->elapsed};
    if (res.crate_with_flag.excerpt.empty()) res.crate_with_flag.excerpt = p->Describe();
    res.elapsed = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
    return res;
  }

  auto sysroot = run.Run({"rustc", "--print", "sysroot"}, options.crate_timeout);
  if (!sysroot) return Fail(sysroot.error());
  if (!sysroot->ok()) return Fail("`rustc --print sysroot` in toolchain {}: {}", tc.name, sysroot->Describe());
  std::string root = sysroot->output.substr(0, sysroot->output.find('\n'));
  const std::string core_src = root + "/lib/rustlib/src/rust/library/core/src/lib.rs";
  const int version = RustcMinorVersion(tc.versions.rustc);

  // The two cores at once: each is one single-threaded rustc (about a
  // minute on arm64), so on two cores the pair takes the time of one.
  // With companions, both cores carry them: a core of their own, not "plain".
  const std::string companions = fmt::format("{}", fmt::join(res.companions, " "));
  const std::string plain_name = companions.empty() ? "plain" : CoreDirName(companions);
  const std::string flagged_name = CoreDirName(companions.empty() ? std::string(flag) : companions + " " + std::string(flag));
  auto flagged_future = std::async(std::launch::async, [&] {
    return EnsureCore(run, cores_host, flagged_name, res.target, res.companions, core_src, version, std::string(flag),
                      options);
  });
  auto plain = EnsureCore(run, cores_host, plain_name, res.target, res.companions, core_src, version, std::nullopt,
                          options);
  auto flagged = flagged_future.get();
  if (!plain) return Fail(plain.error());
  if (!plain->failure.empty()) {
    return Fail("building core for {} without any flag failed (is rust-src at {}?): {}", res.target, core_src,
                plain->failure);
  }
  if (!flagged) return Fail(flagged.error());
  res.cores_cached = plain->cached && flagged->cached;
  const std::string plain_in = (cores_in / plain_name).string();
  const std::string flagged_in = (cores_in / flagged_name).string();

  int n = 0;
  auto crate = [&](const std::string& core_dir, std::vector<std::string> extra) {
    std::vector<std::string> argv = {"rustc", "--crate-name", "abicheck", "--crate-type", "rlib", "--edition=2021"};
    argv.insert(argv.end(), common.begin(), common.end());
    argv.push_back("-L" + core_dir);
    for (auto& a : extra) argv.push_back(std::move(a));
    argv.push_back(fmt::format("--emit=obj={}", (work_in / fmt::format("abicheck-{}.o", n++)).string()));
    argv.push_back((work_in / "abicheck.rs").string());
    return run.Judge(std::move(argv));
  };
  auto doctest = [&](const std::string& core_dir) {
    std::vector<std::string> argv = {"rustdoc", "--test", "--crate-name", "abicheck", "--edition=2021"};
    argv.insert(argv.end(), common.begin(), common.end());
    argv.insert(argv.end(), {"-L" + core_dir, "--no-run", "-Zno-codegen", std::string(flag),
                             (work_in / "abicheck.rs").string()});
    return run.Judge(std::move(argv));
  };

  auto with_flag = crate(plain_in, {std::string(flag)});
  if (!with_flag) return Fail(with_flag.error());
  res.crate_with_flag = *with_flag;
  if (res.crate_with_flag.verdict == AbiVerdict::kRejected) {
    std::string hatch = SuggestedEscapeHatch(res.crate_with_flag.excerpt).value_or(res.modifier);
    auto h = crate(plain_in, {std::string(flag), "-Cunsafe-allow-abi-mismatch=" + hatch});
    if (!h) return Fail(h.error());
    res.escape_hatch_case = *h;
    res.escape_hatch = h->verdict == AbiVerdict::kAccepted ? EscapeHatch::kWorks : EscapeHatch::kFails;
  }
  auto dm = doctest(plain_in);
  if (!dm) return Fail(dm.error());
  res.rustdoc_mismatch = *dm;

  if (!flagged->failure.empty()) {
    res.core_with_flag = {AbiVerdict::kError, "building core with the flag: " + flagged->failure, {}};
  } else {
    auto rev = crate(flagged_in, {});
    if (!rev) return Fail(rev.error());
    res.core_with_flag = *rev;
    auto matched = doctest(flagged_in);
    if (!matched) return Fail(matched.error());
    res.rustdoc_matched = *matched;
  }
  if (FlagWantsKcfiTypeIds(flag) && arch != Arch::kRiscv64) {
    // Against the plain core, both sanitizer options allowed where this
    // rustc enforces target modifiers (it rejected the mix above).
    std::optional<std::string> hatch;
    if (res.crate_with_flag.verdict == AbiVerdict::kRejected) hatch = "sanitizer,sanitizer-cfi-normalize-integers";
    auto k = ProbeKcfiTypeIds(run, work->path(), arch, res.target, plain_in, hatch, options);
    if (!k) return Fail(k.error());
    res.kcfi_types = std::move(*k);
  }
  res.elapsed = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
  return res;
}

}  // namespace rfl::codecheck

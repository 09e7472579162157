#include "lab/kernel/build.h"

#include <algorithm>
#include <fstream>
#include <future>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "lab/kernel/kbuild.h"
#include "lab/kernel/kconfig.h"
#include "lab/kernel/progress.h"
#include "lab/kernel/thin_archive.h"
#include "lab/scenario/kconfig_value.h"
#include "lab/kernel/source.h"
#include "lab/kernel/tree.h"
#include "lab/util/file_lock.h"
#include "lab/toolchain/toolchain.h"
#include "lab/util/cancel.h"
#include "lab/util/hash.h"
#include "lab/util/paths.h"
#include "lab/util/temp_dir.h"

namespace rfl::kernel {
namespace fs = std::filesystem;
using nlohmann::json;
using scenario::BuildSpec;

namespace {

// How long a new tree waits for its seed when another build holds it.
constexpr std::chrono::minutes kSeedWait{20};

std::string FirstLineOf(const fs::path& p) {
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);
  return line;
}

// kbuild's .cmd file of an object: dir/.name.o.cmd
fs::path CmdFileOf(const fs::path& object) {
  return object.parent_path() / ("." + object.filename().string() + ".cmd");
}

bool IsRustObject(const fs::path& object) {
  std::string first = FirstLineOf(CmdFileOf(object));
  return first.find("rustc ") != std::string::npos || first.find("/rustc ") != std::string::npos;
}

using Mtimes = std::map<std::string, fs::file_time_type>;

Mtimes ObjectMtimes(const fs::path& tree) {
  Mtimes m;
  std::error_code ec;
  fs::recursive_directory_iterator it(tree, fs::directory_options::skip_permission_denied, ec), end;
  for (; it != end; it.increment(ec)) {
    if (ec) break;
    if (it->is_directory()) {
      if (it->path().filename() == "tools" || it->path().filename() == "scripts") it.disable_recursion_pending();
      continue;
    }
    if (it->path().extension() != ".o") continue;
    m[it->path().lexically_relative(tree).string()] = it->last_write_time(ec);
  }
  return m;
}

BuildOutcome Failed(const BuildSpec& spec, FailureClass cls, std::vector<std::string> excerpt, const fs::path& log,
                    std::string_view first) {
  BuildOutcome o;
  o.status = BuildOutcome::Status::kFailed;
  o.build_key = spec.key;
  BuildFailure f;
  f.cls = cls;
  f.excerpt = std::move(excerpt);
  f.log = log;
  f.message = fmt::format("{}: {}", FailureClassName(cls),
                          !first.empty() ? std::string(first) : (f.excerpt.empty() ? "" : f.excerpt.front()));
  o.failure = std::move(f);
  return o;
}

const fs::path kCcacheMountPoint = "/ccache";

// Same inputs, same failure: worth remembering. `other` may be the machine's
// fault (OOM kill, full disk, a timeout), so it is always retried.
bool DeterministicFailure(FailureClass c) {
  switch (c) {
    case FailureClass::kKconfigUnmet:
    case FailureClass::kRustUnavailable:
    case FailureClass::kRustcError:
    case FailureClass::kBindgenError:
    case FailureClass::kLinkError: return true;
    default: return false;
  }
}

// Whether kbuild compiled anything in `tree` (an object file anywhere).
bool HasObjects(const fs::path& tree) {
  std::error_code ec;
  for (fs::recursive_directory_iterator it(tree, fs::directory_options::skip_permission_denied, ec), end;
       it != end && !ec; it.increment(ec)) {
    if (it->path().extension() == ".o") return true;
  }
  return false;
}

fs::path FailureDir(const fs::path& art_dir) { return art_dir.string() + ".failed"; }

// `recipe` fingerprints how the lab runs make (argv and environment): a
// failure recorded under another recipe (an older lab) is not replayed.
std::optional<BuildOutcome> LoadCachedFailure(const fs::path& art_dir, const std::string& recipe) {
  auto text = ReadFile(FailureDir(art_dir) / "failure.json");
  if (!text) return std::nullopt;
  auto j = json::parse(*text, nullptr, false);
  if (j.is_discarded() || j.value("recipe", "") != recipe) return std::nullopt;
  auto o = BuildOutcomeFromJson(j);
  if (!o || o->status != BuildOutcome::Status::kFailed || !o->failure) return std::nullopt;
  o->failure->log = FailureDir(art_dir) / "build.log";
  o->failure_from_cache = true;
  return *o;
}

Status CopyInto(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
  if (ec) return Fail("cannot copy {} to {}: {}", from.string(), to.string(), ec.message());
  return {};
}

// Written to a temporary dir and renamed, like an artifact.
void SaveCachedFailure(const fs::path& art_dir, const BuildOutcome& o, const std::string& recipe) {
  fs::path dir = FailureDir(art_dir);
  auto work = TempDir::Create(dir.parent_path(), dir.filename().string() + ".tmp-");
  if (!work) return;
  const fs::path tmp = work->path();
  std::error_code ec;
  BuildOutcome stored = o;
  stored.failure->log = dir / "build.log";
  bool ok = (!fs::exists(o.failure->log) || CopyInto(o.failure->log, tmp / "build.log").has_value()) &&
            WriteFileAtomic(tmp / "failure.json", [&] {
              auto j = ToJson(stored);
              j["recipe"] = recipe;
              return j.dump(2) + "\n";
            }()).has_value();
  if (ok) {
    fs::remove_all(dir, ec);
    fs::rename(tmp, dir, ec);
  }
  if (!ok || ec) spdlog::warn("cannot cache the build failure in {}", dir.string());
}

}  // namespace

std::string_view BuildStatusName(BuildOutcome::Status s) {
  switch (s) {
    case BuildOutcome::Status::kBuilt: return "built";
    case BuildOutcome::Status::kCacheHit: return "cache-hit";
    case BuildOutcome::Status::kFailed: return "failed";
  }
  return "failed";
}

json ToJson(const BuildOutcome& o) {
  json j{{"status", BuildStatusName(o.status)},
         {"build_key", o.build_key},
         {"artifact_key", o.artifact_key},
         {"seconds", o.seconds}};
  if (o.artifact) {
    j["artifact_dir"] = o.artifact->dir.string();
    j["artifact"] = ToJson(*o.artifact);
  }
  if (o.failure) {
    j["failure"] = {{"class", FailureClassName(o.failure->cls)},
                    {"message", o.failure->message},
                    {"excerpt", o.failure->excerpt},
                    {"log", o.failure->log.string()}};
  }
  return j;
}

Result<BuildOutcome> BuildOutcomeFromJson(const json& j) {
  try {
    BuildOutcome o;
    std::string status = j.at("status").get<std::string>();
    if (status == "built") o.status = BuildOutcome::Status::kBuilt;
    else if (status == "cache-hit") o.status = BuildOutcome::Status::kCacheHit;
    else if (status == "failed") o.status = BuildOutcome::Status::kFailed;
    else return Fail("unknown build status '{}'", status);
    o.build_key = j.value("build_key", "");
    o.artifact_key = j.value("artifact_key", "");
    o.seconds = j.value("seconds", 0.0);
    if (j.contains("artifact")) {
      auto a = ArtifactFromJson(j.at("artifact"), j.value("artifact_dir", ""));
      if (!a) return Fail(a.error());
      o.artifact = *a;
    }
    if (j.contains("failure")) {
      const auto& f = j.at("failure");
      BuildFailure bf;
      auto cls = ParseFailureClass(f.value("class", "other"));
      bf.cls = cls.value_or(FailureClass::kOther);
      bf.message = f.value("message", "");
      bf.excerpt = f.value("excerpt", std::vector<std::string>{});
      bf.log = f.value("log", "");
      o.failure = bf;
    }
    return o;
  } catch (const json::exception& e) {
    return Fail("build outcome: {}", e.what());
  }
}

namespace {

// The validator refuses these already; the build checks again, before it
// touches anything, because make would run what a Kconfig string holds
// (scenario/kconfig_value.h): fragments, a base .config file, the variant's
// symbols.
Status CheckKconfigInputsSafe(const BuildSpec& spec) {
  std::string unsafe;
  auto check_file = [&](const fs::path& f) -> Status {
    auto text = ReadFile(f);
    if (!text) return Fail(text.error());
    unsafe += scenario::DescribeUnsafeConfigLines(scenario::UnsafeConfigLines(*text), f.string());
    return {};
  };
  for (const auto& f : spec.fragments) {
    if (auto st = check_file(f); !st) return st;
  }
  if (spec.config != "tinyconfig" && spec.config != "defconfig" && spec.config != "allnoconfig") {
    if (auto st = check_file(spec.config); !st) return st;
  }
  unsafe += scenario::DescribeUnsafeConfigLines(scenario::UnsafeConfigLines(RenderRequests(MergeRequests({}, spec.kconfig))),
                                                "the variant's kconfig");
  if (unsafe.empty()) return {};
  return FailAs(Error::Kind::kInput, "refusing to build {}: Kconfig values kbuild would run or interpret:\n{}",
                fmt::join(spec.variants, ", "), unsafe);
}

}  // namespace

fs::path TreeDir(const fs::path& cache_dir, const BuildSpec& spec) { return cache_dir / "trees" / spec.tree_key; }
fs::path BaseConfigDir(const fs::path& cache_dir) { return cache_dir / "kconfig-base"; }

namespace {
std::string BaseConfigKey(const BuildSpec& spec, const BaseConfigSteps& base, std::string_view source_id,
                          std::string_view toolchain_id, std::string_view make_recipe) {
  KeyHasher h;
  h.Add("kconfig-base-v1").Add(ArchName(spec.arch)).Add(source_id).Add(toolchain_id).Add(make_recipe);
  for (const auto& a : base.first) h.Add(a);
  return h.Short();
}
fs::path BaseConfigPath(const fs::path& cache_dir, const std::string& key) {
  return BaseConfigDir(cache_dir) / (key + ".config");
}
}  // namespace

Result<BuildOutcome> BuildKernel(const BuildSpec& spec, const BuildContext& ctx) {
  auto t0 = std::chrono::steady_clock::now();
  auto seconds_since = [](auto start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  ProcessRunner& runner = ctx.runner ? *ctx.runner : DefaultRunner();
  std::ostream& out = ctx.progress ? *ctx.progress : std::cerr;
  bool tty = ctx.progress_tty.value_or(ctx.progress == nullptr && ::isatty(STDERR_FILENO));
  std::string arch_name(ArchName(spec.arch));
  std::string label = !ctx.label.empty()
                          ? ctx.label
                          : fmt::format("{} {} {}", fmt::join(spec.variants, ","), arch_name, spec.toolchain);
  int jobs = ctx.jobs > 0 ? ctx.jobs : std::max(1u, std::thread::hardware_concurrency());

  if (auto st = CheckKconfigInputsSafe(spec); !st) return Fail(st.error());

  // Inputs: toolchain and source (both cached once made). On a cold cache
  // both download: the source on a second thread while the toolchain is made.
  auto src_ready = std::async(std::launch::async, [&] { return PrepareSource(spec.source, ctx.cache_dir, runner); });
  auto tc = toolchain::Provision(ctx.cache_dir, ctx.data_dir, spec.toolchain, runner);
  auto src = src_ready.get();
  if (!tc) return Fail(tc.error());
  if (!src) return Fail(src.error());

  BuildOutcome outcome;
  outcome.build_key = spec.key;
  outcome.artifact_key = ArtifactKey(spec, src->id, tc->id);
  fs::path art_dir = ArtifactsDir(ctx.cache_dir) / outcome.artifact_key;
  auto cache_hit = [&](Artifact a) {
    outcome.status = BuildOutcome::Status::kCacheHit;
    outcome.artifact = std::move(a);
    outcome.seconds = seconds_since(t0);
    return outcome;
  };
  auto cached_failure = [&](BuildOutcome o) {
    o.artifact_key = outcome.artifact_key;
    o.seconds = seconds_since(t0);
    out << fmt::format("[{}] FAILED before, same inputs: {} (cached; --force rebuilds)\n", label,
                       o.failure->message)
        << std::flush;
    return o;
  };
  if (!ctx.force) {
    if (auto a = LoadArtifact(art_dir)) return cache_hit(*a);
  }

  // One tree per tree_key; its lock serializes builds across processes.
  fs::path tree_root = TreeDir(ctx.cache_dir, spec);
  fs::path tree = tree_root / "o";
  for (const auto& d : {tree, tree_root / "logs"}) {
    if (auto st = EnsureDir(d); !st) return Fail(st.error());
  }
  auto lock = FileLock::Acquire(tree_root.string() + ".lock", ctx.timeout, [&] {
    out << fmt::format("[{}] waiting for another rfl-lab building in the same tree\n", label) << std::flush;
  });
  if (!lock) return Fail(lock.error());
  if (!ctx.force) {
    if (auto a = LoadArtifact(art_dir)) return cache_hit(*a);
  }

  fs::path log = tree_root / "logs" / (spec.key + ".log");
  std::error_code ec;
  fs::remove(log, ec);
  fs::path state_file = tree_root / "state.json";
  TreeState state = LoadTreeState(state_file);
  state.family = TreeFamily(src->id, toolchain::UntrackedToolsId(*tc), arch_name);
  state.arch = arch_name;
  bool fresh_tree = !fs::exists(tree / "vmlinux");
  // A new tree starts as a copy of a built sibling (another Kconfig variant,
  // another rustc with the same clang and bindgen) — also a tree in which
  // nothing was compiled yet (a build that stopped at its config), which is
  // emptied first: it has nothing to lose.
  std::string seeded_from;
  if (fresh_tree && ctx.seed && !fs::is_empty(tree, ec) && !HasObjects(tree)) {
    fs::remove_all(tree, ec);
    fs::create_directories(tree, ec);
  }
  if (fresh_tree && ctx.seed && fs::is_empty(tree, ec)) {
    if (auto seed = FindSeedTree(tree_root.parent_path(), state.family, tree_root.filename().string())) {
      out << fmt::format("[{}] new tree: starting from the built tree {} (same source, arch, clang, bindgen)\n", label,
                         seed->filename().string())
          << std::flush;
      // A seed that another build holds (a variant rebuilding its Rust
      // objects, a minute or two) is worth waiting for: a seeded tree
      // rebuilds what its config changes, a fresh one the whole kernel.
      auto waiting = [&] {
        out << fmt::format("[{}] waiting for {}: another build is using it\n", label, seed->filename().string())
            << std::flush;
      };
      if (auto st = SeedTree(*seed, tree_root, runner, ctx.stop, kSeedWait, waiting); st) {
        seeded_from = seed->filename().string();
        state.config_inputs.clear();
      } else if (ctx.stop.stop_requested()) {
        return FailAs(Error::Kind::kCancelled, "build cancelled");
      } else {
        out << fmt::format("[{}] not seeded ({}); building from scratch\n", label, st.error().message) << std::flush;
      }
    }
  }
  if (ctx.on_tree_ready) ctx.on_tree_ready();
  std::optional<double> estimate;
  if (auto it = state.durations.find(spec.key); it != state.durations.end()) estimate = it->second;
  else if (auto f = state.durations.find(!seeded_from.empty() ? "seeded" : fresh_tree ? "full" : "incremental");
           f != state.durations.end())
    estimate = f->second;
  BuildProgress progress(out, tty, label, estimate);

  std::vector<toolchain::Mount> mounts{{src->dir, toolchain::kSourceMountPoint, false},
                                       {tree, toolchain::kBuildMountPoint, true}};
  fs::path src_in = toolchain::InsidePath(*tc, mounts[0]);
  fs::path tree_in = toolchain::InsidePath(*tc, mounts[1]);
  fs::path ccache_in;
  if (ctx.ccache && !tc->is_host() && fs::exists(tc->rootfs / "usr/bin/ccache")) {
    fs::path host_dir = (ctx.ccache_root.empty() ? ctx.cache_dir / "ccache" : ctx.ccache_root) / tc->name;
    if (auto st = EnsureDir(host_dir); !st) return Fail(st.error());
    mounts.push_back({host_dir, kCcacheMountPoint, true});
    ccache_in = toolchain::InsidePath(*tc, mounts.back());
  }
  // The make command line and environment with these rustflags, as a key.
  auto make_key = [&](std::string_view version, std::vector<std::string> rustflags) {
    Command c = MakeCommand({src_in, tree_in, spec.arch, 1, std::move(rustflags), {}, ccache_in});
    KeyHasher h;
    if (!version.empty()) h.Add(version);
    for (const auto& a : c.argv) h.Add(a);
    for (const auto& [k, v] : c.env) h.Add(k).Add(v);
    return h.Short();
  };
  // v2: a fragment symbol the kernel lacks is left out, no longer a
  // kconfig-unmet failure; failures recorded by v1 are not replayed.
  const std::string recipe = make_key("make-recipe-v2", spec.rustflags);
  // The same make without the variant's KRUSTFLAGS: what a base config is made with.
  const std::string recipe_no_flags = make_key("", {});
  if (!ctx.force) {
    if (auto f = LoadCachedFailure(art_dir, recipe)) return cached_failure(*f);
  }
  auto make = [&](std::vector<std::string> targets, std::vector<std::string> rustflags) -> Result<ProcessResult> {
    MakeInvocation m{src_in, tree_in, spec.arch, jobs, std::move(rustflags), std::move(targets), ccache_in,
                     ctx.ccache_remote};
    Command cmd = toolchain::InToolchain(*tc, MakeCommand(m), mounts);
    cmd.log_file = log;
    cmd.on_line = [&](std::string_view l) { progress.Line(l); };
    cmd.timeout = ctx.timeout;
    cmd.stop = ctx.stop;
    auto r = runner.Run(cmd);
    if (!r) return Fail(r.error());
    if (ctx.stop.stop_requested()) return FailAs(Error::Kind::kCancelled, "build cancelled");
    return r;
  };
  auto finish_failed = [&](BuildOutcome o) {
    o.artifact_key = outcome.artifact_key;
    o.seconds = seconds_since(t0);
    progress.Done(fmt::format("FAILED ({})", o.failure->message));
    if (DeterministicFailure(o.failure->cls)) SaveCachedFailure(art_dir, o, recipe);
    return o;
  };

  // What the fragments and the variant ask for.
  std::vector<std::pair<std::string, ConfigValues>> fragments;
  for (const auto& f : spec.fragments) {
    auto text = ReadFile(f);
    if (!text) return Fail(text.error());
    fragments.emplace_back(f.filename().string(), ParseConfig(*text));
  }
  auto requests = MergeRequests(fragments, spec.kconfig);
  bool wants_rust = std::any_of(requests.begin(), requests.end(),
                                [](const Request& r) { return r.symbol == "RUST" && r.value == "y"; });

  // 1. Is Rust available with this toolchain?
  if (wants_rust) {
    progress.Phase("rustavailable");
    auto r = make({"rustavailable"}, {});
    if (!r) return Fail(r.error());
    if (!r->ok()) {
      return finish_failed(Failed(spec, FailureClass::kRustUnavailable, RustUnavailableMessage(r->output), log, ""));
    }
  }

  // 2. The .config, made once per tree (the tree key covers its inputs).
  // v2: tinyconfig in two Kconfig passes (PlanBaseConfig), and a fresh
  // tree's auto.conf written by the last one.
  std::string config_inputs = KeyHasher().Add("config-v2").Add(spec.tree_key).Add(src->id).Add(tc->id).Short();
  if (state.config_inputs != config_inputs || !fs::exists(tree / ".config")) {
    progress.Phase("config");
    fs::remove(tree / ".config", ec);
    const fs::path auto_conf = tree / "include/config/auto.conf";
    const bool had_auto_conf = fs::exists(auto_conf);
    BaseConfigSteps base;
    if (spec.config == "tinyconfig" || spec.config == "defconfig" || spec.config == "allnoconfig") {
      base = PlanBaseConfig(spec.config, src->dir, spec.arch);
    } else {
      // A config file is the base as it is: the requests join it before the
      // one Kconfig pass, as merge_config.sh would.
      if (auto st = CopyInto(spec.config, tree / ".config"); !st) return Fail(st.error());
    }
    if (!base.first.empty()) {
      // The base step's .config depends on the source, the arch and the
      // toolchain (Kconfig's compiler probes) only, not on the fragments or
      // the variant: kept under the cache dir, it serves every later tree of
      // the same three (a Kconfig variant, a seeded tree) and spares each a
      // Kconfig pass (~35 s on 2 cores).
      const fs::path kept = BaseConfigPath(ctx.cache_dir, BaseConfigKey(spec, base, src->id, tc->id, recipe_no_flags));
      if (fs::is_regular_file(kept)) {
        if (auto st = CopyInto(kept, tree / ".config"); !st) return Fail(st.error());
        std::ofstream(log, std::ios::app) << fmt::format("rfl-lab: make {}: the base config kept in {}\n",
                                                         fmt::join(base.first, " "), kept.string());
      } else {
        auto r = make(base.first, {});
        if (!r) return Fail(r.error());
        if (!r->ok()) {
          auto c = ClassifyBuildLog(r->output);
          return finish_failed(Failed(spec, FailureClass::kOther, c.excerpt, log,
                                      fmt::format("make {} failed", fmt::join(base.first, " "))));
        }
        // Kept for the next tree; a tree that cannot keep it builds anyway.
        if (auto text = ReadFile(tree / ".config")) {
          if (auto st = EnsureDir(kept.parent_path()); st) (void)WriteFileAtomic(kept, *text);
        }
      }
    }
    {
      std::ofstream cfg(tree / ".config", std::ios::app);
      for (const auto& f : base.append) {
        auto text = ReadFile(f);
        if (!text) return Fail(text.error());
        cfg << "# " << fs::relative(f, src->dir).string() << "\n" << *text;
        if (!text->empty() && text->back() != '\n') cfg << '\n';
      }
      cfg << RenderRequests(requests);
      if (!cfg) return Fail("cannot append to {}", (tree / ".config").string());
    }
    // Kconfig writes include/config/auto.conf (and autoconf.h, rustc_cfg,
    // include/config/*) only where it is missing, or in syncconfig. In a
    // fresh tree the base step just wrote it for the base config: removed,
    // olddefconfig writes it for the final one, and the build's make finds
    // the config in sync and skips a Kconfig pass of its own. (syncconfig
    // would ask about every new symbol on stdin, a thousand prompts in the
    // log.) A tree that has been built keeps its auto.conf: kbuild's
    // syncconfig compares against it to touch only the include/config files
    // of the symbols that changed, and so rebuilds only what they reach.
    if (!had_auto_conf) fs::remove(auto_conf, ec);
    auto r = make({"olddefconfig"}, {});
    if (!r) return Fail(r.error());
    if (!r->ok()) {
      auto c = ClassifyBuildLog(r->output);
      return finish_failed(Failed(spec, FailureClass::kOther, c.excerpt, log, "make olddefconfig failed"));
    }
    state.config_inputs = config_inputs;
    if (auto st = SaveTreeState(state_file, state); !st) return Fail(st.error());
  }
  auto config_text = ReadFile(tree / ".config");
  if (!config_text) return Fail(config_text.error());
  auto final_config = ParseConfig(*config_text);
  auto unmet = VerifyConfig(requests, final_config, KconfigIndex{});
  std::vector<std::string> absent_symbols;
  if (!unmet.empty()) {
    // Explain with the Kconfig dependencies (a scan of the tree, only now).
    auto index = KconfigIndex::Scan(src->dir, SrcArch(spec.arch));
    unmet = VerifyConfig(requests, final_config, index);
    // A fragment's symbol this kernel does not have at all (Rust binder in
    // 6.12) is a feature the kernel lacks, not a broken config: it is left
    // out, and the workloads that need it are skipped with that reason. The
    // variant's own symbols must exist.
    for (const auto& u : TakeAbsentFragmentSymbols(unmet, index)) {
      absent_symbols.push_back(fmt::format("CONFIG_{} (from {})", u.symbol, u.origin));
    }
    if (!absent_symbols.empty()) {
      std::string text = fmt::format("not in this kernel's Kconfig, left out: {}", fmt::join(absent_symbols, ", "));
      out << fmt::format("[{}] {}\n", label, text) << std::flush;
      std::ofstream l(log, std::ios::app);
      l << "rfl-lab: " << text << "\n";
    }
  }
  if (!unmet.empty()) {
    std::string text = DescribeUnmet(unmet);
    {
      std::ofstream l(log, std::ios::app);
      l << "rfl-lab: Kconfig verification failed:\n" << text;
    }
    std::vector<std::string> lines;
    for (const auto& u : unmet) {
      lines.push_back(fmt::format("CONFIG_{}: asked {}, got {} (from {}); {}", u.symbol, u.asked, u.got, u.origin, u.reason));
    }
    return finish_failed(Failed(spec, FailureClass::kKconfigUnmet, lines, log, ""));
  }

  // 3. kbuild.
  Mtimes before = ObjectMtimes(tree);
  progress.Phase(fresh_tree && seeded_from.empty() ? "make (full)" : "make");
  auto build_start = std::chrono::steady_clock::now();
  auto r = make({"vmlinux", std::string(ImageTarget(spec.arch))}, spec.rustflags);
  if (!r) return Fail(r.error());
  double build_seconds = seconds_since(build_start);
  if (!r->ok()) {
    auto c = ClassifyBuildLog(r->output);
    if (r->timed_out) c.excerpt.insert(c.excerpt.begin(), fmt::format("make {}", r->Describe()));
    return finish_failed(Failed(spec, c.cls, c.excerpt, log, ""));
  }

  // 4. The artifact.
  progress.Phase("collect");
  Artifact a;
  a.key = outcome.artifact_key;
  a.build_key = spec.key;
  a.tree_key = spec.tree_key;
  a.arch = arch_name;
  a.source_spec = spec.source.spec;
  a.source_id = src->id;
  a.kernel_version = src->kernel_version;
  a.toolchain = tc->name;
  a.toolchain_id = tc->id;
  a.versions = tc->versions;
  a.variants = spec.variants;
  a.requested_rustflags = spec.rustflags;
  a.absent_symbols = absent_symbols;
  a.build_seconds = build_seconds;
  a.created_at = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  if (auto core = ReadFile(tree / "rust" / ".core.o.cmd")) a.effective_rustflags_core = RustFlagsFromCmd(*core).value_or(std::vector<std::string>{});
  if (auto kern = ReadFile(tree / "rust" / ".kernel.o.cmd")) a.effective_rustflags_kernel = RustFlagsFromCmd(*kern).value_or(std::vector<std::string>{});
  // What the x86 target spec turns on counts as much as a command-line flag.
  if (auto target_spec = ReadFile(tree / "scripts" / "target.json")) {
    for (auto& f : RustFlagsFromTargetSpec(*target_spec)) {
      a.effective_rustflags_core.push_back(f);
      a.effective_rustflags_kernel.push_back(std::move(f));
    }
  }
  a.config_sha256 = Sha256Hex(*config_text);

  // The Rust objects of this kernel are those linked into vmlinux (the
  // members of the thin archive vmlinux.a) and those of modules
  // (modules.order): a shared or seeded tree keeps stale objects of other
  // configs (rust_binder_main.o in a C-binder tree, compiled by whichever
  // variant built it last), which are not this kernel's.
  std::optional<std::set<std::string>> linked;
  if (auto members = ThinArchiveMembers(tree / "vmlinux.a")) {
    linked.emplace(members->begin(), members->end());
    if (auto order = ReadFile(tree / "modules.order")) {
      std::string_view rest = *order;
      while (!rest.empty()) {
        size_t nl = rest.find('\n');
        std::string_view line = rest.substr(0, nl);
        if (line.ends_with(".o")) linked->emplace(line);
        rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
      }
    }
  } else {
    spdlog::warn("{}: every Rust object in the tree counts as this kernel's", members.error().message);
  }
  Mtimes after = ObjectMtimes(tree);
  a.rebuild.kind = !seeded_from.empty() ? "seeded" : before.empty() ? "full" : "incremental";
  a.rebuild.seeded_from = seeded_from;
  for (const auto& [path, mtime] : after) {
    bool is_rust = IsRustObject(tree / path);
    if (is_rust && (!linked || linked->contains(path))) {
      auto sizes = ReadElfSizes(tree / path);
      if (sizes) {
        a.rust_objects.push_back(ObjectSizes{path, *sizes});
        a.rust_sizes += *sizes;
      }
    }
    auto it = before.find(path);
    if (it != before.end() && it->second == mtime) continue;
    ++a.rebuild.objects;
    if (is_rust) a.rebuild.rust_objects.push_back(path);
    else if (a.rebuild.c_objects.size() < 200) a.rebuild.c_objects.push_back(path);
  }
  if (a.rebuild.objects == 0) a.rebuild.kind = "noop";
  auto vml = ReadElfSizes(tree / "vmlinux");
  if (!vml) return Fail(vml.error());
  a.vmlinux_sizes = *vml;

  auto work = TempDir::Create(ArtifactsDir(ctx.cache_dir), fmt::format(".tmp-{}-", a.key));
  if (!work) return Fail(work.error());
  const fs::path tmp = work->path();
  const std::pair<fs::path, std::string> files[] = {
      {tree / ImagePathInTree(spec.arch), std::string(ImageTarget(spec.arch))},
      {tree / "vmlinux", "vmlinux"},
      {tree / ".config", "config"},
      {tree / "System.map", "System.map"},
      {log, "build.log"},
      {tree / "rust" / ".core.o.cmd", "core.o.cmd"},
      {tree / "rust" / ".kernel.o.cmd", "kernel.o.cmd"},
  };
  for (const auto& [from, name] : files) {
    if (!fs::exists(from)) continue;
    if (auto st = CopyInto(from, tmp / name); !st) return Fail(st.error());
  }
  // The Rust objects, for the code checks (lab/pipeline/code_check.h): the
  // next variant rebuilds them in this shared tree, and vmlinux is what the
  // linker and objtool made of them.
  for (const auto& o : a.rust_objects) {
    fs::path to = tmp / kRustObjectsDir / o.path;
    fs::create_directories(to.parent_path(), ec);
    if (auto st = CopyInto(tree / o.path, to); !st) return Fail(st.error());
  }
  if (!fs::exists(tmp / ImageTarget(spec.arch))) {
    return Fail("make succeeded but {} is missing", (tree / ImagePathInTree(spec.arch)).string());
  }
  a.dir = art_dir;
  a.image = art_dir / ImageTarget(spec.arch);
  a.vmlinux = art_dir / "vmlinux";
  a.config = art_dir / "config";
  a.system_map = fs::exists(tmp / "System.map") ? art_dir / "System.map" : fs::path();
  a.build_log = art_dir / "build.log";
  if (auto st = WriteFileAtomic(tmp / "metadata.json", ToJson(a).dump(2) + "\n"); !st) return Fail(st.error());
  fs::remove_all(art_dir, ec);
  fs::remove_all(FailureDir(art_dir), ec);
  fs::rename(tmp, art_dir, ec);
  if (ec) return Fail("cannot rename {} to {}: {}", tmp.string(), art_dir.string(), ec.message());

  state.built_at = a.created_at;
  state.durations[spec.key] = build_seconds;
  // A no-op rebuild says nothing about how long a real change takes.
  if (a.rebuild.kind != "noop") state.durations[a.rebuild.kind] = build_seconds;
  if (auto st = SaveTreeState(state_file, state); !st) spdlog::warn("{}", st.error().message);

  outcome.status = BuildOutcome::Status::kBuilt;
  outcome.artifact = std::move(a);
  outcome.seconds = seconds_since(t0);
  progress.Done(fmt::format("built ({} rebuild, {} objects, {} Rust)", outcome.artifact->rebuild.kind,
                            outcome.artifact->rebuild.objects, outcome.artifact->rebuild.rust_objects.size()));
  return outcome;
}

}  // namespace rfl::kernel

// bench_lab_vs_make [WORK_DIR] [off|on|both]: the quickstart's x86_64 baseline kernel built
// cold through the lab (kernel::BuildKernel, what `rfl-lab build` runs: Rust
// check, the two Kconfig passes, make, collecting the artifact) and through a
// plain `make` in the same toolchain sandbox (the lab's .config copied into
// an empty O= tree, `make olddefconfig`, `make bzImage`), one after the
// other, with ccache off and then on (an empty ccache each: the lab in its
// depend mode, the plain make with ccache's defaults). Prints each side's
// time and the ratio lab/plain (issue 19: goal <= 1.05 cold).
//
// Order lab, plain (ccache off), plain, lab (ccache on), so neither side is
// always first. Everything lives in WORK_DIR (default: a new /tmp dir): its
// own lab cache, so no tree of another build can seed the lab's (toolchain
// and source are made there first, untimed), and each tree is removed after
// its build. Four cold builds: ~60 min on 2 idle cores; `off` or `on` runs
// one pair (lab and plain make, ccache off or on), ~30 min.
#include <chrono>
#include <filesystem>
#include <iostream>
#include <thread>

#include <fmt/format.h>

#include "lab/kernel/build.h"
#include "lab/kernel/kbuild.h"
#include "lab/kernel/source.h"
#include "lab/toolchain/toolchain.h"
#include "lab/util/hash.h"
#include "lab/util/paths.h"
#include "lab/util/process.h"
#include "lab/util/temp_dir.h"
#include "tests/support/test_kernel.h"

namespace fs = std::filesystem;
using namespace rfl;

namespace {

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

struct LabTime {
  double wall = 0;   // BuildKernel, start to artifact
  double make = 0;   // its make run (Artifact::build_seconds)
  size_t objects = 0;
  fs::path config;   // a copy of the .config it made
};

// The lab's cold build in a tree of its own (removed afterwards).
std::optional<LabTime> LabBuild(scenario::BuildSpec spec, const fs::path& cache, const fs::path& work, bool ccache) {
  std::string name = ccache ? "lab-ccache" : "lab";
  spec.tree_key = KeyHasher().Add("bench-lab-vs-make").Add(spec.tree_key).Add(name).Short();
  spec.key = KeyHasher().Add("bench-lab-vs-make").Add(spec.key).Add(name).Short();
  kernel::BuildContext ctx;
  ctx.cache_dir = cache;
  ctx.data_dir = DataDir();
  ctx.force = true;
  ctx.ccache = ccache;
  ctx.ccache_root = work / (name + "-ccache-dir");
  ctx.label = name;
  ctx.progress_tty = false;
  auto t0 = std::chrono::steady_clock::now();
  auto r = kernel::BuildKernel(spec, ctx);
  double wall = SecondsSince(t0);
  fs::remove_all(cache / "trees" / spec.tree_key);
  fs::remove(cache / "trees" / (spec.tree_key + ".lock"));
  if (!r || !r->artifact) {
    std::cerr << name << ": " << (r ? r->failure->message : r.error().message) << "\n";
    return std::nullopt;
  }
  LabTime t{wall, r->artifact->build_seconds, r->artifact->rebuild.objects, work / (name + ".config")};
  fs::copy_file(r->artifact->config, t.config, fs::copy_options::overwrite_existing);
  fs::remove_all(r->artifact->dir);
  return t;
}

struct PlainTime {
  double config = 0;  // make olddefconfig
  double make = 0;    // make bzImage
};

// make in the toolchain's sandbox, the way a kernel developer would: the
// lab's .config, `make olddefconfig`, `make -jN bzImage` (vmlinux with it).
std::optional<PlainTime> PlainBuild(const toolchain::Toolchain& tc, const kernel::SourceTree& src,
                                    const fs::path& config, const fs::path& work, bool ccache) {
  std::string name = ccache ? "plain-ccache" : "plain";
  fs::path tree = work / (name + "-tree");
  fs::path ccache_dir = work / (name + "-ccache-dir");
  fs::remove_all(tree);
  fs::create_directories(tree);
  fs::create_directories(ccache_dir);
  fs::copy_file(config, tree / ".config");
  std::vector<toolchain::Mount> mounts{{src.dir, toolchain::kSourceMountPoint, false},
                                       {tree, toolchain::kBuildMountPoint, true}};
  if (ccache) mounts.push_back({ccache_dir, "/ccache", true});
  RealProcessRunner runner;
  auto make = [&](const std::string& target) -> std::optional<double> {
    Command c;
    c.argv = {"make",
              "-C",
              toolchain::InsidePath(tc, mounts[0]).string(),
              fmt::format("O={}", toolchain::InsidePath(tc, mounts[1]).string()),
              "LLVM=1",
              "ARCH=x86_64",
              fmt::format("-j{}", std::max(1u, std::thread::hardware_concurrency()))};
    if (ccache) {
      c.argv.push_back("CC=ccache clang");
      c.env["CCACHE_DIR"] = "/ccache";
    }
    c.argv.push_back(target);
    c.cwd = toolchain::InsidePath(tc, mounts[1]);
    c.log_file = work / (name + ".log");
    Command in = toolchain::InToolchain(tc, c, mounts);
    auto t0 = std::chrono::steady_clock::now();
    auto r = runner.Run(in);
    double s = SecondsSince(t0);
    if (!r || !r->ok()) {
      std::cerr << fmt::format("{}: make {} failed ({}); log {}\n", name, target,
                               r ? r->Describe() : r.error().message, c.log_file->string());
      return std::nullopt;
    }
    return s;
  };
  PlainTime t;
  auto cfg = make("olddefconfig");
  if (!cfg) return std::nullopt;
  t.config = *cfg;
  auto img = make(std::string(kernel::ImageTarget(Arch::kX86_64)));
  if (!img) return std::nullopt;
  t.make = *img;
  fs::remove_all(tree);
  return t;
}

void PrintRound(const char* what, const LabTime& lab, const PlainTime& plain) {
  double p = plain.config + plain.make;
  std::cout << fmt::format("{}: lab {:.1f} s (make {:.1f} s, {} objects; rustavailable, config, collecting {:.1f} s) | "
                           "plain make {:.1f} s (olddefconfig {:.1f} s, bzImage {:.1f} s) | lab/plain {:.3f} "
                           "(goal <= 1.05)\n",
                           what, lab.wall, lab.make, lab.objects, lab.wall - lab.make, p, plain.config, plain.make,
                           lab.wall / p);
}

}  // namespace

int main(int argc, char** argv) {
  fs::path work;
  if (argc > 1) {
    work = fs::absolute(argv[1]);
    fs::create_directories(work);
  } else {
    auto t = TempDir::Create("/tmp", "rfl-lab-vs-make-");
    if (!t) {
      std::cerr << t.error().message << "\n";
      return 3;
    }
    work = t->Release();
  }
  const std::string modes = argc > 2 ? argv[2] : "both";
  if (modes != "off" && modes != "on" && modes != "both") {
    std::cerr << "usage: " << argv[0] << " [WORK_DIR] [off|on|both]\n";
    return 2;
  }
  fs::path cache = work / "cache";
  std::cerr << "bench_lab_vs_make: work dir " << work.string() << "\n";
  auto spec = test::QuickstartBuildSpec(Arch::kX86_64, "baseline");
  if (!spec) {
    std::cerr << spec.error().message << "\n";
    return 3;
  }
  // The inputs first, untimed.
  RealProcessRunner runner;
  auto tc = toolchain::Provision(cache, DataDir(), spec->toolchain, runner);
  if (!tc) {
    std::cerr << tc.error().message << "\n";
    return 3;
  }
  auto src = kernel::PrepareSource(spec->source, cache, runner);
  if (!src) {
    std::cerr << src.error().message << "\n";
    return 3;
  }
  std::cout << fmt::format("kernel {} ({}), {}: rustc {}, {} jobs\n", src->kernel_version, spec->source.Label(),
                           tc->name, tc->versions.rustc, std::max(1u, std::thread::hardware_concurrency()));

  // The plain make takes the lab's .config, so a lab build comes first
  // in each mode that has none yet; `both` alternates the order.
  std::optional<LabTime> lab_off;
  if (modes != "on") {
    lab_off = LabBuild(*spec, cache, work, false);
    if (!lab_off) return 1;
    auto plain_off = PlainBuild(*tc, *src, lab_off->config, work, false);
    if (!plain_off) return 1;
    PrintRound("ccache off", *lab_off, *plain_off);
  }
  if (modes != "off") {
    std::optional<LabTime> lab_on;
    if (!lab_off) {
      lab_on = LabBuild(*spec, cache, work, true);
      if (!lab_on) return 1;
    }
    auto plain_on = PlainBuild(*tc, *src, (lab_off ? lab_off : lab_on)->config, work, true);
    if (!plain_on) return 1;
    if (!lab_on) {
      lab_on = LabBuild(*spec, cache, work, true);
      if (!lab_on) return 1;
    }
    PrintRound("ccache on (empty)", *lab_on, *plain_on);
  }
  return 0;
}

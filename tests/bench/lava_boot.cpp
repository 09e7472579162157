// bench_lava_boot: what a boot through LAVA costs over a local libvirt boot
// of the same kernel and initramfs (issue 18).
//
// Each round boots the quickstart's x86_64 baseline kernel (icount, TCG, the
// `boot` workload) once through the lab's LAVA backend (submission to
// result: publish, submit, queue, LAVA's deploy and QEMU, log polling) and
// once through libvirt (domain create to result), alternately, so drift hits
// both. The libvirt boot leaves out the agent's virtio port, as LAVA's QEMU
// has none: both sides send the agent's records over the console. Prints per
// round and medians: the whole boot (the lab's call, start to result); the
// part QEMU ran (libvirt: domain create to the end; LAVA: from the worker's
// "Boot command" to the guest's last line, on the worker's clock); the rest
// (the backend's own time: libvirt's teardown and the record; LAVA's submit,
// queue, scheduling, deploy and log polling); and the guest's own boot time
// (icount: equal on both sides up to LAVA's extra NIC). Rounds with the LAVA
// backend's poll interval at its default (2 s) and at 0.5 s show how much of
// the rest is polling.
//
// usage: bench_lava_boot URL TOKEN_FILE [ROUNDS]   (e.g. after
//   `scripts/lava-local.sh start /tmp/lava`:
//   bench_lava_boot http://127.0.0.1:8010/ /tmp/lava/token 5)
// The kernel is the tests' shared quickstart build (RFL_LAB_CACHE_DIR, built
// if missing). Prints figures; never asserts (the machines are shared).
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "lab/lava/lava_hypervisor.h"
#include "lab/pipeline/boot_job.h"
#include "lab/results/statistics.h"
#include "lab/scenario/load.h"
#include "lab/util/temp_dir.h"
#include "lab/vm/hypervisor.h"
#include "tests/support/test_kernel.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

using rfl::results::Median;

struct Boot {
  double total = -1;          // the lab's call, start to result
  double qemu = -1;           // the part QEMU ran (see above)
  double guest_boot = -1;     // the boot workload's agent_start: kernel start to the agent, guest time
};

struct Series {
  std::vector<double> total, qemu, rest, guest_boot;
  void Add(const Boot& b) {
    if (b.total < 0) return;
    total.push_back(b.total);
    qemu.push_back(b.qemu);
    rest.push_back(b.total - b.qemu);
    if (b.guest_boot >= 0) guest_boot.push_back(b.guest_boot);
  }
};

rfl::pipeline::BootJob Job(const fs::path& kernel, const fs::path& dir, const std::string& id) {
  rfl::pipeline::BootJob job;
  job.boot_id = id;
  job.arch = rfl::Arch::kX86_64;
  job.kernel_image = kernel;
  job.workloads = {*rfl::scenario::DefaultWorkload("boot")};
  job.boot.timing = rfl::Timing::kIcount;
  job.boot.memory_bytes = 512ull << 20;
  job.boot.timeout = std::chrono::seconds(300);
  job.accel = rfl::vm::ResolvedAccel::kTcg;
  job.agent_channel = false;
  job.allowed_warnings = {"enqueued on deprecated workqueue"};
  job.boot_dir = dir / id;
  job.cache_dir = rfl::test::TestCacheDir();
  return job;
}

Boot Run(rfl::vm::Hypervisor& hv, const rfl::pipeline::BootJob& job) {
  auto start = Clock::now();
  auto out = rfl::pipeline::RunBootJob(hv, job);
  Boot b;
  if (!out) {
    std::cerr << job.boot_id << ": " << out.error().message << "\n";
    return b;
  }
  if (rfl::BootOutcomeName(out->record.outcome) != "passed") {
    std::cerr << job.boot_id << ": " << rfl::BootOutcomeName(out->record.outcome) << ": " << out->record.evidence
              << "\n";
    return b;
  }
  b.total = std::chrono::duration<double>(Clock::now() - start).count();
  b.qemu = out->vm_result.total.count();
  for (const auto& s : out->record.samples)
    if (s.workload == "boot" && s.metric == "agent_start") b.guest_boot = s.value;
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: bench_lava_boot URL TOKEN_FILE [ROUNDS]\n";
    return 2;
  }
  int rounds = argc > 3 ? std::atoi(argv[3]) : 5;
  auto kernel = rfl::test::QuickstartKernel(rfl::Arch::kX86_64);
  if (!kernel) return std::cerr << kernel.error().message << "\n", 3;
  auto work = rfl::TempDir::Create(fs::temp_directory_path(), "rfl-bench-lava-");
  if (!work) return std::cerr << work.error().message << "\n", 3;

  auto open_lava = [&](std::chrono::milliseconds poll) -> std::unique_ptr<rfl::vm::Hypervisor> {
    rfl::lava::LavaOptions o;
    o.url = argv[1];
    o.token_file = argv[2];
    o.settings.poll = poll;
    o.settings.queue_timeout = std::chrono::minutes(10);
    auto hv = rfl::lava::OpenLava(o);
    if (!hv) std::cerr << hv.error().message << "\n";
    return hv ? std::move(*hv) : nullptr;
  };
  auto lava_default = open_lava(std::chrono::seconds(2));
  auto lava_fast = open_lava(std::chrono::milliseconds(500));
  auto libvirt = rfl::vm::OpenLibvirt(rfl::vm::DefaultConnectUri(work->path() / "state"));
  if (!lava_default || !lava_fast) return 3;
  if (!libvirt) return std::cerr << libvirt.error().message << "\n", 3;

  // Not counted: libvirt probes QEMU once per process (~3 s), and LAVA's
  // first job of a worker warms its caches.
  Boot w1 = Run(**libvirt, Job(kernel->image, work->path(), "warm-libvirt"));
  Boot w2 = Run(*lava_default, Job(kernel->image, work->path(), "warm-lava"));
  std::cout << fmt::format("warm-up, not counted: libvirt {:.2f} s, LAVA {:.2f} s\n", w1.total, w2.total);

  Series lava2, lava05, local;
  std::cout << "round  libvirt total/QEMU/guest   LAVA(poll 2 s) total/QEMU/guest   LAVA(poll 0.5 s) total/QEMU\n";
  for (int i = 0; i < rounds; ++i) {
    Boot l = Run(**libvirt, Job(kernel->image, work->path(), fmt::format("libvirt-{}", i)));
    Boot a = Run(*lava_default, Job(kernel->image, work->path(), fmt::format("lava2-{}", i)));
    Boot f = Run(*lava_fast, Job(kernel->image, work->path(), fmt::format("lava05-{}", i)));
    local.Add(l), lava2.Add(a), lava05.Add(f);
    std::cout << fmt::format("{:5}  {:6.2f} {:6.2f} {:6.3f}      {:6.2f} {:6.2f} {:6.3f}           {:6.2f} {:6.2f}\n", i,
                             l.total, l.qemu, l.guest_boot, a.total, a.qemu, a.guest_boot, f.total, f.qemu);
  }
  auto row = [](std::string_view name, const Series& s) {
    std::cout << fmt::format("| {} | {:.2f} s | {:.2f} s | {:.2f} s | {:.3f} s | {} |\n", name, Median(s.total),
                             Median(s.qemu), Median(s.rest), Median(s.guest_boot), s.total.size());
  };
  std::cout << "\nmedians:\n| backend | boot, start to result | QEMU ran | the rest | guest boot (icount) | boots |\n"
               "|---|---|---|---|---|---|\n";
  row("libvirt (embedded driver, console records)", local);
  row("LAVA, poll 2 s (default)", lava2);
  row("LAVA, poll 0.5 s", lava05);
  std::cout << fmt::format(
      "\nLAVA's added time per boot: {:+.2f} s at the default poll ({:.2f}x a libvirt boot), {:+.2f} s at 0.5 s\n",
      Median(lava2.total) - Median(local.total), Median(lava2.total) / Median(local.total),
      Median(lava05.total) - Median(local.total));
  return 0;
}

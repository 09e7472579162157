// bench_boot_overhead: what the lab's VM layer costs over bare QEMU.
//
//  (a) time from the start of a boot to the agent's hello record, through
//      the lab (libvirt embedded driver, domain XML, console file, agent
//      channel) divided by a bare `qemu-system-x86_64` of the same kernel and
//      initramfs with the same devices, to the same point (goal ≤ 1.10);
//  (b) boots per minute with 2 VMs in parallel (icount timing) divided by
//      boots per minute one at a time (goal ≥ 1.8 on 2 cores).
//
// usage: bench_boot_overhead [KERNEL] [ROUNDS]   (KERNEL defaults to
// $RFL_LAB_TEST_KERNEL; TCG; the agent from the build tree's `agents`).
// Prints figures; never asserts (the machines are shared).
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <thread>
#include <variant>

#include <fmt/format.h>

#include "images/agent/protocol.h"
#include "lab/image/initramfs.h"
#include "lab/pipeline/boot_job.h"
#include "lab/results/statistics.h"
#include "lab/scenario/load.h"
#include "lab/util/paths.h"
#include "lab/util/process.h"
#include "lab/vm/agent_stream.h"
#include "lab/vm/guest_clock.h"
#include "lab/vm/hypervisor.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
using rfl::vm::Seconds;

namespace {

using rfl::results::Median;

struct Setup {
  fs::path kernel;
  fs::path initrd;
  fs::path work;
};

rfl::vm::BootRequest LabRequest(const Setup& s, const std::string& tag, rfl::Timing timing) {
  rfl::vm::BootRequest r;
  r.arch = rfl::Arch::kX86_64;
  r.kernel = s.kernel;
  r.initrd = s.initrd;
  r.cmdline = {"panic=-1"};
  r.accel = rfl::vm::ResolvedAccel::kTcg;
  r.timing = timing;
  r.timeout = 180s;
  r.console_path = s.work / (tag + ".console");
  return r;
}

// Lab: Boot() start → hello. Returns seconds, or -1 when no hello came.
double LabToHello(rfl::vm::Hypervisor& hv, const Setup& s, const std::string& tag) {
  auto req = LabRequest(s, tag, rfl::Timing::kWall);
  rfl::vm::AgentStream agent;
  req.on_agent_line = [&](std::string_view l, Seconds at) { agent.OnChannelLine(l, at); };
  req.on_console_line = [&](std::string_view l, Seconds at) { agent.OnConsoleLine(l, at); };
  auto b = hv.Boot(req);
  if (!b) {
    std::cerr << "lab boot failed: " << b.error().message << "\n";
    return -1;
  }
  return agent.hello_at() ? agent.hello_at()->count() : -1;
}

// Bare QEMU with the same machine and devices: spawn → hello (on the
// virtio-serial socket or the serial console, whichever the agent uses).
double BareToHello(const Setup& s, const std::string& tag) {
  fs::path sock = s.work / (tag + ".sock");
  fs::remove(sock);
  // The command line the lab gives the same boot (console=, its clock words).
  std::string append = "console=ttyS0 panic=-1";
  for (const auto& w : rfl::vm::GuestClockWords(rfl::Arch::kX86_64, rfl::vm::ResolvedAccel::kTcg, rfl::Timing::kWall,
                                                {}, rfl::vm::HostTscKhz())) {
    append += " " + w;
  }
  rfl::Command cmd{.argv = {"qemu-system-x86_64", "-M", "q35", "-accel", "tcg", "-m", "512", "-smp", "1", "-nodefaults",
                            "-no-user-config", "-nographic", "-no-reboot", "-kernel", s.kernel.string(), "-initrd",
                            s.initrd.string(), "-append", append, "-serial", "stdio", "-device",
                            "virtio-serial-pci", "-chardev",
                            fmt::format("socket,id=agent,path={},server=on,wait=off", sock.string()), "-device",
                            "virtserialport,chardev=agent,name=org.rfllab.agent.0"}};
  auto start = Clock::now();
  auto child = rfl::Spawn(cmd);
  if (!child) {
    std::cerr << "bare qemu: " << child.error().message << "\n";
    return -1;
  }
  rfl::vm::AgentStream agent;
  int sock_fd = -1;
  std::string out_pending, sock_pending;
  auto lines = [&](std::string& pending, bool channel) {
    size_t pos;
    while ((pos = pending.find('\n')) != std::string::npos) {
      Seconds at = Clock::now() - start;
      std::string_view line(pending.data(), pos);
      channel ? agent.OnChannelLine(line, at) : agent.OnConsoleLine(line, at);
      pending.erase(0, pos + 1);
    }
  };
  auto deadline = start + 180s;
  char buf[16384];
  while (!agent.hello_at() && Clock::now() < deadline) {
    if (sock_fd < 0 && fs::exists(sock)) {
      sock_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_un addr{};
      addr.sun_family = AF_UNIX;
      std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", sock.c_str());
      if (connect(sock_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        close(sock_fd);
        sock_fd = -1;
      }
    }
    pollfd fds[2] = {{child->output_fd(), POLLIN, 0}, {sock_fd, POLLIN, 0}};
    if (poll(fds, sock_fd >= 0 ? 2 : 1, 5) <= 0) continue;
    if (fds[0].revents & POLLIN) {
      ssize_t n = read(child->output_fd(), buf, sizeof buf);
      if (n > 0) out_pending.append(buf, static_cast<size_t>(n)), lines(out_pending, false);
    }
    if (sock_fd >= 0 && (fds[1].revents & POLLIN)) {
      ssize_t n = read(sock_fd, buf, sizeof buf);
      if (n > 0) sock_pending.append(buf, static_cast<size_t>(n)), lines(sock_pending, true);
    }
  }
  if (sock_fd >= 0) close(sock_fd);
  child->Terminate(1s);
  return agent.hello_at() ? agent.hello_at()->count() : -1;
}

// Boots `count` icount boots on `parallel` threads; returns boots per minute.
double BootsPerMinute(rfl::vm::Hypervisor& hv, const Setup& s, int parallel, int count) {
  auto start = Clock::now();
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < parallel; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < count; ++i) {
        auto req = LabRequest(s, fmt::format("par{}-{}-{}", parallel, t, i), rfl::Timing::kIcount);
        rfl::vm::AgentStream agent;
        req.on_agent_line = [&](std::string_view l, Seconds at) { agent.OnChannelLine(l, at); };
        req.on_console_line = [&](std::string_view l, Seconds at) { agent.OnConsoleLine(l, at); };
        auto b = hv.Boot(req);
        if (b && b->end == rfl::vm::EndReason::kGuestStopped && agent.done_at()) {
          ++ok;
        } else {
          std::cerr << fmt::format("boot {}: {} ({}), {} agent bytes, {} console bytes, hello {}, done {}\n",
                                   req.console_path.filename().string(),
                                   b ? std::string(rfl::vm::EndReasonName(b->end)) : b.error().message,
                                   b ? b->end_detail : "", b ? b->agent_bytes.size() : 0,
                                   b ? b->console_bytes : 0, agent.hello_at() ? "yes" : "no",
                                   agent.done_at() ? "yes" : "no");
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  double minutes = std::chrono::duration<double>(Clock::now() - start).count() / 60.0;
  if (ok != parallel * count) std::cerr << fmt::format("warning: {}/{} boots completed with done\n", ok.load(), parallel * count);
  return ok / minutes;
}

}  // namespace

int main(int argc, char** argv) {
  const char* env = std::getenv("RFL_LAB_TEST_KERNEL");
  fs::path kernel = argc > 1 ? argv[1] : env ? env : "";
  int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
  if (kernel.empty() || !fs::exists(kernel)) {
    std::cerr << "usage: bench_boot_overhead KERNEL [ROUNDS] (or set RFL_LAB_TEST_KERNEL)\n";
    return 2;
  }
  Setup s{.kernel = kernel, .work = fs::temp_directory_path() / fmt::format("rfl-bench-{}", getpid())};
  fs::create_directories(s.work);
  auto plan = rfl::pipeline::AgentPlanFor({*rfl::scenario::DefaultWorkload("boot")}, "bench");
  if (!plan) return std::cerr << plan.error().message << "\n", 3;
  auto initrd = rfl::image::BuildInitramfs(rfl::Arch::kX86_64, *plan, s.work, s.work / "initramfs.cpio.gz");
  if (!initrd) return std::cerr << initrd.error().message << "\n", 3;
  s.initrd = *initrd;
  auto hv = rfl::vm::OpenLibvirt(rfl::vm::DefaultConnectUri(s.work));
  if (!hv) return std::cerr << hv.error().message << "\n", 3;

  // The first boot of a process pays for libvirt probing QEMU's capabilities
  // (once per connection, ~3 s here): a start-up cost of `rfl-lab run`, not a
  // per-boot overhead, so it is shown and not counted.
  std::cout << fmt::format("first lab boot (libvirt probes QEMU once per process): {:.3f} s to agent hello, not counted\n",
                           LabToHello(**hv, s, "warmup"));
  std::vector<double> lab, bare;
  for (int i = 0; i < rounds; ++i) {  // interleaved, so drift hits both
    double b = BareToHello(s, fmt::format("bare{}", i));
    double l = LabToHello(**hv, s, fmt::format("lab{}", i));
    std::cout << fmt::format("round {}: bare {:.3f} s, lab {:.3f} s to agent hello\n", i, b, l);
    if (b > 0) bare.push_back(b);
    if (l > 0) lab.push_back(l);
  }
  std::cout << fmt::format("(a) lab/bare time to agent hello: {:.3f} s / {:.3f} s = {:.3f} (median of {}; goal <= 1.10)\n",
                           Median(lab), Median(bare), Median(lab) / Median(bare), rounds);

  double one = BootsPerMinute(**hv, s, 1, rounds);
  double two = BootsPerMinute(**hv, s, 2, rounds);
  std::cout << fmt::format("(b) icount boots/min: 2 parallel {:.2f} / 1 at a time {:.2f} = {:.2f} (goal >= 1.8)\n", two,
                           one, two / one);
  hv->reset();
  fs::remove_all(s.work);
  return 0;
}

#pragma once
// Test-only harness: boots a kernel with the agent's initramfs under plain
// qemu-system-* (TCG) through rfl::Spawn and collects what the agent sends,
// from the virtio-serial socket and from the console. The lab itself boots
// through lab/vm (libvirt); this exists so the agent's integration tests do
// not depend on that layer. Header-only, host side, used by
// tests/integration/agent_boot_test.cpp and tests/cross/agent_boot_cross_test.cpp.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "images/agent/protocol.h"
#include "lab/image/initramfs.h"
#include "lab/util/process.h"
#include "lab/util/temp_dir.h"
#include "lab/vm/guest_clock.h"

namespace rfl::agent::testing {

struct QemuBootOptions {
  Arch arch = Arch::kX86_64;
  std::filesystem::path kernel;
  bool virtio_port = true;             // add the org.rfllab.agent.0 port
  std::chrono::seconds timeout{300};
  std::vector<std::string> extra_cmdline;
};

struct QemuBootRun {
  std::vector<Record> records;  // from the port, then from the console
  std::string console;          // everything QEMU printed
  int rejected_lines = 0;
  bool qemu_exited = false;     // the guest restarted under -no-reboot
  bool timed_out = false;
  double seconds = 0;           // host wall time, QEMU start to exit
  double initramfs_seconds = 0; // host time to assemble the initramfs

  template <typename T>
  std::vector<T> All() const {
    std::vector<T> out;
    for (const auto& r : records) {
      if (auto* p = std::get_if<T>(&r.body)) out.push_back(*p);
    }
    return out;
  }
  std::optional<WorkloadResult> ResultOf(std::string_view workload) const {
    for (const auto& w : All<WorkloadResult>()) {
      if (w.workload == workload) return w;
    }
    return std::nullopt;
  }
};

inline std::vector<std::string> QemuArgv(const QemuBootOptions& o, const std::filesystem::path& initrd,
                                         const std::filesystem::path& socket) {
  std::vector<std::string> argv;
  std::string console;
  std::string serial_bus = "virtio-serial-pci";
  switch (o.arch) {
    case Arch::kX86_64:
      argv = {"qemu-system-x86_64", "-M", "q35", "-accel", "tcg"};
      console = "ttyS0";
      break;
    case Arch::kArm64:
      argv = {"qemu-system-aarch64", "-M", "virt", "-cpu", "max", "-accel", "tcg"};
      console = "ttyAMA0";
      serial_bus = "virtio-serial-device";
      break;
    case Arch::kRiscv64:
      argv = {"qemu-system-riscv64", "-M", "virt", "-accel", "tcg"};
      console = "ttyS0";
      serial_bus = "virtio-serial-device";
      break;
  }
  std::string append = "console=" + console + " panic=-1";
  for (const auto& w : o.extra_cmdline) append += " " + w;
  // The lab's own clock words for a TCG guest with real time (an x86 kernel
  // without ACPI needs them for a fine-grained clock: vm/guest_clock.h).
  for (const auto& w : vm::GuestClockWords(o.arch, vm::ResolvedAccel::kTcg, Timing::kWall, o.extra_cmdline,
                                           vm::HostTscKhz())) {
    append += " " + w;
  }
  argv.insert(argv.end(), {"-m", "512", "-nographic", "-no-reboot", "-kernel", o.kernel.string(), "-initrd",
                           initrd.string(), "-append", append});
  if (o.virtio_port) {
    argv.insert(argv.end(), {"-device", serial_bus, "-chardev",
                             "socket,id=agent,path=" + socket.string() + ",server=on,wait=off", "-device",
                             "virtserialport,chardev=agent,name=" + std::string(kPortName)});
  }
  return argv;
}

// Each boot works in a directory of its own (the initramfs, its base
// archives, the agent's socket), removed with everything in it when the boot
// ends, failed or not.
inline Result<QemuBootRun> BootWithAgent(const QemuBootOptions& o, const Plan& plan) {
  QemuBootRun run;
  auto work = TempDir::Create(std::filesystem::temp_directory_path(), "rfl-agent-boot-");
  if (!work) return std::unexpected(work.error());
  auto t0 = std::chrono::steady_clock::now();
  auto initrd = image::BuildInitramfs(o.arch, plan, work->path() / "cache", work->path() / "initrd.img");
  if (!initrd) return std::unexpected(initrd.error());
  run.initramfs_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::filesystem::path socket = work->path() / "agent.sock";

  Command cmd;
  cmd.argv = QemuArgv(o, *initrd, socket);
  cmd.timeout = o.timeout;
  auto start = std::chrono::steady_clock::now();
  auto child = Spawn(cmd);
  if (!child) return std::unexpected(child.error());

  int sock = -1;
  RecordDecoder port, console;
  auto deadline = start + o.timeout;
  char buf[65536];
  for (;;) {
    if (std::chrono::steady_clock::now() > deadline) {
      run.timed_out = true;
      break;
    }
    if (o.virtio_port && sock < 0 && std::filesystem::exists(socket)) {
      sock = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_un addr{};
      addr.sun_family = AF_UNIX;
      std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket.c_str());
      if (connect(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        close(sock);
        sock = -1;
      }
    }
    pollfd fds[2] = {{child->output_fd(), POLLIN, 0}, {sock, POLLIN, 0}};
    poll(fds, sock >= 0 ? 2 : 1, 100);
    bool out_open = true;
    if (fds[0].revents & (POLLIN | POLLHUP)) {
      ssize_t n = read(child->output_fd(), buf, sizeof buf);
      if (n > 0) {
        run.console.append(buf, static_cast<size_t>(n));
        console.Feed(std::string_view(buf, static_cast<size_t>(n)));
      } else {
        out_open = false;
      }
    }
    if (sock >= 0 && (fds[1].revents & (POLLIN | POLLHUP))) {
      ssize_t n = read(sock, buf, sizeof buf);
      if (n > 0) {
        port.Feed(std::string_view(buf, static_cast<size_t>(n)));
      } else {
        close(sock);
        sock = -2;  // closed for good
      }
    }
    if (!out_open) {
      if (auto status = child->WaitFor(std::chrono::seconds(5))) {
        run.qemu_exited = WIFEXITED(*status);
        break;
      }
    }
  }
  if (sock >= 0) {
    // Drain what the port still holds.
    while (true) {
      pollfd p{sock, POLLIN, 0};
      if (poll(&p, 1, 200) <= 0) break;
      ssize_t n = read(sock, buf, sizeof buf);
      if (n <= 0) break;
      port.Feed(std::string_view(buf, static_cast<size_t>(n)));
    }
    close(sock);
  }
  child->Terminate(std::chrono::seconds(1));
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  port.Finish();
  console.Finish();
  for (auto& r : port.Take()) run.records.push_back(std::move(r));
  for (auto& r : console.Take()) run.records.push_back(std::move(r));
  run.rejected_lines = port.rejected_lines() + console.rejected_lines();
  return run;
}

}  // namespace rfl::agent::testing

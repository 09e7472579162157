#pragma once
// Domain XML for one transient boot, built with pugixml so paths and command
// lines containing <&'" are escaped by the library, never pasted into text.
// The domain: direct kernel boot, serial console to a file, the agent's
// virtio-serial channel connecting to a unix socket the lab listens on, every
// lifecycle action = destroy (a guest that restarts or powers off is done),
// and for icount timing QEMU's -icount through libvirt's qemu:commandline
// passthrough namespace (libvirt has no element for it).
#include <filesystem>
#include <optional>
#include <string>

#include "lab/util/result.h"
#include "lab/vm/arch_profile.h"
#include "lab/vm/boot.h"

namespace rfl::vm {

struct DomainSpec {
  std::string name;
  const ArchProfile* profile = nullptr;
  std::filesystem::path emulator;  // absolute path of qemu-system-…
  std::filesystem::path kernel;
  std::optional<std::filesystem::path> initrd;
  std::string cmdline;  // final command line
  uint64_t memory_bytes = 512ull << 20;
  int cpus = 1;
  ResolvedAccel accel = ResolvedAccel::kTcg;
  bool icount = false;
  std::filesystem::path console_path;
  std::optional<std::filesystem::path> agent_socket;  // absent: no agent channel
  std::optional<std::filesystem::path> firmware;      // -bios (riscv64 OpenSBI)
};

// The QEMU arguments icount timing adds (one place, shared with the docs).
inline constexpr const char* kIcountArgs[] = {"-icount", "shift=0,align=off,sleep=off"};
// With icount the guest RTC starts here (2020-01-01T00:00:00Z) and follows
// guest time, so nothing in a boot depends on the host's clock.
inline constexpr const char* kIcountRtcStart = "1577836800";

[[nodiscard]] Result<std::string> BuildDomainXml(const DomainSpec& spec);

// The final kernel command line: console=<arch console> first unless the
// words already choose a console, then the words in order.
std::string JoinCmdline(const ArchProfile& profile, const std::vector<std::string>& words);

}  // namespace rfl::vm

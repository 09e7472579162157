#include "lab/vm/accel.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lab/util/paths.h"
#include "lab/vm/arch_profile.h"

namespace rfl::vm {
namespace fs = std::filesystem;

std::string ProbeGuestImage() {
  // Loaded by QEMU's multiboot loader at 1 MiB (a.out kludge: flag bit 16,
  // addresses in the header), entered in 32-bit protected mode.
  static constexpr uint32_t kBase = 0x100000;
  static constexpr uint32_t kMagic = 0x1BADB002;
  static constexpr uint32_t kFlags = 0x00010000;
  std::string image(512, '\0');
  auto put32 = [&](size_t off, uint32_t v) {
    for (int i = 0; i < 4; ++i) image[off + i] = static_cast<char>((v >> (8 * i)) & 0xff);
  };
  put32(0x00, kMagic);
  put32(0x04, kFlags);
  put32(0x08, static_cast<uint32_t>(0u - (kMagic + kFlags)));
  put32(0x0c, kBase);          // header_addr
  put32(0x10, kBase);          // load_addr
  put32(0x14, 0);              // load_end_addr: the whole file
  put32(0x18, 0);              // bss_end_addr: none
  put32(0x1c, kBase + 0x20);   // entry
  static constexpr std::array<uint8_t, 29> kCode = {
      0xBA, 0xF8, 0x03, 0x00, 0x00,        // 0x20 mov edx, 0x3f8 (COM1)
      0xBE, 0x48, 0x00, 0x10, 0x00,        // 0x25 mov esi, message
      0xAC,                                // 0x2a lodsb
      0x84, 0xC0,                          // 0x2b test al, al
      0x74, 0x03,                          // 0x2d jz 0x32
      0xEE,                                // 0x2f out dx, al
      0xEB, 0xF8,                          // 0x30 jmp 0x2a
      0x0F, 0x01, 0x1D, 0x40, 0x00, 0x10, 0x00,  // 0x32 lidt [empty IDT]
      0xCC,                                // 0x39 int3: no IDT → triple fault → reset
      0xF4,                                // 0x3a hlt
      0xEB, 0xFD,                          // 0x3b jmp 0x3a
  };
  for (size_t i = 0; i < kCode.size(); ++i) image[0x20 + i] = static_cast<char>(kCode[i]);
  // 0x40: IDT pointer, limit 0 base 0 (already zero). 0x48: the message.
  std::string message = fmt::format("{}\n", kProbeMarker);
  image.replace(0x48, message.size(), message);
  return image;
}

namespace {

fs::path CachePath(const fs::path& state_dir) { return state_dir / "accel-probe.json"; }

std::optional<KvmProbe> ReadCache(const fs::path& state_dir) {
  auto text = ReadFile(CachePath(state_dir));
  if (!text) return std::nullopt;
  try {
    auto j = nlohmann::json::parse(*text);
    double checked = j.at("checked_at").get<double>();
    double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    double age = now - checked;
    if (age < 0 || age > static_cast<double>(kKvmProbeCacheTtl.count())) return std::nullopt;
    return KvmProbe{.works = j.at("kvm_works").get<bool>(), .reason = j.at("reason").get<std::string>(),
                    .cached = true, .age_s = age};
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

void WriteCache(const fs::path& state_dir, const KvmProbe& probe) {
  double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  nlohmann::json j = {{"kvm_works", probe.works}, {"reason", probe.reason}, {"checked_at", now}};
  (void)EnsureDir(state_dir);
  (void)WriteFileAtomic(CachePath(state_dir), j.dump(2) + "\n");
}

// Why /dev/kvm cannot be used, or "" when it opens read-write.
std::string KvmDeviceProblem() {
  int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (fd < 0) return fmt::format("/dev/kvm: {}", std::strerror(errno));
  close(fd);
  return "";
}

}  // namespace

Result<KvmProbe> ProbeKvm(Hypervisor& hv, const fs::path& state_dir, bool use_cache) {
  if (use_cache) {
    if (auto cached = ReadCache(state_dir)) return *cached;
  }
  KvmProbe probe;
  if (HostArch() != Arch::kX86_64) {
    probe.reason = "no KVM probe guest for this host architecture";
    return probe;
  }
  if (std::string problem = KvmDeviceProblem(); !problem.empty()) {
    probe.reason = problem;
    WriteCache(state_dir, probe);
    return probe;
  }
  fs::path dir = state_dir / "probe";
  if (auto s = EnsureDir(dir); !s) return std::unexpected(s.error());
  fs::path image = dir / "kvm-probe.bin";
  if (auto s = WriteFileAtomic(image, ProbeGuestImage()); !s) return std::unexpected(s.error());
  BootRequest req;
  req.arch = Arch::kX86_64;
  req.kernel = image;
  req.memory_bytes = 64ull << 20;
  req.accel = ResolvedAccel::kKvm;
  req.timing = Timing::kWall;
  req.timeout = kKvmProbeTimeout;
  req.silence_timeout = std::chrono::milliseconds(0);
  req.console_path = dir / "kvm-probe.console";
  req.agent_channel = false;
  req.name_prefix = "rfl-kvm-probe";
  auto booted = hv.Boot(req);
  if (!booted) {
    if (booted.error().kind == Error::Kind::kCancelled) return std::unexpected(booted.error());
    // QEMU itself can die on KVM setup (here: "failed to set MSR"): KVM unusable.
    std::string why = booted.error().message;
    why = why.substr(0, why.find('\n'));
    probe.reason = fmt::format("a KVM guest did not start: {}", why);
  } else if (booted->end == EndReason::kCancelled) {
    return FailAs(Error::Kind::kCancelled, "interrupted during the KVM probe");
  } else {
    auto console = ReadFile(req.console_path).value_or("");
    if (console.find(kProbeMarker) != std::string::npos) {
      probe.works = true;
      probe.reason = fmt::format("a probe guest ran under KVM in {:.2f} s", booted->total.count());
    } else if (booted->end == EndReason::kTimeout) {
      probe.reason = fmt::format("a probe guest under KVM printed nothing in {} s (it hangs: no usable "
                                 "hardware virtualization)", kKvmProbeTimeout.count());
    } else {
      probe.reason = fmt::format("a probe guest under KVM ended ({}) without printing its line",
                                 EndReasonName(booted->end));
    }
  }
  WriteCache(state_dir, probe);
  return probe;
}

Result<AccelDecision> ResolveAccel(Hypervisor& hv, Arch arch, Accel requested, Timing timing,
                                   const fs::path& state_dir) {
  bool icount = timing == Timing::kIcount;
  if (requested == Accel::kTcg) return AccelDecision{ResolvedAccel::kTcg, "tcg requested"};
  if (requested == Accel::kKvm && icount) {
    return FailAs(Error::Kind::kInput, "accel: kvm cannot be combined with timing: icount (icount is a TCG mode)");
  }
  if (hv.Remote()) {
    // Another machine boots it (LAVA): this host's /dev/kvm says nothing
    // about the worker's, and a probe would be a job of its own.
    if (requested == Accel::kKvm) return AccelDecision{ResolvedAccel::kKvm, "kvm requested from the workers"};
    return AccelDecision{ResolvedAccel::kTcg, icount ? "timing: icount runs under TCG"
                                                     : "remote workers are not probed; accel: kvm asks them for KVM"};
  }
  if (HostArch() != arch) {
    if (requested == Accel::kKvm) {
      return FailAs(Error::Kind::kInput, "accel: kvm for {} on a different host architecture", ArchName(arch));
    }
    return AccelDecision{ResolvedAccel::kTcg, fmt::format("{} is a foreign architecture here", ArchName(arch))};
  }
  if (icount) return AccelDecision{ResolvedAccel::kTcg, "timing: icount runs under TCG"};
  auto probe = ProbeKvm(hv, state_dir);
  if (!probe) return std::unexpected(probe.error());
  if (probe->works) return AccelDecision{ResolvedAccel::kKvm, probe->reason};
  if (requested == Accel::kKvm) return Fail("accel: kvm requested but KVM does not work: {}", probe->reason);
  return AccelDecision{ResolvedAccel::kTcg, fmt::format("KVM unusable: {}", probe->reason)};
}

}  // namespace rfl::vm

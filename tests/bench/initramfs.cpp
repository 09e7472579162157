// What an initramfs costs: the first (cold) base archive for an agent, and
// every boot after that (plan archive + copy). Prints figures; asserts
// nothing (shared, noisy machines).
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "lab/image/initramfs.h"

int main() {
  namespace fs = std::filesystem;
  using Clock = std::chrono::steady_clock;
  fs::path dir = fs::temp_directory_path() / ("rfl-bench-initramfs-" + std::to_string(getpid()));
  auto plan = rfl::agent::ParsePlan(R"({"version":1,"boot_id":"bench","workloads":[
    {"name":"boot"},{"name":"rust-samples"},{"name":"binder"},{"name":"block"}]})");
  if (!plan) return 1;
  for (auto arch : {rfl::Arch::kX86_64, rfl::Arch::kArm64, rfl::Arch::kRiscv64}) {
    fs::path agent = rfl::image::AgentBinary(arch);
    if (!fs::exists(agent)) {
      std::printf("%s: no agent (build target 'agents')\n", agent.c_str());
      continue;
    }
    auto t0 = Clock::now();
    auto base = rfl::image::BaseArchive(agent, dir / "cache");
    auto t1 = Clock::now();
    if (!base) {
      std::printf("error: %s\n", base.error().message.c_str());
      return 1;
    }
    constexpr int kBoots = 50;
    for (int i = 0; i < kBoots; ++i) {
      plan->boot_id = "bench-" + std::to_string(i);
      auto out = rfl::image::BuildInitramfs(arch, *plan, dir / "cache", dir / "initrd.img");
      if (!out) {
        std::printf("error: %s\n", out.error().message.c_str());
        return 1;
      }
    }
    auto t2 = Clock::now();
    auto plan_bytes = rfl::image::PlanArchive(*plan);
    std::printf("%s: agent %ju B, base archive %ju B built in %.1f ms (cold), per boot %.2f ms "
                "(plan archive %zu B)\n",
                agent.parent_path().filename().c_str(), static_cast<uintmax_t>(fs::file_size(agent)),
                static_cast<uintmax_t>(fs::file_size(*base)),
                std::chrono::duration<double, std::milli>(t1 - t0).count(),
                std::chrono::duration<double, std::milli>(t2 - t1).count() / kBoots,
                plan_bytes ? plan_bytes->size() : 0);
  }
  fs::remove_all(dir);
  return 0;
}

#include "lab/kernel/tree.h"

#include <nlohmann/json.hpp>

#include "lab/util/file_lock.h"
#include "lab/util/hash.h"
#include "lab/util/paths.h"

namespace rfl::kernel {
namespace fs = std::filesystem;
using nlohmann::json;

TreeState LoadTreeState(const fs::path& file) {
  TreeState s;
  auto text = ReadFile(file);
  if (!text) return s;
  try {
    json j = json::parse(*text);
    s.config_inputs = j.value("config_inputs", "");
    s.family = j.value("family", "");
    s.built_at = j.value("built_at", int64_t{0});
    s.arch = j.value("arch", "");
    s.durations = j.value("durations", std::map<std::string, double>{});
  } catch (const json::exception&) {
  }
  return s;
}

Status SaveTreeState(const fs::path& file, const TreeState& s) {
  json j{{"config_inputs", s.config_inputs},
         {"family", s.family},
         {"built_at", s.built_at},
         {"arch", s.arch},
         {"durations", s.durations}};
  return WriteFileAtomic(file, j.dump(2) + "\n");
}

std::string TreeFamily(const std::string& source_id, const std::string& tools_id, const std::string& arch) {
  return KeyHasher().Add("tree-family-v2").Add(source_id).Add(tools_id).Add(arch).Short();
}

std::optional<fs::path> FindSeedTree(const fs::path& trees_dir, const std::string& family, const std::string& self) {
  if (family.empty()) return std::nullopt;
  std::error_code ec;
  std::optional<fs::path> best;
  int64_t best_time = 0;
  for (const auto& entry : fs::directory_iterator(trees_dir, ec)) {
    if (!entry.is_directory(ec) || entry.path().filename() == self) continue;
    TreeState s = LoadTreeState(entry.path() / "state.json");
    if (s.family != family || s.built_at <= 0 || !fs::exists(entry.path() / "o" / ".config", ec)) continue;
    if (!best || s.built_at > best_time) {
      best = entry.path();
      best_time = s.built_at;
    }
  }
  return best;
}

BuildEstimate EstimateBuild(const fs::path& trees_dir, const std::string& tree_key, const std::string& key,
                            const std::string& arch, TreeStart start) {
  TreeState own = LoadTreeState(trees_dir / tree_key / "state.json");
  if (auto it = own.durations.find(key); it != own.durations.end()) return {it->second, "last time"};
  if (start == TreeStart::kBuilt) {
    if (auto it = own.durations.find("incremental"); it != own.durations.end()) return {it->second, "incremental"};
  }
  // The slowest of its kind on this arch: an estimate that errs long.
  const char* kind = start == TreeStart::kSeeded ? "seeded" : start == TreeStart::kFresh ? "full" : "incremental";
  BuildEstimate e;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(trees_dir, ec)) {
    if (!entry.is_directory(ec)) continue;
    TreeState s = LoadTreeState(entry.path() / "state.json");
    if (s.arch != arch) continue;
    if (auto it = s.durations.find(kind); it != s.durations.end() && (!e.seconds || it->second > *e.seconds)) {
      e = {it->second, kind};
    }
  }
  return e;
}

Status SeedTree(const fs::path& seed_root, const fs::path& tree_root, ProcessRunner& runner, std::stop_token stop,
                std::chrono::milliseconds wait, const std::function<void()>& on_wait) {
  const std::string lock_path = seed_root.string() + ".lock";
  auto lock = wait.count() > 0 ? FileLock::Acquire(lock_path, wait, on_wait) : FileLock::TryAcquire(lock_path);
  if (!lock && lock.error().kind == Error::Kind::kTimeout) {
    return Fail("{} is being built by another rfl-lab (waited {} s)", seed_root.string(),
                std::chrono::duration_cast<std::chrono::seconds>(wait).count());
  }
  if (!lock) return std::unexpected(lock.error());
  if (!lock->held()) return Fail("{} is being built by another rfl-lab", seed_root.string());
  fs::path to = tree_root / "o";
  Command cp;
  // GNU cp keeps modification times (-a), which kbuild compares; --reflink
  // shares the blocks where the filesystem can.
  cp.argv = {"cp", "-a", "--reflink=auto", "--", (seed_root / "o").string() + "/.", to.string()};
  cp.timeout = std::chrono::minutes(10);
  cp.stop = stop;
  auto r = runner.Run(cp);
  if (!r || !r->ok()) {
    std::error_code ec;
    fs::remove_all(to, ec);
    fs::create_directories(to, ec);
    if (!r) return Fail(r.error());
    return Fail("copying {} into {}: cp {}: {}", seed_root.string(), to.string(), r->Describe(), r->output);
  }
  return {};
}

}  // namespace rfl::kernel

#include "lab/kernel/artifact.h"

#include <fmt/format.h>

#include "lab/kernel/source.h"
#include "lab/scenario/plan.h"
#include "lab/util/hash.h"
#include "lab/util/paths.h"

namespace rfl::kernel {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string Rel(const fs::path& p, const fs::path& dir) {
  if (p.empty()) return "";
  return p.lexically_relative(dir).string();
}

fs::path Abs(const json& j, const char* key, const fs::path& dir) {
  std::string v = j.value(key, "");
  if (v.empty()) return {};
  return dir / v;
}

json ToJson(const RebuildSummary& r) {
  json j{{"kind", r.kind}, {"objects", r.objects}, {"rust_objects", r.rust_objects}, {"c_objects", r.c_objects}};
  if (!r.seeded_from.empty()) j["seeded_from"] = r.seeded_from;
  return j;
}

RebuildSummary RebuildFromJson(const json& j) {
  RebuildSummary r;
  r.kind = j.value("kind", "");
  r.objects = j.value("objects", size_t{0});
  r.rust_objects = j.value("rust_objects", std::vector<std::string>{});
  r.c_objects = j.value("c_objects", std::vector<std::string>{});
  r.seeded_from = j.value("seeded_from", "");
  return r;
}

}  // namespace

json ToJson(const Artifact& a) {
  json objects = json::array();
  for (const auto& o : a.rust_objects) objects.push_back({{"path", o.path}, {"sizes", ToJson(o.sizes)}});
  return json{
      {"format", 1},
      {"key", a.key},
      {"build_key", a.build_key},
      {"tree_key", a.tree_key},
      {"files",
       {{"image", Rel(a.image, a.dir)},
        {"vmlinux", Rel(a.vmlinux, a.dir)},
        {"config", Rel(a.config, a.dir)},
        {"system_map", Rel(a.system_map, a.dir)},
        {"build_log", Rel(a.build_log, a.dir)}}},
      {"arch", a.arch},
      {"source", {{"spec", a.source_spec}, {"id", a.source_id}, {"kernel_version", a.kernel_version}}},
      {"toolchain", {{"name", a.toolchain}, {"id", a.toolchain_id}, {"versions", toolchain::ToJson(a.versions)}}},
      {"variants", a.variants},
      {"rustflags",
       {{"requested", a.requested_rustflags},
        {"effective_core", a.effective_rustflags_core},
        {"effective_kernel", a.effective_rustflags_kernel}}},
      {"config_sha256", a.config_sha256},
      {"absent_symbols", a.absent_symbols},
      {"build_seconds", a.build_seconds},
      {"rebuild", ToJson(a.rebuild)},
      {"sizes", {{"vmlinux", ToJson(a.vmlinux_sizes)}, {"rust", ToJson(a.rust_sizes)}, {"rust_objects", objects}}},
      {"created_at", a.created_at},
  };
}

Result<Artifact> ArtifactFromJson(const json& j, const fs::path& dir) {
  try {
    Artifact a;
    a.dir = dir;
    a.key = j.at("key").get<std::string>();
    a.build_key = j.value("build_key", "");
    a.tree_key = j.value("tree_key", "");
    const auto& files = j.at("files");
    a.image = Abs(files, "image", dir);
    a.vmlinux = Abs(files, "vmlinux", dir);
    a.config = Abs(files, "config", dir);
    a.system_map = Abs(files, "system_map", dir);
    a.build_log = Abs(files, "build_log", dir);
    a.arch = j.value("arch", "");
    const auto& src = j.at("source");
    a.source_spec = src.value("spec", "");
    a.source_id = src.value("id", "");
    a.kernel_version = src.value("kernel_version", "");
    const auto& tc = j.at("toolchain");
    a.toolchain = tc.value("name", "");
    a.toolchain_id = tc.value("id", "");
    a.versions = toolchain::VersionsFromJson(tc.value("versions", json::object()));
    a.variants = j.value("variants", std::vector<std::string>{});
    const auto& rf = j.at("rustflags");
    a.requested_rustflags = rf.value("requested", std::vector<std::string>{});
    a.effective_rustflags_core = rf.value("effective_core", std::vector<std::string>{});
    a.effective_rustflags_kernel = rf.value("effective_kernel", std::vector<std::string>{});
    a.config_sha256 = j.value("config_sha256", "");
    a.absent_symbols = j.value("absent_symbols", std::vector<std::string>{});
    a.build_seconds = j.value("build_seconds", 0.0);
    a.rebuild = RebuildFromJson(j.value("rebuild", json::object()));
    const auto& sizes = j.at("sizes");
    a.vmlinux_sizes = ElfSizesFromJson(sizes.value("vmlinux", json::object()));
    a.rust_sizes = ElfSizesFromJson(sizes.value("rust", json::object()));
    for (const auto& o : sizes.value("rust_objects", json::array())) {
      a.rust_objects.push_back(ObjectSizes{o.at("path").get<std::string>(), ElfSizesFromJson(o.at("sizes"))});
    }
    a.created_at = j.value("created_at", int64_t{0});
    return a;
  } catch (const json::exception& e) {
    return Fail("artifact metadata in {}: {}", dir.string(), e.what());
  }
}

Result<Artifact> LoadArtifact(const fs::path& dir) {
  auto text = ReadFile(dir / "metadata.json");
  if (!text) return Fail(text.error());
  json j;
  try {
    j = json::parse(*text);
  } catch (const json::exception& e) {
    return Fail("{}: {}", (dir / "metadata.json").string(), e.what());
  }
  auto a = ArtifactFromJson(j, dir);
  if (!a) return a;
  if (a->image.empty() || !fs::exists(a->image)) return Fail("artifact {}: kernel image missing", dir.string());
  return a;
}

std::vector<fs::path> RustObjectCopies(const Artifact& a) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& o : a.rust_objects) {
    fs::path p = a.dir / kRustObjectsDir / o.path;
    if (fs::is_regular_file(p, ec)) out.push_back(std::move(p));
  }
  return out;
}

std::string ArtifactKey(const scenario::BuildSpec& spec, const std::string& source_id, const std::string& toolchain_id) {
  return KeyHasher().Add("artifact-v3").Add(spec.key).Add(source_id).Add(toolchain_id).Short();
}

fs::path ArtifactsDir(const fs::path& cache_dir) { return cache_dir / "artifacts"; }

std::optional<Artifact> LookupCachedArtifact(const scenario::BuildSpec& spec, const fs::path& cache_dir) {
  auto source = FindPreparedSource(spec.source, cache_dir);
  if (!source) return std::nullopt;
  std::string toolchain_id;
  if (spec.toolchain == toolchain::kHostToolchain) {
    auto tc = toolchain::Provision(cache_dir, DataDir(), spec.toolchain, DefaultRunner());
    if (!tc) return std::nullopt;
    toolchain_id = tc->id;
  } else {
    auto tc = toolchain::FindProvisioned(cache_dir, DataDir(), spec.toolchain);
    if (!tc) return std::nullopt;
    toolchain_id = tc->id;
  }
  auto a = LoadArtifact(ArtifactsDir(cache_dir) / ArtifactKey(spec, source->id, toolchain_id));
  if (!a) return std::nullopt;
  return *a;
}

}  // namespace rfl::kernel

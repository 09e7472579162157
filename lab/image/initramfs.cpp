#include "lab/image/initramfs.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cstdlib>
#include <fstream>
#include <memory>

#include "lab/util/build_info.h"
#include "lab/util/hash.h"
#include "lab/util/paths.h"

namespace rfl::image {
namespace {

// Bump when the base layout changes, so cached bases are rebuilt.
constexpr std::string_view kBaseLayoutVersion = "base-v1";

std::string_view AgentArchDir(Arch arch) {
  switch (arch) {
    case Arch::kX86_64: return "x86_64";
    case Arch::kArm64: return "arm64";
    case Arch::kRiscv64: return "riscv64";
  }
  return "x86_64";
}

// An in-memory newc+gzip writer; every entry owned by root, mtime 0, so the
// same inputs give the same bytes.
class CpioWriter {
 public:
  CpioWriter() : a_(archive_write_new(), &archive_write_free) {}

  Status Open() {
    if (archive_write_set_format_cpio_newc(a_.get()) != ARCHIVE_OK ||
        archive_write_add_filter_gzip(a_.get()) != ARCHIVE_OK ||
        // No timestamp or name in the gzip header: reproducible bytes.
        archive_write_set_filter_option(a_.get(), "gzip", "timestamp", nullptr) < ARCHIVE_WARN ||
        archive_write_set_bytes_in_last_block(a_.get(), 1) != ARCHIVE_OK ||
        archive_write_open(a_.get(), this, nullptr, &CpioWriter::Write, nullptr) != ARCHIVE_OK) {
      return Fail("libarchive: {}", Why());
    }
    return {};
  }

  Status Dir(const char* path) { return Add(path, AE_IFDIR | 0755, {}, 0); }
  Status CharDev(const char* path, unsigned maj, unsigned min, mode_t perm) {
    return Add(path, AE_IFCHR | perm, {}, makedev(maj, min));
  }
  Status File(const char* path, mode_t perm, std::string_view data) { return Add(path, AE_IFREG | perm, data, 0); }

  Result<std::string> Finish() {
    if (archive_write_close(a_.get()) != ARCHIVE_OK) return Fail("libarchive close: {}", Why());
    return std::move(bytes_);
  }

 private:
  static la_ssize_t Write(struct archive*, void* self, const void* buf, size_t n) {
    static_cast<CpioWriter*>(self)->bytes_.append(static_cast<const char*>(buf), n);
    return static_cast<la_ssize_t>(n);
  }
  std::string Why() {
    const char* e = archive_error_string(a_.get());
    return e ? e : "unknown error";
  }
  Status Add(const char* path, mode_t mode, std::string_view data, dev_t rdev) {
    std::unique_ptr<archive_entry, decltype(&archive_entry_free)> e(archive_entry_new(), &archive_entry_free);
    archive_entry_set_pathname(e.get(), path);
    archive_entry_set_mode(e.get(), mode);
    archive_entry_set_uid(e.get(), 0);
    archive_entry_set_gid(e.get(), 0);
    archive_entry_set_mtime(e.get(), 0, 0);
    archive_entry_set_nlink(e.get(), (mode & AE_IFMT) == AE_IFDIR ? 2 : 1);
    archive_entry_set_ino(e.get(), ++ino_);
    if (rdev != 0) archive_entry_set_rdev(e.get(), rdev);
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(data.size()));
    if (archive_write_header(a_.get(), e.get()) != ARCHIVE_OK) return Fail("libarchive header {}: {}", path, Why());
    if (!data.empty() &&
        archive_write_data(a_.get(), data.data(), data.size()) != static_cast<la_ssize_t>(data.size())) {
      return Fail("libarchive data {}: {}", path, Why());
    }
    return {};
  }

  std::unique_ptr<struct archive, decltype(&archive_write_free)> a_;
  std::string bytes_;
  int64_t ino_ = 0;
};

#define RFL_TRY(expr)                                  \
  do {                                                 \
    if (auto st_ = (expr); !st_) return Fail(st_.error()); \
  } while (0)

}  // namespace

std::filesystem::path AgentBinary(Arch arch) {
  std::filesystem::path dir = build_info::kAgentDir;
  if (const char* env = std::getenv("RFL_LAB_AGENT_DIR"); env && *env) dir = env;
  return dir / AgentArchDir(arch) / "rfl-agent";
}

Result<std::filesystem::path> BaseArchive(const std::filesystem::path& agent, const std::filesystem::path& cache_dir) {
  auto agent_hash = Sha256File(agent);
  if (!agent_hash) {
    return Fail(agent_hash.error().Wrap("guest agent " + agent.string() + " (build target 'agents')"));
  }
  std::string key = KeyHasher().Add(kBaseLayoutVersion).Add(*agent_hash).Short();
  std::filesystem::path dir = cache_dir / "initramfs";
  std::filesystem::path base = dir / ("base-" + key + ".cpio.gz");
  std::error_code ec;
  if (std::filesystem::exists(base, ec)) return base;

  auto binary = ReadFile(agent);
  if (!binary) return Fail(binary.error());
  CpioWriter w;
  RFL_TRY(w.Open());
  for (const char* d : {"dev", "proc", "sys", "tmp", "root"}) RFL_TRY(w.Dir(d));
  RFL_TRY(w.CharDev("dev/console", 5, 1, 0600));
  RFL_TRY(w.CharDev("dev/null", 1, 3, 0666));
  RFL_TRY(w.CharDev("dev/kmsg", 1, 11, 0644));
  RFL_TRY(w.File("init", 0755, *binary));
  auto bytes = w.Finish();
  if (!bytes) return Fail(bytes.error());
  RFL_TRY(EnsureDir(dir));
  RFL_TRY(WriteFileAtomic(base, *bytes));
  return base;
}

Result<std::string> PlanArchive(const agent::Plan& plan) {
  CpioWriter w;
  RFL_TRY(w.Open());
  RFL_TRY(w.File("plan.json", 0644, agent::SerializePlan(plan)));
  return w.Finish();
}

Result<std::filesystem::path> BuildInitramfsWithAgent(const std::filesystem::path& agent, const agent::Plan& plan,
                                                      const std::filesystem::path& cache_dir,
                                                      const std::filesystem::path& out) {
  auto base = BaseArchive(agent, cache_dir);
  if (!base) return Fail(base.error());
  auto tail = PlanArchive(plan);
  if (!tail) return Fail(tail.error());
  auto head = ReadFile(*base);
  if (!head) return Fail(head.error());
  if (out.has_parent_path()) RFL_TRY(EnsureDir(out.parent_path()));
  RFL_TRY(WriteFileAtomic(out, *head + *tail));
  return out;
}

Result<std::filesystem::path> BuildInitramfs(Arch arch, const agent::Plan& plan,
                                             const std::filesystem::path& cache_dir,
                                             const std::filesystem::path& out) {
  return BuildInitramfsWithAgent(AgentBinary(arch), plan, cache_dir, out);
}

}  // namespace rfl::image

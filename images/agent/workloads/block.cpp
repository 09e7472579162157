// block: O_DIRECT reads on rnull (Rust) and null_blk (C), both created
// through configfs. Unless `schedulers` says driver-default, the two get the
// same setup (images/agent/block_setup.h: null_blk takes rnull's fixed queue
// layout, both the same I/O scheduler), so the drivers' request paths are
// compared and not their defaults. Every configfs and queue attribute of each
// device is sent as an `attributes` record before its samples; the host
// checks the common ones for parity. A device the kernel lacks is skipped,
// not failed.
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "images/agent/block_setup.h"
#include "images/agent/percentile.h"
#include "images/agent/system.h"
#include "images/agent/workloads/workloads.h"

namespace rfl::agent {
namespace {

constexpr const char* kConfigfs = "/sys/kernel/config";

struct Device {
  std::string node;     // /dev/rnullb0
  std::string disk;     // rnullb0 (under /sys/block)
  std::string config;   // its configfs group
  std::string skipped;  // why not, when node is empty
  std::string error;    // set when creation failed (a failure, not a skip)
};

Device Skip(std::string why) { return {{}, {}, {}, std::move(why), {}}; }
Device Fail(std::string why) { return {{}, {}, {}, {}, std::move(why)}; }

// Writes one attribute; an absent optional attribute is tolerated (older
// kernels lack some).
std::string SetAttr(const std::string& dir, const AttrWrite& w) {
  std::string path = dir + "/" + w.name;
  if (!Exists(path)) return w.optional ? "" : "no attribute " + path;
  if (!WriteText(path, w.value)) return "writing " + w.value + " to " + path + ": " + ErrnoText();
  return {};
}

std::string SetAll(const std::string& dir, const std::vector<AttrWrite>& writes) {
  for (const auto& w : writes) {
    if (auto err = SetAttr(dir, w); !err.empty()) return err;
  }
  return {};
}

// Every readable regular file of `dir`, as "<prefix>/<name>" → its text on
// one line (at most 256 bytes).
void ReadAttributes(const std::string& dir, const std::string& prefix, std::map<std::string, std::string>& out) {
  for (const auto& name : ListDir(dir)) {
    std::string path = dir + "/" + name;
    struct stat st{};
    if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & S_IRUSR) == 0) continue;
    auto text = ReadText(path);
    if (!text) continue;
    std::string v = Trim(*text);
    for (char& c : v) {
      if (c == '\n' || c == '\t') c = ' ';
    }
    if (v.size() > 256) v.resize(256);
    out[prefix + "/" + name] = v;
  }
}

Device CreateRnull(const BlockParams& p, const std::string& scheduler, int index) {
  std::string root = std::string(kConfigfs) + "/rnull";
  if (!Exists(root)) return Skip("no " + root + " (kernel without BLK_DEV_RUST_NULL or CONFIGFS_FS)");
  std::string name = "rnullb" + std::to_string(index);
  std::string dir = root + "/" + name;
  if (!Exists(dir) && !MakeDirs(dir)) return Fail("mkdir " + dir + ": " + ErrnoText());
  BlockDeviceSetup setup = BlockSetup("rnull", p.block_size, p.size_mib, scheduler);
  if (auto err = SetAll(dir, setup.configfs); !err.empty()) return Fail(err);
  auto node = EnsureDevNode(name, "/sys/block/" + name + "/dev", true);
  if (!node) return Fail("no /dev/" + name + " after power=1");
  if (auto err = SetAll("/sys/block/" + name + "/queue", setup.queue); !err.empty()) return Fail(err);
  return {*node, name, dir, {}, {}};
}

Device CreateNullBlk(const BlockParams& p, const std::string& scheduler, int index) {
  std::string root = std::string(kConfigfs) + "/nullb";
  if (!Exists(root)) {
    // Module-parameter devices (nullb.nr_devices) without configfs.
    if (Exists("/sys/block/nullb0")) {
      auto node = EnsureDevNode("nullb0", "/sys/block/nullb0/dev", true);
      if (node) return {*node, "nullb0", {}, {}, {}};
    }
    return Skip("no " + root + " and no nullb0 (kernel without BLK_DEV_NULL_BLK)");
  }
  const std::string group = "rfl_nullb" + std::to_string(index);
  std::string dir = root + "/" + group;
  if (!Exists(dir) && !MakeDirs(dir)) return Fail("mkdir " + dir + ": " + ErrnoText());
  BlockDeviceSetup setup = BlockSetup("null_blk", p.block_size, p.size_mib, scheduler);
  if (auto err = SetAll(dir, setup.configfs); !err.empty()) return Fail(err);
  // Since 6.x the disk is named after the configfs group; older kernels
  // name it nullb<index>.
  std::string name = group;
  if (!Exists("/sys/block/" + name)) {
    auto index_text = ReadText(dir + "/index");
    if (!index_text) return Fail("no /sys/block/" + group + " and no " + dir + "/index");
    name = "nullb" + Trim(*index_text);
  }
  auto node = EnsureDevNode(name, "/sys/block/" + name + "/dev", true);
  if (!node) return Fail("no /dev/" + name + " after power=1");
  if (auto err = SetAll("/sys/block/" + name + "/queue", setup.queue); !err.empty()) return Fail(err);
  return {*node, name, dir, {}, {}};
}

// xorshift64*: deterministic offsets, so icount runs repeat exactly.
struct Rng {
  uint64_t s = 0x9E3779B97F4A7C15ull;
  uint64_t Next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 2685821657736338717ull;
  }
};

// Runs the reads; "" on success.
std::string Measure(const std::string& node, const BlockParams& p, const std::map<std::string, std::string>& labels,
                    Reporter& r) {
  int fd = open(node.c_str(), O_RDONLY | O_DIRECT | O_CLOEXEC);
  if (fd < 0) return "open " + node + " O_DIRECT: " + ErrnoText();
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{fd};
  uint64_t bytes = 0;
  if (ioctl(fd, BLKGETSIZE64, &bytes) != 0) return "BLKGETSIZE64: " + ErrnoText();
  uint64_t blocks = bytes / p.block_size;
  if (blocks == 0) return node + " is empty";
  void* raw = nullptr;
  if (posix_memalign(&raw, 4096, p.block_size) != 0) return "posix_memalign failed";
  std::unique_ptr<void, decltype(&std::free)> buf(raw, &std::free);

  Rng rng;
  uint64_t next_block = 0;
  auto offset = [&]() -> off_t {
    uint64_t b = p.pattern == "read" ? next_block++ % blocks : rng.Next() % blocks;
    return static_cast<off_t>(b * p.block_size);
  };
  int warmup = std::min(p.ios / 10, 1000);
  for (int i = 0; i < warmup; ++i) {
    if (pread(fd, buf.get(), p.block_size, offset()) != static_cast<ssize_t>(p.block_size)) {
      return "read: " + ErrnoText();
    }
  }
  std::vector<double> lat;
  lat.reserve(static_cast<size_t>(p.ios));
  double start = MonotonicSeconds();
  for (int i = 0; i < p.ios; ++i) {
    off_t off = offset();
    double t0 = MonotonicSeconds();
    ssize_t n = pread(fd, buf.get(), p.block_size, off);
    double t1 = MonotonicSeconds();
    if (n != static_cast<ssize_t>(p.block_size)) return "read at " + std::to_string(off) + ": " + ErrnoText();
    lat.push_back(t1 - t0);
  }
  double elapsed = MonotonicSeconds() - start;
  Summary s = Summarize(lat);
  r.AddSample("iops", Unit::kOpsPerSecond, static_cast<double>(s.count) / elapsed, labels);
  r.AddSample("latency_p50", Unit::kSeconds, s.p50, labels);
  r.AddSample("latency_p99", Unit::kSeconds, s.p99, labels);
  r.AddSample("latency_mean", Unit::kSeconds, s.mean, labels);
  if (p.profile_period_ns > 0) {
    // The same reads again under the sampler, after the measured pass:
    // sampling must not touch the samples above (images/agent/profile.h).
    KernelProfiler profiler;
    for (const auto& w : profiler.Start(p.profile_period_ns)) r.AddLog("warn", "profile: " + w);
    for (int i = 0; i < p.ios; ++i) {
      off_t off = offset();
      if (pread(fd, buf.get(), p.block_size, off) != static_cast<ssize_t>(p.block_size)) {
        return "profiled read at " + std::to_string(off) + ": " + ErrnoText();
      }
      profiler.Tick();  // the dephasing spin, between reads
    }
    if (profiler.running()) r.AddProfile(labels, profiler.Stop());
  }
  return {};
}

}  // namespace

Outcome RunBlock(const BlockParams& p, Reporter& r) {
  ReportClockResolution(r);
  if (auto err = SetSchedPolicy(p.sched); !err.empty()) return Outcome::Failed(err);
  std::vector<std::string> failures, skips, measured;
  for (size_t i = 0; i < p.schedulers.size(); ++i) {
    const std::string& scheduler = p.schedulers[i];
    for (const auto& device : p.devices) {
      std::string subject = device + " (scheduler " + scheduler + ")";
      Device d = device == "rnull" ? CreateRnull(p, scheduler, static_cast<int>(i))
                                   : CreateNullBlk(p, scheduler, static_cast<int>(i));
      if (!d.error.empty()) {
        failures.push_back(subject + ": " + d.error);
        continue;
      }
      if (d.node.empty()) {
        // The same reason for every scheduler: say it once.
        if (i == 0) {
          skips.push_back(device + ": " + d.skipped);
          r.AddLog("info", "skipped " + device + ": " + d.skipped);
        }
        continue;
      }
      std::map<std::string, std::string> labels{{"device", device},
                                                {"pattern", p.pattern},
                                                {"block_size", std::to_string(p.block_size)},
                                                {"scheduler", scheduler}};
      std::map<std::string, std::string> attrs;
      if (!d.config.empty()) ReadAttributes(d.config, "configfs", attrs);
      ReadAttributes("/sys/block/" + d.disk + "/queue", "queue", attrs);
      r.AddAttributes(labels, std::move(attrs));
      if (auto err = Measure(d.node, p, labels, r); !err.empty()) {
        failures.push_back(subject + ": " + err);
        continue;
      }
      measured.push_back(p.schedulers.size() > 1 ? subject : device);
    }
  }
  auto join = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : "; ") + s;
    return out;
  };
  if (!failures.empty()) return Outcome::Failed(join(failures));
  if (measured.empty()) return Outcome::Skipped(join(skips));
  std::string reason = "measured " + join(measured);
  if (!skips.empty()) reason += "; skipped " + join(skips);
  return Outcome::Passed(reason);
}

}  // namespace rfl::agent

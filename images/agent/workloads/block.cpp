// block: O_DIRECT reads on rnull (Rust) and null_blk (C), both created
// through configfs with the same geometry and no completion interrupt
// emulation (irqmode 0), so the drivers' request paths are compared and not
// their defaults. A device the kernel lacks is skipped, not failed.
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "images/agent/percentile.h"
#include "images/agent/system.h"
#include "images/agent/workloads/workloads.h"

namespace rfl::agent {
namespace {

constexpr const char* kConfigfs = "/sys/kernel/config";

struct Device {
  std::string node;     // /dev/rnullb0
  std::string skipped;  // why not, when node is empty
  std::string error;    // set when creation failed (a failure, not a skip)
};

// Writes one configfs attribute; an absent attribute is tolerated when
// `optional` (older kernels lack some).
std::string SetAttr(const std::string& dir, const std::string& name, const std::string& value, bool optional) {
  std::string path = dir + "/" + name;
  if (!Exists(path)) return optional ? "" : "no attribute " + path;
  if (!WriteText(path, value)) return "writing " + value + " to " + path + ": " + ErrnoText();
  return {};
}

Device CreateRnull(const BlockParams& p) {
  std::string root = std::string(kConfigfs) + "/rnull";
  if (!Exists(root)) return {{}, "no " + root + " (kernel without BLK_DEV_RUST_NULL or CONFIGFS_FS)", {}};
  std::string name = "rnullb0";
  std::string dir = root + "/" + name;
  if (!Exists(dir) && !MakeDirs(dir)) return {{}, {}, "mkdir " + dir + ": " + ErrnoText()};
  for (auto [attr, value, optional] :
       {std::tuple{"blocksize", std::to_string(p.block_size), false},
        std::tuple{"size", std::to_string(p.size_mib), false}, std::tuple{"irqmode", std::string("0"), true},
        std::tuple{"power", std::string("1"), false}}) {
    if (auto err = SetAttr(dir, attr, value, optional); !err.empty()) return {{}, {}, err};
  }
  auto node = EnsureDevNode(name, "/sys/block/" + name + "/dev", true);
  if (!node) return {{}, {}, "no /dev/" + name + " after power=1"};
  return {*node, {}, {}};
}

Device CreateNullBlk(const BlockParams& p) {
  std::string root = std::string(kConfigfs) + "/nullb";
  if (!Exists(root)) {
    // Module-parameter devices (nullb.nr_devices) without configfs.
    if (Exists("/sys/block/nullb0")) {
      auto node = EnsureDevNode("nullb0", "/sys/block/nullb0/dev", true);
      if (node) return {*node, {}, {}};
    }
    return {{}, "no " + root + " and no nullb0 (kernel without BLK_DEV_NULL_BLK)", {}};
  }
  const std::string group = "rfl_nullb";
  std::string dir = root + "/" + group;
  if (!Exists(dir) && !MakeDirs(dir)) return {{}, {}, "mkdir " + dir + ": " + ErrnoText()};
  for (auto [attr, value, optional] :
       {std::tuple{"blocksize", std::to_string(p.block_size), false},
        std::tuple{"size", std::to_string(p.size_mib), false}, std::tuple{"irqmode", std::string("0"), true},
        std::tuple{"memory_backed", std::string("0"), true}, std::tuple{"power", std::string("1"), false}}) {
    if (auto err = SetAttr(dir, attr, value, optional); !err.empty()) return {{}, {}, err};
  }
  // Since 6.x the disk is named after the configfs group; older kernels
  // name it nullb<index>.
  std::string name = group;
  if (!Exists("/sys/block/" + name)) {
    auto index = ReadText(dir + "/index");
    if (!index) return {{}, {}, "no /sys/block/" + group + " and no " + dir + "/index"};
    name = "nullb" + Trim(*index);
  }
  auto node = EnsureDevNode(name, "/sys/block/" + name + "/dev", true);
  if (!node) return {{}, {}, "no /dev/" + name + " after power=1"};
  return {*node, {}, {}};
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
std::string Measure(const std::string& device, const std::string& node, const BlockParams& p, Reporter& r) {
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
  std::map<std::string, std::string> labels{
      {"device", device}, {"pattern", p.pattern}, {"block_size", std::to_string(p.block_size)}};
  r.AddSample("iops", Unit::kOpsPerSecond, static_cast<double>(s.count) / elapsed, labels);
  r.AddSample("latency_p50", Unit::kSeconds, s.p50, labels);
  r.AddSample("latency_p99", Unit::kSeconds, s.p99, labels);
  r.AddSample("latency_mean", Unit::kSeconds, s.mean, labels);
  return {};
}

}  // namespace

Outcome RunBlock(const BlockParams& p, Reporter& r) {
  ReportClockResolution(r);
  if (auto err = SetSchedPolicy(p.sched); !err.empty()) return Outcome::Failed(err);
  std::vector<std::string> failures, skips, measured;
  for (const auto& device : p.devices) {
    Device d = device == "rnull" ? CreateRnull(p) : CreateNullBlk(p);
    if (!d.error.empty()) {
      failures.push_back(device + ": " + d.error);
      continue;
    }
    if (d.node.empty()) {
      skips.push_back(device + ": " + d.skipped);
      r.AddLog("info", "skipped " + device + ": " + d.skipped);
      continue;
    }
    if (auto err = Measure(device, d.node, p, r); !err.empty()) {
      failures.push_back(device + ": " + err);
      continue;
    }
    measured.push_back(device);
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

#pragma once
// Guest-side system helpers for the agent (not part of agent_core_host):
// files, mounts, device nodes, clocks, the kernel log.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rfl::agent {

double BoottimeSeconds();   // CLOCK_BOOTTIME
double MonotonicSeconds();  // CLOCK_MONOTONIC

std::optional<std::string> ReadText(const std::string& path);
// Writes `text` to an existing file (sysfs/configfs attribute); false + errno.
bool WriteText(const std::string& path, const std::string& text);
bool Exists(const std::string& path);
std::vector<std::string> ListDir(const std::string& dir);  // names, no . or ..
std::string Trim(std::string s);
std::string ErrnoText();

// mkdir -p (mode 0755); true if it exists afterwards.
bool MakeDirs(const std::string& path);
// mount(2) with a readable result: "" on success, else the error.
std::string Mount(const std::string& source, const std::string& target, const std::string& type,
                  unsigned long flags = 0, const std::string& data = {});

// Makes sure /dev/<name> exists for a device listed in sysfs: waits up to
// `wait_s` for devtmpfs, then creates it with mknod from `sysfs_dev_file`
// ("MAJ:MIN"). Returns the node path or nullopt.
std::optional<std::string> EnsureDevNode(const std::string& name, const std::string& sysfs_dev_file,
                                         bool block, double wait_s = 2.0);

// One /dev/kmsg record.
struct KmsgRecord {
  uint64_t seq = 0;
  double timestamp_s = 0;  // seconds since boot (the kernel's printk clock)
  std::string message;
};
// Everything currently in the kernel log buffer (non-blocking read).
std::vector<KmsgRecord> ReadKmsg();

// The calling process's scheduling policy for a workload: "other" leaves
// SCHED_OTHER; "fifo" switches to SCHED_FIFO priority 50, inherited by the
// children it forks. "" on success, else the error.
std::string SetSchedPolicy(const std::string& sched);

// Writes all of `data` to fd, waiting at most `timeout_s` for it to become
// writable each time it would block. False on error or timeout.
bool WriteAll(int fd, const char* data, size_t size, double timeout_s);

}  // namespace rfl::agent

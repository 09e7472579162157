#pragma once
// The hypervisor boundary: boot one kernel in a fresh transient VM and report
// how it ended. The real implementation drives QEMU through libvirt (any
// URI; by default the embedded driver, no daemon); unit tests may fake it.
//
// Guarantees of Boot(): the VM is destroyed on every exit path (return,
// error, timeout, silence, BootRequest::stop); every wait is
// bounded by BootRequest::timeout; the console file and the agent bytes are
// complete when it returns. Boot() may be called from several threads at once
// on one Hypervisor (one VM each).
#include <filesystem>
#include <memory>
#include <string>

#include "lab/util/result.h"
#include "lab/vm/boot.h"

namespace rfl::vm {

class Hypervisor {
 public:
  virtual ~Hypervisor() = default;
  [[nodiscard]] virtual Result<BootResult> Boot(const BootRequest& request) = 0;
  // The connection URI, for messages and the run's record.
  virtual std::string Uri() const = 0;
  // The `--backend` this is ("libvirt" | "lava"), stored with each run.
  virtual std::string Backend() const = 0;
  // "libvirt 9.0.0" and what the connection says about itself.
  [[nodiscard]] virtual Result<std::string> Describe() = 0;
  // True when guests run on other machines (LAVA workers): acceleration is
  // not probed here (accel.h), and wall-clock metrics belong to the worker
  // that measured them (BootResult::worker).
  virtual bool Remote() const { return false; }
};

// qemu:///embed?root=<state dir>/libvirt (the root path percent-encoded).
std::string DefaultConnectUri(const std::filesystem::path& state_dir);

// Writes <root>/etc/qemu.conf for the embedded driver: run QEMU as root
// without mount namespaces and write chardev files directly (no virtlogd).
// Keeps an existing file that already says the same.
Status PrepareEmbeddedRoot(const std::filesystem::path& root);

// Opens a libvirt connection. For a qemu:///embed URI the root is prepared
// first (PrepareEmbeddedRoot). The embedded driver locks its root: only one
// process at a time can open a given state dir's root, so a process opens it
// once and shares the Hypervisor between its threads.
[[nodiscard]] Result<std::unique_ptr<Hypervisor>> OpenLibvirt(const std::string& uri);

}  // namespace rfl::vm

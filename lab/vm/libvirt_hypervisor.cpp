// The libvirt implementation of Hypervisor. One connection per Hypervisor;
// one transient domain per boot, owned by a DomainHandle (and created with
// AUTODESTROY where the driver supports it, so closing the connection also
// ends any VM left behind). Lifecycle events arrive on
// libvirt's default event loop, run by one process-wide thread; the booting
// thread polls them together with the console file, the agent socket
// (Boost.Asio), the deadline and Ctrl-C every few milliseconds.
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <fmt/format.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "lab/util/cancel.h"
#include "lab/util/log.h"
#include "lab/util/paths.h"
#include "lab/util/temp_dir.h"
#include "lab/util/process.h"
#include "lab/vm/arch_profile.h"
#include "lab/vm/domain_xml.h"
#include "lab/vm/guest_clock.h"
#include "lab/vm/hypervisor.h"

namespace rfl::vm {
namespace fs = std::filesystem;
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

std::string LastLibvirtError() {
  const char* msg = virGetLastErrorMessage();
  return msg ? msg : "unknown libvirt error";
}

// libvirt prints every error to stderr by default; the lab reports them itself.
void QuietLibvirtError(void*, virErrorPtr) {}

// libvirt's default event loop, started once per process before the first
// connection opens (libvirt requires that order).
// `log_file`: where libvirt's own warnings go (it prints them on stderr by
// default, interleaved with the lab's output); LIBVIRT_LOG_OUTPUTS wins.
void EnsureEventLoop(const fs::path& log_file) {
  static std::once_flag once;
  std::call_once(once, [&] {
    if (std::getenv("LIBVIRT_LOG_OUTPUTS") == nullptr) {
      std::string outputs = log_file.empty() ? "4:stderr" : "3:file:" + log_file.string();
      setenv("LIBVIRT_LOG_OUTPUTS", outputs.c_str(), 0);
    }
    virSetErrorFunc(nullptr, QuietLibvirtError);
    if (virEventRegisterDefaultImpl() < 0) {
      spdlog::warn("libvirt event loop: {}", LastLibvirtError());
      return;
    }
    std::thread([] {
      while (true) virEventRunDefaultImpl();
    }).detach();
  });
}

std::string PercentEncode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

// Owns a running transient domain: destroyed and freed on every exit path.
class DomainHandle {
 public:
  explicit DomainHandle(virDomainPtr d) : domain_(d) {}
  DomainHandle(const DomainHandle&) = delete;
  DomainHandle& operator=(const DomainHandle&) = delete;
  ~DomainHandle() {
    Destroy();
    if (domain_ != nullptr) virDomainFree(domain_);
  }
  bool Active() const { return domain_ != nullptr && virDomainIsActive(domain_) == 1; }
  void Destroy() {
    if (domain_ == nullptr) return;
    // A transient domain disappears once destroyed; errors mean it is gone.
    if (virDomainIsActive(domain_) == 1) virDomainDestroy(domain_);
  }

 private:
  virDomainPtr domain_;
};

// What the event thread learned about one domain.
struct EventState {
  std::mutex mutex;
  std::string name;
  bool stopped = false;
  bool crashed = false;
  std::string detail;
};

// The domains of one connection that wait for lifecycle events. libvirt
// tracks a callback by (connection, domain, event, function) and refuses the
// same one twice ("event callback already tracked"), so a connection has one
// callback for every domain and it hands each event to the domain's state:
// concurrent boots on one connection (--parallel) each get their events.
class EventRouter {
 public:
  void Add(const std::shared_ptr<EventState>& s) {
    std::lock_guard lock(mutex_);
    by_name_[s->name] = s;
  }
  void Remove(const std::string& name) {
    std::lock_guard lock(mutex_);
    by_name_.erase(name);
  }
  std::shared_ptr<EventState> Find(const char* name) {
    std::lock_guard lock(mutex_);
    auto it = name ? by_name_.find(name) : by_name_.end();
    return it == by_name_.end() ? nullptr : it->second;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<EventState>> by_name_;
};

const char* LifecycleName(int event) {
  switch (event) {
    case VIR_DOMAIN_EVENT_DEFINED: return "defined";
    case VIR_DOMAIN_EVENT_UNDEFINED: return "undefined";
    case VIR_DOMAIN_EVENT_STARTED: return "started";
    case VIR_DOMAIN_EVENT_SUSPENDED: return "suspended";
    case VIR_DOMAIN_EVENT_RESUMED: return "resumed";
    case VIR_DOMAIN_EVENT_STOPPED: return "stopped";
    case VIR_DOMAIN_EVENT_SHUTDOWN: return "shutdown";
    case VIR_DOMAIN_EVENT_PMSUSPENDED: return "pmsuspended";
    case VIR_DOMAIN_EVENT_CRASHED: return "crashed";
    default: return "event";
  }
}

const char* StoppedDetailName(int detail) {
  switch (detail) {
    case VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN: return "shutdown";
    case VIR_DOMAIN_EVENT_STOPPED_DESTROYED: return "destroyed";
    case VIR_DOMAIN_EVENT_STOPPED_CRASHED: return "crashed";
    case VIR_DOMAIN_EVENT_STOPPED_FAILED: return "failed";
    default: return "other";
  }
}

int OnLifecycle(virConnectPtr, virDomainPtr dom, int event, int detail, void* opaque) {
  auto state = static_cast<std::shared_ptr<EventRouter>*>(opaque)->get()->Find(virDomainGetName(dom));
  if (!state) return 0;  // not a domain of ours (or its boot is over)
  std::lock_guard lock(state->mutex);
  std::string what = LifecycleName(event);
  if (event == VIR_DOMAIN_EVENT_STOPPED) what += fmt::format("/{}", StoppedDetailName(detail));
  if (event == VIR_DOMAIN_EVENT_SHUTDOWN && detail == VIR_DOMAIN_EVENT_SHUTDOWN_GUEST) what += "/guest";
  if (!state->detail.empty()) state->detail += ", ";
  state->detail += what;
  if (event == VIR_DOMAIN_EVENT_CRASHED ||
      (event == VIR_DOMAIN_EVENT_STOPPED &&
       (detail == VIR_DOMAIN_EVENT_STOPPED_CRASHED || detail == VIR_DOMAIN_EVENT_STOPPED_FAILED))) {
    state->crashed = true;
  }
  if (event == VIR_DOMAIN_EVENT_STOPPED) state->stopped = true;
  return 0;
}

void FreeOpaque(void* opaque) { delete static_cast<std::shared_ptr<EventRouter>*>(opaque); }

std::string UniqueName(const std::string& prefix) {
  static std::atomic<unsigned> counter{0};
  static thread_local std::mt19937 rng{std::random_device{}()};
  return fmt::format("{}-{}-{}-{:06x}", prefix.empty() ? "rfl-lab" : prefix, getpid(), counter++,
                     rng() & 0xffffff);
}

// Reads the agent's virtio-serial stream: QEMU connects to this socket when
// the domain starts; every byte is kept and complete lines are handed out.
class AgentChannel {
 public:
  AgentChannel(asio::io_context& io, const fs::path& path)
      : acceptor_(io, asio::local::stream_protocol::endpoint(path.string())), socket_(io) {
    acceptor_.async_accept(socket_, [this](const boost::system::error_code& ec) {
      if (ec) {
        closed_ = true;
        return;
      }
      ReadMore();
    });
  }
  // Bytes since the last call, "" when none.
  std::string TakeNew() { return std::exchange(fresh_, {}); }
  bool closed() const { return closed_; }
  void Close() {
    boost::system::error_code ec;
    acceptor_.close(ec);
    socket_.close(ec);
  }

 private:
  void ReadMore() {
    socket_.async_read_some(asio::buffer(buf_), [this](const boost::system::error_code& ec, size_t n) {
      if (n > 0) fresh_.append(buf_.data(), n);
      if (ec) {
        closed_ = true;
        return;
      }
      ReadMore();
    });
  }
  asio::local::stream_protocol::acceptor acceptor_;
  asio::local::stream_protocol::socket socket_;
  std::array<char, 16384> buf_{};
  std::string fresh_;
  bool closed_ = false;
};

uint64_t FileSize(const fs::path& p) {
  struct stat st {};
  if (stat(p.c_str(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.st_size);
}

// The embedded driver's QEMUs are daemons: the guests' (libvirt forks twice)
// and the capability probe's (`-daemonize`) are reparented when their first
// process exits. When a QEMU ends, libvirt sends it SIGTERM and then waits,
// polling every 200 ms, until the process is gone, and a process is gone
// only once its parent has reaped it. Reparented to PID 1, that is PID 1's
// pace: on this machine kind's init (not systemd) about 2 s after the exit,
// measured: every boot ended ~1.8 s after its QEMU had (libvirt's debug log:
// "terminating on signal 15" at 34.776, qemuProcessStop at 36.585).
// So with the first embedded connection the lab becomes the child subreaper
// of what it starts (PR_SET_CHILD_SUBREAPER): those QEMUs are reparented to
// the lab, and this thread reaps them the moment they exit — only them: the
// pids in the pid files libvirt keeps for its daemons (<root>/run/qemu/
// <domain>.pid, <root>/lib/qemu/qmp-*/qmp.pid), never a process someone
// waits for. Without the probe's, a subreaper made every first boot of a
// state dir wait 40 s for a probe QEMU nobody reaped. Orphans of other
// processes the lab started (a killed make's children) are reaped by no one
// until the lab exits; they hold a process-table slot and nothing else.
class DaemonReaper {
 public:
  static void Watch(const fs::path& root) {
    static DaemonReaper reaper;
    std::lock_guard lock(reaper.mutex_);
    if (std::find(reaper.roots_.begin(), reaper.roots_.end(), root) != reaper.roots_.end()) return;
    reaper.roots_.push_back(root);
    (void)prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    if (!reaper.thread_.joinable()) reaper.thread_ = std::jthread([&](std::stop_token stop) { reaper.Run(stop); });
  }

 private:
  void Run(const std::stop_token& stop) {
    // QEMU removes its own pid file when it exits, so a pid is remembered
    // from the moment its file is seen until it is reaped (or is not ours).
    std::set<pid_t> known;
    while (!stop.stop_requested()) {
      std::vector<fs::path> roots;
      {
        std::lock_guard lock(mutex_);
        roots = roots_;
      }
      for (const auto& root : roots) {
        try {  // libvirt removes these files and directories as it goes
          std::error_code ec;
          for (const auto& e : fs::directory_iterator(root / "run" / "qemu", ec)) {
            if (e.path().extension() == ".pid" && e.path().filename() != "driver.pid") Remember(e.path(), known);
          }
          for (const auto& e : fs::directory_iterator(root / "lib" / "qemu", ec)) {
            if (e.path().filename().string().starts_with("qmp-")) Remember(e.path() / "qmp.pid", known);
          }
        } catch (const fs::filesystem_error&) {
        }
      }
      for (auto it = known.begin(); it != known.end();) {
        int status = 0;
        pid_t r = waitpid(*it, &status, WNOHANG);
        // Reaped, or not the lab's child (ECHILD): forget it.
        it = (r == *it || (r < 0 && errno != EINTR)) ? known.erase(it) : std::next(it);
      }
      std::this_thread::sleep_for(milliseconds(10));
    }
  }
  static void Remember(const fs::path& pid_file, std::set<pid_t>& known) {
    auto text = ReadFile(pid_file);
    if (!text) return;
    pid_t pid = static_cast<pid_t>(std::atol(text->c_str()));
    if (pid > 1 && pid != getpid()) known.insert(pid);
  }

  std::mutex mutex_;
  std::vector<fs::path> roots_;
  std::jthread thread_;
};

class LibvirtHypervisor final : public Hypervisor {
 public:
  LibvirtHypervisor(std::string uri, virConnectPtr conn, std::shared_ptr<EventRouter> events, int callback_id)
      : uri_(std::move(uri)), conn_(conn), events_(std::move(events)), callback_id_(callback_id) {}
  LibvirtHypervisor(const LibvirtHypervisor&) = delete;
  LibvirtHypervisor& operator=(const LibvirtHypervisor&) = delete;
  ~LibvirtHypervisor() override {
    if (conn_ == nullptr) return;
    virConnectDomainEventDeregisterAny(conn_, callback_id_);
    virConnectClose(conn_);
  }
  std::string Uri() const override { return uri_; }
  std::string Backend() const override { return "libvirt"; }

  Result<std::string> Describe() override {
    unsigned long lib = 0;
    unsigned long hv = 0;
    if (virConnectGetLibVersion(conn_, &lib) < 0) return Fail("libvirt version: {}", LastLibvirtError());
    std::string out = fmt::format("libvirt {}.{}.{}", lib / 1000000, (lib / 1000) % 1000, lib % 1000);
    if (virConnectGetVersion(conn_, &hv) == 0 && hv != 0) {
      out += fmt::format(", hypervisor {}.{}.{}", hv / 1000000, (hv / 1000) % 1000, hv % 1000);
    }
    return out;
  }

  Result<BootResult> Boot(const BootRequest& req) override;

 private:
  std::string uri_;
  virConnectPtr conn_;
  std::shared_ptr<EventRouter> events_;  // lifecycle events of every domain we boot
  int callback_id_ = -1;
};

Result<BootResult> LibvirtHypervisor::Boot(const BootRequest& req) {
  const auto start = Clock::now();
  auto since_start = [&] { return Seconds(Clock::now() - start); };
  const ArchProfile& profile = ProfileFor(req.arch);

  DomainSpec spec;
  spec.name = UniqueName(req.name_prefix);
  spec.profile = &profile;
  auto emulator = FindProgram(profile.emulator);
  if (!emulator) return Fail("{} not found on PATH (install qemu-system for {})", profile.emulator, ArchName(req.arch));
  spec.emulator = fs::absolute(*emulator);
  std::error_code ec;
  if (!fs::is_regular_file(req.kernel, ec)) return FailAs(Error::Kind::kNotFound, "kernel image {} not found", req.kernel.string());
  spec.kernel = fs::absolute(req.kernel);
  if (req.initrd) {
    if (!fs::is_regular_file(*req.initrd, ec)) return FailAs(Error::Kind::kNotFound, "initrd {} not found", req.initrd->string());
    spec.initrd = fs::absolute(*req.initrd);
  }
  std::vector<std::string> words = req.cmdline;
  for (auto& w : GuestClockWords(req.arch, req.accel, req.timing, req.cmdline, HostTscKhz())) words.push_back(std::move(w));
  spec.cmdline = JoinCmdline(profile, words);
  spec.memory_bytes = req.memory_bytes;
  spec.cpus = req.cpus;
  spec.accel = req.accel;
  spec.icount = req.timing == Timing::kIcount;
  if (req.console_path.empty()) return FailAs(Error::Kind::kInput, "no console path for the boot");
  spec.console_path = fs::absolute(req.console_path);
  if (auto s = EnsureDir(spec.console_path.parent_path()); !s) return std::unexpected(s.error());
  fs::remove(spec.console_path, ec);
  if (profile.needs_firmware) {
    spec.firmware = FindRiscvFirmware();
    if (!spec.firmware) return Fail("no OpenSBI firmware for riscv64 (install opensbi or qemu-system-data)");
  }

  // A private directory for the boot's unix socket. /tmp, not the state dir:
  // a socket path must fit in 108 bytes.
  auto tmp = TempDir::Create(fs::temp_directory_path(), "rfl-vm-", fs::perms::owner_all);
  if (!tmp) return std::unexpected(tmp.error());
  asio::io_context io;
  std::unique_ptr<AgentChannel> agent;
  if (req.agent_channel) {
    spec.agent_socket = tmp->path() / "agent.sock";
    try {
      agent = std::make_unique<AgentChannel>(io, *spec.agent_socket);
    } catch (const boost::system::system_error& e) {
      return Fail("agent socket {}: {}", spec.agent_socket->string(), e.what());
    }
  }
  auto xml = BuildDomainXml(spec);
  if (!xml) return std::unexpected(xml.error());
  spdlog::debug("domain {}:\n{}", spec.name, *xml);

  // Registered before the domain exists, so no event can be missed.
  auto events = std::make_shared<EventState>();
  events->name = spec.name;
  events_->Add(events);
  struct Unroute {
    EventRouter& router;
    std::string name;
    ~Unroute() { router.Remove(name); }
  } unroute{*events_, spec.name};

  BootResult result;
  result.domain_name = spec.name;
  result.accel = req.accel;
  result.console_path = spec.console_path;

  if (req.stop.stop_requested()) return FailAs(Error::Kind::kCancelled, "interrupted before booting {}", spec.name);
  // AUTODESTROY (the VM dies with the connection) where the driver has it;
  // the embedded driver does not, there the DomainHandle alone guarantees it.
  unsigned int flags = uri_.find("/embed") == std::string::npos ? VIR_DOMAIN_START_AUTODESTROY : 0;
  virDomainPtr raw = virDomainCreateXML(conn_, xml->c_str(), flags);
  if (raw == nullptr) return Fail("starting {} ({}): {}", spec.name, uri_, LastLibvirtError());
  DomainHandle domain(raw);

  auto last_activity = Clock::now();
  const auto deadline = start + req.timeout;
  std::string agent_pending;
  auto feed_agent = [&](std::string bytes, bool final) {
    if (!bytes.empty()) {
      if (!result.first_agent_byte) result.first_agent_byte = since_start();
      result.agent_bytes += bytes;
      agent_pending += bytes;
      last_activity = Clock::now();
    }
    size_t pos;
    while ((pos = agent_pending.find('\n')) != std::string::npos) {
      if (req.on_agent_line) req.on_agent_line(std::string_view(agent_pending).substr(0, pos), since_start());
      agent_pending.erase(0, pos + 1);
    }
    if (final && !agent_pending.empty() && req.on_agent_line) {
      req.on_agent_line(agent_pending, since_start());
      agent_pending.clear();
    }
  };
  // The console file is read incrementally only when someone wants its lines.
  std::ifstream console_in;
  std::string console_pending;
  auto feed_console = [&](bool final) {
    if (!req.on_console_line) return;
    if (!console_in.is_open()) {
      console_in.open(spec.console_path, std::ios::binary);
      if (!console_in.is_open()) return;
    }
    char buf[16384];
    while (true) {
      console_in.read(buf, sizeof buf);
      std::streamsize n = console_in.gcount();
      if (n <= 0) break;
      console_pending.append(buf, static_cast<size_t>(n));
    }
    console_in.clear();  // at EOF; the file keeps growing
    size_t pos;
    while ((pos = console_pending.find('\n')) != std::string::npos) {
      req.on_console_line(std::string_view(console_pending).substr(0, pos), since_start());
      console_pending.erase(0, pos + 1);
    }
    if (final && !console_pending.empty()) {
      req.on_console_line(console_pending, since_start());
      console_pending.clear();
    }
  };
  int tick = 0;
  bool ended = false;
  while (!ended) {
    io.restart();
    io.run_for(milliseconds(5));
    if (agent) feed_agent(agent->TakeNew(), false);
    uint64_t size = FileSize(spec.console_path);
    if (size > result.console_bytes) {
      if (!result.first_console_byte) result.first_console_byte = since_start();
      result.console_bytes = size;
      last_activity = Clock::now();
      feed_console(false);
    }
    {
      std::lock_guard lock(events->mutex);
      if (events->stopped) {
        ended = true;
        result.end = events->crashed ? EndReason::kCrashed : EndReason::kGuestStopped;
        result.end_detail = events->detail;
        break;
      }
    }
    // Events are the fast path; this catches a domain that vanished without one.
    if (++tick % 50 == 0 && !domain.Active()) {
      ended = true;
      result.end = EndReason::kGuestStopped;
      std::lock_guard lock(events->mutex);
      result.end_detail = events->detail.empty() ? "inactive" : events->detail;
      break;
    }
    auto now = Clock::now();
    if (req.stop.stop_requested()) {
      result.end = EndReason::kCancelled;
      result.end_detail = "interrupted";
      break;
    }
    if (now >= deadline) {
      result.end = EndReason::kTimeout;
      result.end_detail = fmt::format("no end after {:.0f} s", Seconds(req.timeout).count());
      break;
    }
    // Silence counts once the guest has printed: firmware and kernel
    // decompression under a loaded TCG host can take longer than the silence
    // limit before the first byte; the deadline bounds that part.
    bool printed = result.first_console_byte || result.first_agent_byte;
    if (req.silence_timeout.count() > 0 && printed && now - last_activity >= req.silence_timeout) {
      result.end = EndReason::kSilent;
      result.end_detail = fmt::format("no output for {:.0f} s", Seconds(req.silence_timeout).count());
      break;
    }
    if (io.stopped() && (!agent || agent->closed())) std::this_thread::sleep_for(milliseconds(5));
  }
  domain.Destroy();
  result.total = since_start();
  // Whatever the agent sent before the end is still in the socket buffer.
  if (agent) {
    auto drain_until = Clock::now() + milliseconds(200);
    while (!agent->closed() && Clock::now() < drain_until) {
      io.restart();
      io.run_for(milliseconds(5));
      feed_agent(agent->TakeNew(), false);
    }
    agent->Close();
    io.restart();
    io.poll();
    feed_agent(agent->TakeNew(), true);
  }
  result.console_bytes = FileSize(spec.console_path);
  feed_console(true);
  if (result.console_bytes > 0 && !result.first_console_byte) result.first_console_byte = result.total;
  return result;
}

}  // namespace

std::string DefaultConnectUri(const fs::path& state_dir) {
  return "qemu:///embed?root=" + PercentEncode(fs::absolute(state_dir / "libvirt").string());
}

Status PrepareEmbeddedRoot(const fs::path& root) {
  // What ARCHITECTURE.md measured: run QEMU as root, no mount namespace, and
  // chardev files written by QEMU itself (the embedded driver has no virtlogd).
  // QEMU runs as root, so there is no owner to remember: without
  // remember_owner = 0 libvirt keeps owners in trusted.libvirt.* xattrs on
  // the kernel and initramfs and warns "Invalid XATTR timestamp" on every
  // boot after a host reboot. No cgroups: the lab tunes none (no cputune,
  // memtune, blkiotune), and on a cgroup v1 host whose cpuset hierarchy has
  // clone_children = 0 (measured on this machine kind, 2026-12-01) libvirt's
  // per-VM emulator group gets an empty cpuset and every start fails with
  // "Unable to write to …/cpuset/machine/…/emulator/tasks: No space left on
  // device".
  static constexpr std::string_view kQemuConf =
      "# Written by rfl-lab for libvirt's embedded QEMU driver.\n"
      "user = \"root\"\n"
      "group = \"root\"\n"
      "namespaces = []\n"
      "stdio_handler = \"file\"\n"
      "remember_owner = 0\n"
      "cgroup_controllers = []\n";
  fs::path conf = root / "etc" / "qemu.conf";
  if (auto existing = ReadFile(conf); existing && *existing == kQemuConf) return {};
  if (auto s = EnsureDir(conf.parent_path()); !s) return s;
  return WriteFileAtomic(conf, kQemuConf);
}

Result<std::unique_ptr<Hypervisor>> OpenLibvirt(const std::string& uri) {
  static constexpr std::string_view kEmbedPrefix = "qemu:///embed?root=";
  fs::path log_file;
  if (uri.starts_with(kEmbedPrefix)) {
    std::string encoded = uri.substr(kEmbedPrefix.size());
    std::string root;
    for (size_t i = 0; i < encoded.size(); ++i) {
      if (encoded[i] == '%' && i + 2 < encoded.size() && std::isxdigit(static_cast<unsigned char>(encoded[i + 1])) &&
          std::isxdigit(static_cast<unsigned char>(encoded[i + 2]))) {
        root += static_cast<char>(std::stoi(encoded.substr(i + 1, 2), nullptr, 16));
        i += 2;
      } else {
        root += encoded[i];
      }
    }
    if (auto s = PrepareEmbeddedRoot(root); !s) return std::unexpected(s.error().Wrap("libvirt embedded root"));
    // Before the connection: opening it may already probe QEMU.
    DaemonReaper::Watch(root);
    log_file = fs::path(root) / "log" / "libvirt.log";
    (void)EnsureDir(log_file.parent_path());
  }
  EnsureEventLoop(log_file);
  virConnectPtr conn = virConnectOpen(uri.c_str());
  if (conn == nullptr) {
    std::string error = LastLibvirtError();
    // The embedded driver locks its root: one process per state dir.
    std::string hint = error.find("driver.pid") != std::string::npos
                           ? " (another rfl-lab process is using this state dir's libvirt root; wait for it, or "
                             "use another --state-dir)"
                           : "";
    return Fail("cannot open libvirt connection {}: {}{}", uri, error, hint);
  }
  // One lifecycle callback for the connection (see EventRouter).
  auto router = std::make_shared<EventRouter>();
  int callback_id = virConnectDomainEventRegisterAny(conn, nullptr, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                                     VIR_DOMAIN_EVENT_CALLBACK(OnLifecycle),
                                                     new std::shared_ptr<EventRouter>(router), FreeOpaque);
  if (callback_id < 0) {
    std::string error = LastLibvirtError();
    virConnectClose(conn);
    return Fail("libvirt event registration on {}: {}", uri, error);
  }
  return std::unique_ptr<Hypervisor>(new LibvirtHypervisor(uri, conn, std::move(router), callback_id));
}

}  // namespace rfl::vm

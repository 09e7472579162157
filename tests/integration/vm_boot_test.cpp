// Real boots through libvirt's embedded driver under TCG: each outcome the
// lab can provoke with a stock kernel and a busybox initramfs, deadlines and
// silence, hostile paths and command lines, icount, Ctrl-C cleanup.
//
// Needs: RFL_LAB_TEST_KERNEL = an x86_64 bzImage with ttyS0, an initramfs
// and /proc (Debian's linux-image-amd64 vmlinuz works), /bin/busybox
// (busybox-static). Optional: RFL_LAB_TEST_CRASH_MODULE = rfl_crash.ko built
// for that kernel (tests/fixtures/consoles/capture/; scripts/test.sh builds it
// with scripts/test-crash-module.sh) for oops, warning and hang boots.
// Without them the tests skip and say why.
#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "lab/util/cancel.h"
#include "lab/util/paths.h"
#include "lab/util/process.h"
#include "lab/vm/classifier.h"
#include "lab/vm/hypervisor.h"

namespace rfl::vm {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::optional<fs::path> EnvPath(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0' || !fs::exists(v)) return std::nullopt;
  return fs::path(v);
}

// A gzip'd newc cpio: busybox, the fixture init script, optionally the module.
void WriteInitramfs(const fs::path& out, const std::optional<fs::path>& module) {
  struct archive* a = archive_write_new();
  archive_write_add_filter_gzip(a);
  archive_write_set_format_cpio_newc(a);
  ASSERT_EQ(archive_write_open_filename(a, out.c_str()), ARCHIVE_OK) << archive_error_string(a);
  auto add = [&](const std::string& path, unsigned mode, const std::string& data) {
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, path.c_str());
    archive_entry_set_filetype(e, (mode & 0040000) ? AE_IFDIR : AE_IFREG);
    archive_entry_set_perm(e, mode & 07777);
    archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
    ASSERT_EQ(archive_write_header(a, e), ARCHIVE_OK) << archive_error_string(a);
    if (!data.empty()) archive_write_data(a, data.data(), data.size());
    archive_entry_free(e);
  };
  for (const char* dir : {"bin", "proc", "sys", "dev"}) add(dir, 0040755, "");
  add("bin/busybox", 0755, ReadFile("/bin/busybox").value());
  add("init", 0755, ReadFile(fs::path(RFL_LAB_FIXTURES_DIR) / "consoles/capture/init.sh").value());
  if (module) add("rfl_crash.ko", 0644, ReadFile(*module).value());
  archive_write_close(a);
  archive_write_free(a);
}

class VmBoot : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    kernel_ = EnvPath("RFL_LAB_TEST_KERNEL");
    module_ = EnvPath("RFL_LAB_TEST_CRASH_MODULE");
    if (!kernel_ || !fs::exists("/bin/busybox")) return;
    state_ = fs::temp_directory_path() / ("rfl-vm-it-" + std::to_string(getpid()));
    fs::create_directories(state_);
    WriteInitramfs(state_ / "initrd.cpio.gz", module_);
    auto hv = OpenLibvirt(DefaultConnectUri(state_));
    ASSERT_TRUE(hv) << hv.error().message;
    hv_ = std::move(*hv);
  }
  static void TearDownTestSuite() {
    hv_.reset();
    if (!state_.empty()) fs::remove_all(state_);
  }
  void SetUp() override {
    if (!kernel_) GTEST_SKIP() << "set RFL_LAB_TEST_KERNEL to an x86_64 bzImage (e.g. Debian's vmlinuz)";
    if (!fs::exists("/bin/busybox")) GTEST_SKIP() << "needs /bin/busybox (apt install busybox-static)";
    ResetCancelForTesting();
  }

  BootRequest Request(const std::string& what, std::chrono::seconds timeout = 90s) {
    BootRequest r;
    r.arch = Arch::kX86_64;
    r.kernel = *kernel_;
    r.initrd = state_ / "initrd.cpio.gz";
    r.cmdline = {"rfl_what=" + what, "panic=-1"};
    r.cpus = 2;
    r.accel = ResolvedAccel::kTcg;
    r.timeout = timeout;
    r.silence_timeout = 60s;
    r.agent_channel = false;
    r.console_path = state_ / (what + ".console");
    return r;
  }

  static Classification ClassifyBoot(const BootResult& b, std::string* console_out = nullptr) {
    static std::string console;
    console = ReadFile(b.console_path).value_or("");
    if (console_out) *console_out = console;
    return Classify(ClassifyInput{.console = console, .end = b.end, .end_detail = b.end_detail});
  }

  static inline std::optional<fs::path> kernel_;
  static inline std::optional<fs::path> module_;
  static inline fs::path state_;
  static inline std::unique_ptr<Hypervisor> hv_;
};

TEST_F(VmBoot, CleanBootStopsByItselfAndPasses) {
  auto b = hv_->Boot(Request("ok"));
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(EndReasonName(b->end), "guest-stopped") << b->end_detail;
  ASSERT_TRUE(b->first_console_byte.has_value());
  EXPECT_LT(*b->first_console_byte, b->total);
  auto c = ClassifyBoot(*b);
  EXPECT_EQ(BootOutcomeName(c.outcome), "passed") << c.reason;
}

TEST_F(VmBoot, InitExitingIsInitFailed) {
  auto b = hv_->Boot(Request("exitinit"));
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(EndReasonName(b->end), "guest-stopped") << b->end_detail;
  EXPECT_EQ(BootOutcomeName(ClassifyBoot(*b).outcome), "init-failed");
}

TEST_F(VmBoot, SysrqCrashIsKernelPanic) {
  auto b = hv_->Boot(Request("sysrqcrash"));
  ASSERT_TRUE(b) << b.error().message;
  auto c = ClassifyBoot(*b);
  EXPECT_EQ(BootOutcomeName(c.outcome), "kernel-panic") << c.reason;
}

TEST_F(VmBoot, DeadlineDestroysTheGuestAndIsBootTimeout) {
  auto req = Request("silent", 12s);
  req.silence_timeout = 0s;
  auto b = hv_->Boot(req);
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(EndReasonName(b->end), "timeout");
  EXPECT_GE(b->total.count(), 12.0);
  EXPECT_LT(b->total.count(), 20.0);
  EXPECT_EQ(BootOutcomeName(ClassifyBoot(*b).outcome), "boot-timeout");
}

TEST_F(VmBoot, SilentGuestIsKilledEarly) {
  auto req = Request("silent", 120s);
  req.silence_timeout = 4s;
  auto b = hv_->Boot(req);
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(EndReasonName(b->end), "silent");
  EXPECT_LT(b->total.count(), 60.0);
  std::string console;
  EXPECT_EQ(BootOutcomeName(ClassifyBoot(*b, &console).outcome), "boot-timeout");
  EXPECT_NE(console.find("going quiet"), std::string::npos) << "killed only after it went quiet";
}

TEST_F(VmBoot, HostilePathAndCommandLineReachTheGuestUnchanged) {
  fs::path dir = state_ / "a<&'\"b";
  fs::create_directories(dir);
  fs::copy_file(*kernel_, dir / "bz<&'\">Image", fs::copy_options::overwrite_existing);
  auto req = Request("ok");
  req.kernel = dir / "bz<&'\">Image";
  req.cmdline.push_back("rfl.hostile=<&'\">");
  req.console_path = dir / "con<&'\">sole.log";
  auto b = hv_->Boot(req);
  ASSERT_TRUE(b) << b.error().message;
  std::string console;
  auto c = ClassifyBoot(*b, &console);
  EXPECT_NE(console.find("rfl_what=ok panic=-1 rfl.hostile=<&'\">"), std::string::npos)
      << "the kernel's own echo of its command line";
  EXPECT_EQ(BootOutcomeName(c.outcome), "passed");
}

// /proc/<pid>/cmdline of every process whose command line contains `needle`.
std::vector<std::string> ProcessesMentioning(const std::string& needle) {
  std::vector<std::string> found;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    std::string cmd((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::replace(cmd.begin(), cmd.end(), '\0', ' ');
    if (cmd.find(needle) != std::string::npos) found.push_back(name + ": " + cmd);
  }
  return found;
}

TEST_F(VmBoot, IcountTimingReachesQemu) {
  auto req = Request("ok");
  req.timing = Timing::kIcount;
  // One vCPU: with two, this kernel stops at "Bringing up secondary CPUs"
  // under -icount sleep=off (QEMU 7.2).
  req.cpus = 1;
  std::vector<std::string> seen;
  req.on_console_line = [&](std::string_view, Seconds) {
    if (seen.empty()) seen = ProcessesMentioning("shift=0,align=off,sleep=off");
  };
  auto b = hv_->Boot(req);
  ASSERT_TRUE(b) << b.error().message;
  ASSERT_FALSE(seen.empty()) << "no QEMU with -icount while the guest printed";
  EXPECT_NE(seen[0].find("-icount"), std::string::npos);
  EXPECT_EQ(BootOutcomeName(ClassifyBoot(*b).outcome), "passed");
}

TEST_F(VmBoot, CancelDestroysTheGuest) {
  auto req = Request("silent");
  std::string name;
  bool cancelled = false;
  req.on_console_line = [&](std::string_view line, Seconds) {
    if (!cancelled && line.find("going quiet") != std::string_view::npos) {
      cancelled = true;
      RequestCancel();
    }
  };
  auto b = hv_->Boot(req);
  ResetCancelForTesting();
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(EndReasonName(b->end), "cancelled");
  EXPECT_TRUE(ProcessesMentioning(b->domain_name).empty());
}

TEST_F(VmBoot, OopsFromAModuleIsOops) {
  if (!module_) GTEST_SKIP() << "set RFL_LAB_TEST_CRASH_MODULE to rfl_crash.ko for this kernel";
  auto b = hv_->Boot(Request("nullderef"));
  ASSERT_TRUE(b) << b.error().message;
  auto c = ClassifyBoot(*b);
  EXPECT_EQ(BootOutcomeName(c.outcome), "oops") << c.reason;
}

TEST_F(VmBoot, WarningFromAModuleIsWarning) {
  if (!module_) GTEST_SKIP() << "set RFL_LAB_TEST_CRASH_MODULE to rfl_crash.ko for this kernel";
  auto b = hv_->Boot(Request("warn"));
  ASSERT_TRUE(b) << b.error().message;
  auto c = ClassifyBoot(*b);
  EXPECT_EQ(BootOutcomeName(c.outcome), "warning") << c.reason;
}

TEST_F(VmBoot, SoftLockupIsHang) {
  if (!module_) GTEST_SKIP() << "set RFL_LAB_TEST_CRASH_MODULE to rfl_crash.ko for this kernel";
  auto req = Request("softlockup", 40s);
  auto b = hv_->Boot(req);
  ASSERT_TRUE(b) << b.error().message;
  auto c = ClassifyBoot(*b);
  EXPECT_EQ(BootOutcomeName(c.outcome), "hang") << c.reason;
}

// The rfl-lab binary booting a silent guest gets SIGINT: it must exit with
// 130 and leave no QEMU behind.
TEST_F(VmBoot, CtrlCDuringBootLeavesNoQemu) {
  fs::path state = state_ / "ctrl-c";
  fs::create_directories(state);
  Command cmd{.argv = {RFL_LAB_BINARY, "--state-dir", state.string(), "boot", "--kernel", kernel_->string(),
                       "--initrd", (state_ / "initrd.cpio.gz").string(), "--append", "rfl_what=silent panic=-1",
                       "--timeout", "120"}};
  auto child = Spawn(cmd);
  ASSERT_TRUE(child) << child.error().message;
  // Wait until its QEMU runs (its command line names the state dir). Not a
  // count of processes naming it: QEMU may be the only one, and the wait
  // then ran into its deadline.
  auto qemu_runs = [&] {
    for (const auto& p : ProcessesMentioning("qemu-system-x86_64")) {
      if (p.find(state.string() + "/") != std::string::npos) return true;
    }
    return false;
  };
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!qemu_runs() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(200ms);
  ASSERT_TRUE(qemu_runs()) << "QEMU never started";
  std::this_thread::sleep_for(2s);
  kill(child->pid(), SIGINT);
  auto status = child->WaitFor(30s);
  ASSERT_TRUE(status.has_value()) << "rfl-lab did not exit after SIGINT";
  EXPECT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 130);
  for (const auto& p : ProcessesMentioning("qemu-system")) {
    EXPECT_EQ(p.find(state.string()), std::string::npos) << "left behind: " << p;
  }
}

}  // namespace
}  // namespace rfl::vm

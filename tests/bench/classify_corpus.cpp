// Accuracy of the outcome classifier on a directory of real console logs.
//
//   bench_classify_corpus DIR [--expected FILE] [--misses] [--reviewed]
//
// Each DIR/N.log is classified from its console alone (vm::ClassifyFile, the
// streaming path `rfl-lab classify` uses). Its expected class comes from
//   - DIR/N.report, syzkaller's reading of the log ("title: …", "type: …"),
//     mapped to the lab's class by ExpectedClass() below — the mapping is
//     written down in docs/outcomes.md ("Expected classes of syzkaller
//     reports"); nothing derived from a corpus is stored in the repository;
//   - or a line "N.log CLASS" of --expected FILE (for logs without .report).
// Prints accuracy per syzkaller type ("family") and per expected class, a
// confusion matrix (expected × got), and report-vs-no-report accuracy; with
// --misses, every log whose class differs. --reviewed applies kReviewed (the
// shared-corpus logs whose later, stronger report decides the lab's class).
// Asserts nothing (a measurement).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "lab/core/outcome.h"
#include "lab/util/paths.h"
#include "lab/vm/classifier.h"

namespace {

namespace fs = std::filesystem;

struct Expected {
  std::string cls;     // a BootOutcome name ("passed" = no kernel report)
  std::string family;  // syzkaller's type, or "listed" for --expected
  std::string title;   // syzkaller's title, for --misses
};

bool StartsWith(std::string_view s, std::string_view p) { return s.starts_with(p); }
bool Has(std::string_view s, std::string_view p) { return s.find(p) != std::string_view::npos; }

// Older syzkaller titles kept the stall line itself ("INFO: rcu_preempt
// self-detected stall on CPU", "INFO: rcu_sched detected stalls on CPUs/tasks")
// where current ones say "INFO: rcu detected stall in FUNC": an RCU stall.
bool IsOldRcuStallTitle(std::string_view title) {
  return StartsWith(title, "INFO: rcu") && (Has(title, "detected stall") || Has(title, "detected expedited stall"));
}

// syzkaller's (title, type) → the lab's class. syzkaller names the FIRST
// report of a log; the lab names the strongest by its precedence, a root
// cause over what it causes (docs/outcomes.md). Each rule says why.
std::string ExpectedClass(std::string_view title, std::string_view type) {
  // No report at all.
  if (type == "none" || StartsWith(title, "(none")) return "passed";
  // syzkaller infers a reboot from a second boot banner; on a console alone
  // that is not a kernel report (the lab learns of restarts from the VM).
  if (type == "REBOOT") return "passed";
  // A driver's dev_warn() banner that says "WARNING:"; not WARN().
  if (StartsWith(title, "WARNING: ath10k USB support is incomplete")) return "passed";
  // A lone "INFO:" with nothing after it: no report can be read from it.
  if (title == "INFO: corrupted") return "passed";
  // syz-executor's own failure ("SYZFAIL: …", type SYZ_FAILURE): printed by the
  // fuzzer in user space, not by the kernel; syzkaller suppresses it too.
  if (type == "SYZ_FAILURE" || StartsWith(title, "SYZFAIL:")) return "passed";
  if (Has(title, "Rust panic") || StartsWith(title, "RUST PANIC")) return "rust-panic";

  // Hangs: lockups, stalls, hung tasks, and the panics they raise
  // (hung_task_panic, softlockup_panic). spinlock_debug's "lockup suspected"
  // (≤ 4.12) is a lockup too; netdev_wait_allrefs waits forever.
  if (type == "HANG" || StartsWith(title, "BUG: soft lockup") || StartsWith(title, "BUG: workqueue lockup") ||
      StartsWith(title, "BUG: spinlock lockup suspected") || StartsWith(title, "INFO: task ") ||
      StartsWith(title, "INFO: rcu detected stall") || IsOldRcuStallTitle(title) ||
      StartsWith(title, "kernel panic: hung_task") ||
      StartsWith(title, "kernel panic: softlockup") || StartsWith(title, "unregister_netdevice: waiting for")) {
    return "hang";
  }

  // Lockdep: every lockdep report is a warning — current kernels print them
  // all as "WARNING: …"; older ones said "[ INFO: … ]" or "[ BUG: … ]" for
  // the same report, and the same report keeps one class.
  static constexpr std::string_view kLockdep[] = {
      "possible deadlock",          "inconsistent lock state",   "WARNING: suspicious RCU usage",
      "INFO: suspicious RCU usage", "INFO: trying to register non-static key",
      "BUG: bad unlock balance",    "WARNING: bad unlock balance", "BUG: held lock freed",
      "WARNING: held lock freed",   "WARNING: locking bug",       "WARNING: nested lock was not taken",
      "WARNING: still has locks held", "BUG: still has locks held", "BUG: lock held when returning",
      "WARNING: lock held when returning", "BUG: MAX_",              "BUG: Invalid wait context"};
  for (auto p : kLockdep) {
    if (StartsWith(title, p)) return "warning";
  }
  // CHECK_DATA_CORRUPTION() reports: WARN() by default (BUG() only with
  // CONFIG_BUG_ON_DATA_CORRUPTION, which prints "kernel BUG at" instead).
  if (StartsWith(title, "VFS: Close: file count is zero") || StartsWith(title, "VFS: Busy inodes after unmount")) {
    return "warning";
  }
  // The trusted OS's assertion reaches the kernel log as the trusty driver's WARN().
  if (StartsWith(title, "trusty: ")) return "warning";
  // WARN() and the other WARNING: reports (refcount, ODEBUG, usercopy, kmalloc…).
  if (StartsWith(title, "WARNING")) return "warning";

  // Panics: the consequence of an Oops (panic_on_oops) or a WARNING
  // (panic_on_warn) takes the class of its cause; stack corruption is an
  // Oops-family report; init failures; any other panic.
  if (StartsWith(title, "kernel panic: Fatal exception")) return "oops";
  if (StartsWith(title, "kernel panic: panic_on_warn")) return "warning";
  if (StartsWith(title, "kernel panic: stack is corrupted") || StartsWith(title, "kernel panic: corrupted stack end")) {
    return "oops";
  }
  for (std::string_view m : {"Attempted to kill init", "No working init found", "VFS: Unable to mount root fs",
                             "Requested init", "No init found"}) {
    if (StartsWith(title, "kernel panic: ") && Has(title, m)) return "init-failed";
  }
  if (StartsWith(title, "kernel panic")) return "kernel-panic";

  // Everything else syzkaller reports is an Oops-family report: sanitizers
  // (KASAN, KMSAN, KFENCE, KCSAN, UBSAN, kmemleak), BUG:, kernel BUG, page
  // faults, GPF, double faults, die() traps (divide error, int3, stack
  // segment), arm's "Unhandled fault"/"Internal error", SLUB's "BUG cache".
  return "oops";
}

// syzkaller titles the first report of a log; where a log holds a stronger
// report later, the lab's precedence names that one. These shared-corpus logs
// were read by hand (docs/outcomes.md lists them with the later report's
// line); the bench prints figures with and without this review.
struct Reviewed {
  std::string_view log, cls, why;
};
constexpr Reviewed kReviewed[] = {
    {"114.log", "oops", "suspicious RCU usage, then a NULL pointer dereference Oops"},
    {"166.log", "oops", "suspicious RCU usage, then BUG: sleeping function called from invalid context"},
    {"208.log", "oops", "suspicious RCU usage, then BUG: sleeping function called from invalid context"},
    {"396.log", "oops", "lockdep held lock freed, then a KASAN use-after-free report"},
    {"655.log", "oops", "lockdep nested lock, then arm64 Unable to handle kernel paging request"},
    {"696.log", "oops", "WARNING in ext4_expand_extra_isize_ea, then a KASAN invalid-free report"},
};

std::optional<Expected> FromReport(const fs::path& report) {
  auto text = rfl::ReadFile(report);
  if (!text) return std::nullopt;
  Expected e{.family = "untyped"};
  size_t start = 0;
  while (start < text->size()) {
    size_t end = text->find('\n', start);
    if (end == std::string::npos) end = text->size();
    std::string_view line(text->data() + start, end - start);
    if (line.starts_with("title:")) e.title = std::string(line.substr(line.find_first_not_of(' ', 6)));
    if (line.starts_with("type:")) e.family = std::string(line.substr(line.find_first_not_of(' ', 5)));
    start = end + 1;
  }
  e.cls = ExpectedClass(e.title, e.family);
  return e;
}

std::map<std::string, std::string> ReadExpectedFile(const fs::path& file) {
  std::map<std::string, std::string> out;
  std::ifstream in(file);
  std::string name, cls;
  while (in >> name >> cls) out[name] = cls;
  return out;
}

bool IsReport(std::string_view cls) { return cls != "passed"; }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR [--expected FILE] [--misses] [--reviewed]\n", argv[0]);
    return 2;
  }
  fs::path dir = argv[1];
  std::map<std::string, std::string> listed;
  bool show_misses = false;
  bool reviewed = false;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--expected" && i + 1 < argc) {
      listed = ReadExpectedFile(argv[++i]);
    } else if (a == "--misses") {
      show_misses = true;
    } else if (a == "--reviewed") {
      reviewed = true;
    }
  }
  std::vector<fs::path> logs;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".log") logs.push_back(entry.path());
  }
  std::sort(logs.begin(), logs.end(), [](const fs::path& a, const fs::path& b) {
    auto num = [](const fs::path& p) { return std::atol(p.stem().c_str()); };
    return num(a) != num(b) ? num(a) < num(b) : a < b;
  });

  struct Tally {
    size_t n = 0, right = 0;
  };
  std::map<std::string, Tally> by_family, by_class;
  std::map<std::string, std::map<std::string, size_t>> confusion;  // expected → got → n
  size_t total = 0, right = 0, report_right = 0, titled = 0, same_title = 0;
  std::vector<std::string> misses;
  for (const auto& log : logs) {
    std::optional<Expected> exp;
    fs::path report = log;
    report.replace_extension(".report");
    if (fs::exists(report)) {
      exp = FromReport(report);
    } else if (auto it = listed.find(log.filename().string()); it != listed.end()) {
      exp = Expected{it->second, "listed", ""};
    }
    if (!exp) continue;
    for (const auto& r : kReviewed) {
      if (reviewed && r.log == log.filename().string() && dir.filename() == "kernel-crash-reports") {
        exp->cls = std::string(r.cls);
        exp->title += fmt::format(" [reviewed: {}]", r.why);
      }
    }
    auto got = rfl::vm::ClassifyFile(log, {});
    if (!got) {
      std::fprintf(stderr, "%s: %s\n", log.c_str(), got.error().message.c_str());
      continue;
    }
    std::string cls(rfl::BootOutcomeName(got->outcome));
    ++total;
    bool ok = cls == exp->cls;
    right += ok;
    report_right += IsReport(cls) == IsReport(exp->cls);
    by_family[exp->family].n++;
    by_family[exp->family].right += ok;
    by_class[exp->cls].n++;
    by_class[exp->cls].right += ok;
    confusion[exp->cls][cls]++;
    if (IsReport(exp->cls) && !exp->title.empty()) {
      ++titled;
      same_title += got->title == exp->title;
    }
    if (!ok) {
      misses.push_back(fmt::format("{}: expected {} (syzkaller: {} | {}), got {}: {}", log.filename().string(),
                                   exp->cls, exp->family, exp->title, cls, got->title.empty() ? got->reason : got->title));
    }
  }
  if (total == 0) {
    std::fprintf(stderr, "no log with an expected class in %s\n", dir.c_str());
    return 2;
  }
  auto pct = [](size_t a, size_t b) { return b == 0 ? 0.0 : 100.0 * static_cast<double>(a) / static_cast<double>(b); };
  std::printf("%s: %zu logs\n", dir.c_str(), total);
  std::printf("expected class:        %zu/%zu = %.1f %%\n", right, total, pct(right, total));
  std::printf("report vs no report:   %zu/%zu = %.1f %%\n", report_right, total, pct(report_right, total));
  std::printf("title as syzkaller's:  %zu/%zu = %.1f %% (reports only; a side figure)\n\n", same_title, titled,
              pct(same_title, titled));
  std::printf("%-36s %5s %5s %7s\n", "family (syzkaller type)", "logs", "right", "acc");
  for (const auto& [f, t] : by_family) std::printf("%-36s %5zu %5zu %6.1f%%\n", f.c_str(), t.n, t.right, pct(t.right, t.n));
  std::printf("\n%-36s %5s %5s %7s\n", "expected class", "logs", "right", "acc");
  for (const auto& [c, t] : by_class) std::printf("%-36s %5zu %5zu %6.1f%%\n", c.c_str(), t.n, t.right, pct(t.right, t.n));

  std::vector<std::string> cols;
  for (auto o : rfl::AllBootOutcomes()) cols.emplace_back(rfl::BootOutcomeName(o));
  std::vector<std::string> used;
  for (const auto& c : cols) {
    bool any = false;
    for (const auto& [e, row] : confusion) any |= row.contains(c) || e == c;
    if (any) used.push_back(c);
  }
  std::printf("\nconfusion matrix (rows: expected, columns: got)\n%-14s", "");
  for (const auto& c : used) std::printf(" %12s", c.c_str());
  std::printf("\n");
  for (const auto& e : used) {
    if (!confusion.contains(e)) continue;
    std::printf("%-14s", e.c_str());
    for (const auto& c : used) {
      auto it = confusion[e].find(c);
      std::printf(" %12zu", it == confusion[e].end() ? size_t{0} : it->second);
    }
    std::printf("\n");
  }
  if (show_misses) {
    std::printf("\nmisses (%zu):\n", misses.size());
    for (const auto& m : misses) std::printf("  %s\n", m.c_str());
  }
  return 0;
}

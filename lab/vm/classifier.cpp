#include "lab/vm/classifier.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <re2/re2.h>

#include "lab/util/cancel.h"
#include "lab/vm/report_rules.h"

namespace rfl::vm {

namespace {

// Console-derived classes, strongest first (see the header's precedence).
constexpr std::array<BootOutcome, 5> kCrashPrecedence = {BootOutcome::kRustPanic, BootOutcome::kOops, BootOutcome::kHang,
                                                         BootOutcome::kInitFailed, BootOutcome::kKernelPanic};

constexpr size_t kContextBefore = 3;
constexpr size_t kContextAfter = 8;
constexpr size_t kMaxFindings = kFindingsCap;
constexpr size_t kMaxLine = 64 * 1024;        // longer lines are cut
constexpr size_t kTitleWindow = 80;           // lines after a report's first line that may complete its title
constexpr size_t kContinuationWindow = 30;    // "Oops: 0002 [#1]" this close to an open report is part of it
constexpr size_t kCutHereWindow = 20;         // a "cut here" marker names its report within this many lines
                                              // (other CPUs' lines may come between)
constexpr size_t kChunk = 1 << 20;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// "[  12.345678]" (the brackets' inside, spaces allowed before the digits).
bool IsTimestamp(std::string_view inner) {
  while (!inner.empty() && inner.front() == ' ') inner.remove_prefix(1);
  size_t dot = inner.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 >= inner.size()) return false;
  for (size_t i = 0; i < inner.size(); ++i) {
    if (i != dot && !IsDigit(inner[i])) return false;
  }
  return true;
}

// "[ T1234]", "[T1234]", "[    C0]" (CONFIG_PRINTK_CALLER).
bool IsCaller(std::string_view inner) {
  while (!inner.empty() && inner.front() == ' ') inner.remove_prefix(1);
  if (inner.size() < 2 || (inner[0] != 'T' && inner[0] != 'C')) return false;
  return std::all_of(inner.begin() + 1, inner.end(), IsDigit);
}

// Strips a bracketed prefix accepted by `accept`; true when stripped.
template <typename F>
bool StripBracket(std::string_view& t, F accept) {
  if (t.empty() || t[0] != '[') return false;
  size_t close = t.find(']');
  if (close == std::string_view::npos || close > 24) return false;
  if (!accept(t.substr(1, close - 1))) return false;
  t.remove_prefix(close + 1);
  return true;
}

void TrimLeft(std::string_view& t) {
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
}

void TrimRight(std::string_view& t) {
  while (!t.empty() && (t.back() == '\r' || t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
}

struct Segment {
  std::string_view text;  // printk prefix stripped
  bool timestamped = false;
  bool kernel = false;  // a printk timestamp or level: kernel output for sure
};

// Splits a console line into the kernel messages it holds: a printk level
// ("<4>"), "** N printk messages dropped **", a login prompt, the timestamp and
// the caller id are stripped; a timestamp in the middle of the line (two CPUs'
// messages interleaved) starts a new segment.
void SplitSegments(std::string_view raw, std::vector<Segment>& out) {
  out.clear();
  std::string_view t = raw;
  for (int guard = 0; guard < 64; ++guard) {
    Segment s;
    TrimLeft(t);
    if (t.starts_with("** ")) {
      size_t end = t.find(" ** ", 3);
      if (end != std::string_view::npos && end < 48) t.remove_prefix(end + 4);
    }
    if (size_t login = t.find(" login: "); login != std::string_view::npos && login < 40 &&
                                           t.substr(0, login).find(' ') == std::string_view::npos) {
      t.remove_prefix(login + 8);
    }
    if (t.size() >= 3 && t[0] == '<' && IsDigit(t[1])) {
      size_t close = t.find('>');
      if (close != std::string_view::npos && close < 5) {
        t.remove_prefix(close + 1);
        s.kernel = true;
      }
    }
    if (StripBracket(t, IsTimestamp)) s.timestamped = s.kernel = true;
    StripBracket(t, IsCaller);
    TrimLeft(t);
    // Another timestamp later in the line: the message before it ends there.
    size_t next = std::string_view::npos;
    for (size_t at = t.find('['); at != std::string_view::npos && at > 0; at = t.find('[', at + 1)) {
      size_t close = t.find(']', at);
      if (close == std::string_view::npos) break;
      if (close - at <= 24 && IsTimestamp(t.substr(at + 1, close - at - 1))) {
        next = at;
        break;
      }
    }
    s.text = t.substr(0, next);
    TrimRight(s.text);
    out.push_back(s);
    if (next == std::string_view::npos) return;
    t.remove_prefix(next);
  }
}

// Hex addresses and numbers in a title would split one bug into many.
std::string SanitizeCapture(std::string_view s) {
  // A function with an offset: "func+0x1a/0x2b" → "func".
  if (size_t plus = s.find("+0x"); plus != std::string_view::npos && plus > 0 &&
                                    s.substr(0, plus).find(' ') == std::string_view::npos) {
    s = s.substr(0, plus);
  }
  std::string out;
  size_t i = 0;
  auto word_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  while (i < s.size()) {
    bool boundary = i == 0 || !word_char(s[i - 1]);
    if (boundary && s.substr(i).starts_with("0x")) {
      size_t j = i + 2;
      while (j < s.size() && std::isxdigit(static_cast<unsigned char>(s[j]))) ++j;
      out += "ADDR";
      i = j;
      continue;
    }
    if (boundary && std::isxdigit(static_cast<unsigned char>(s[i]))) {
      size_t j = i;
      bool digit = false;
      while (j < s.size() && std::isxdigit(static_cast<unsigned char>(s[j]))) digit |= IsDigit(s[j++]);
      if ((j == s.size() || !word_char(s[j])) && digit && (j - i >= 8 || std::all_of(s.begin() + i, s.begin() + j, IsDigit))) {
        out += (j - i >= 8) ? "ADDR" : "NUM";
        i = j;
        continue;
      }
    }
    out += s[i++];
  }
  while (!out.empty() && (out.back() == '.' || out.back() == ' ' || out.back() == ':' || out.back() == '!')) out.pop_back();
  return out;
}

std::string BuildTitle(const ReportRule& rule, const std::vector<std::string>& caps, const std::string& frame,
                       const std::string& access) {
  std::string out;
  std::string_view t = rule.title;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '$' && i + 1 < t.size() && IsDigit(t[i + 1])) {
      size_t n = static_cast<size_t>(t[++i] - '0');
      if (n >= 1 && n <= caps.size()) out += SanitizeCapture(caps[n - 1]);
    } else if (t[i] == '%' && i + 1 < t.size() && t[i + 1] == 'f') {
      out += frame;
      ++i;
    } else if (t[i] == '%' && i + 1 < t.size() && t[i + 1] == 'a') {
      out += access;
      ++i;
    } else {
      out += t[i];
    }
  }
  // A part that could not be found leaves "X  in" or "X in": drop it.
  for (size_t at; (at = out.find("  ")) != std::string::npos;) out.erase(at, 1);
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (out.ends_with(" in")) out.resize(out.size() - 3);
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// Frames a hung task waits in; its title names the first frame outside them.
constexpr std::string_view kHungSkip =
    "sched,_lock,_slowlock,down,completion,kthread,wait,synchronize,context_switch,__switch_to,"
    "cancel_delayed_work,rwsem,mutex,io_schedule,bit_wait,flush_work,ret_from_fork,rt_mutex,percpu_,folio_wait";
// Frames of the timer interrupt that detects a stall.
constexpr std::string_view kStallSkip =
    "rcu,apic_timer_interrupt,sysvec,irq,hrtimer,tick_,update_process_times,scheduler_tick,sched_tick,timer,"
    "watchdog,nmi,trigger_,arch_,kvm_clock,native_,__do_softirq,do_softirq,handle_softirqs,ret_from_intr,"
    "common_interrupt,account_,cpuacct,kthread,ret_from_fork,worker_thread,smpboot_thread_fn,cpu_startup_entry,"
    "do_idle,default_idle,start_secondary";
// Allocators between kmemleak and the leaking caller.
constexpr std::string_view kLeakSkip =
    "kmemleak,kmalloc,kcalloc,kzalloc,vmalloc,mmap,kmem,slab,alloc,create_object,idr_get,list_lru_init,kasprintf,"
    "kvasprintf,pcpu_create,strdup,strndup,memdup,kvmalloc,krealloc";

// A report's title still waiting for the lines after its first one.
struct PendingTitle {
  size_t finding;
  const ReportRule* rule;
  std::vector<std::string> caps;
  std::string frame, candidate, access;
  size_t seen = 0;
  bool want_lock_frame = false;
  bool after_irq = false;
  bool in_backtrace = false;
  bool done = false;
};

struct ExcerptCapture {
  size_t finding;
  size_t remaining;
};

struct WarnCheck {
  size_t finding;
  std::string report;
};

// The last N lines, without an allocation per line (slots keep their capacity).
template <size_t N>
class Ring {
 public:
  void Push(std::string_view s) {
    slots_[head_].assign(s.data(), s.size());
    head_ = (head_ + 1) % N;
    if (count_ < N) ++count_;
  }
  size_t size() const { return count_; }
  // i = 0 is the oldest.
  const std::string& operator[](size_t i) const { return slots_[(head_ + N - count_ + i) % N]; }
  std::vector<std::string> Last(size_t n, size_t skip_newest = 0) const {
    std::vector<std::string> out;
    size_t end = count_ >= skip_newest ? count_ - skip_newest : 0;
    for (size_t i = end > n ? end - n : 0; i < end; ++i) out.push_back((*this)[i]);
    return out;
  }

 private:
  std::array<std::string, N> slots_;
  size_t head_ = 0;
  size_t count_ = 0;
};

}  // namespace

struct ConsoleClassifier::State {
  std::vector<std::pair<std::string, std::unique_ptr<RE2>>> allowed;
  std::vector<std::string> notes;
  std::vector<Finding> findings;
  std::vector<std::string> excerpts;  // per finding
  std::vector<PendingTitle> pending;
  std::vector<ExcerptCapture> captures;
  std::vector<WarnCheck> warn_checks;
  Ring<kContextBefore> before;           // the last raw lines
  Ring<4> recent_text;                   // the last segments, normalized (a warning's "cut here")
  Ring<kContextAfter + 2> tail_live;     // the last raw lines as read
  std::vector<std::string> tail;         // the last lines ending at the last non-empty one, once empties follow
  size_t tail_end = 0;                   // 1-based line of the last non-empty line
  std::vector<Segment> segments;
  std::string carry;
  bool overlong = false;
  size_t line_no = 0;
  size_t kernel_lines = 0;
  size_t last_report_line = 0;  // the last report (not a consequence) started here; 0: none yet
  size_t cut_here_line = 0;     // a "cut here" marker waiting for its report; 0: none
  bool panicked = false;        // a "Kernel panic - not syncing" line was seen (until a new boot banner)
  size_t excused_dropped = 0;   // allowed warnings past the cap, counted and dropped
  size_t cut_here_seen = 0;

  void ProcessLine(std::string_view raw);
  void ProcessSegment(const Segment& s, std::string_view raw);
  void AddFinding(const RuleMatch& m, const Segment& s, std::string_view raw);
  void AddBareCutHere();
  void FeedTitle(PendingTitle& p, std::string_view text);
  void FinishTitle(PendingTitle& p);
  void CheckWarning(WarnCheck& w);
  bool CanAdd(BootOutcome o) const;
  void DropFinding(size_t k);
};

// Removes finding k and whatever still refers to it; later indices shift.
void ConsoleClassifier::State::DropFinding(size_t k) {
  findings.erase(findings.begin() + static_cast<std::ptrdiff_t>(k));
  excerpts.erase(excerpts.begin() + static_cast<std::ptrdiff_t>(k));
  auto fix = [k](auto& refs) {
    std::erase_if(refs, [k](const auto& r) { return r.finding == k; });
    for (auto& r : refs) {
      if (r.finding > k) --r.finding;
    }
  };
  fix(pending);
  fix(captures);
  fix(warn_checks);
}

bool ConsoleClassifier::State::CanAdd(BootOutcome o) const {
  if (findings.size() < kMaxFindings) return true;
  // Past the cap, after a panic nothing can change the class: what follows
  // a panic is its consequence (a finding would be after_panic).
  if (panicked) return false;
  // Past the cap, only a class not yet seen (unexcused) is kept: precedence needs it.
  return std::none_of(findings.begin(), findings.end(),
                      [&](const Finding& f) { return f.outcome == o && !f.excused && !f.after_panic; });
}

void ConsoleClassifier::State::FinishTitle(PendingTitle& p) {
  if (p.done && !findings[p.finding].title.empty()) return;
  p.done = true;
  std::string frame = !p.frame.empty() ? p.frame : p.candidate;
  findings[p.finding].title = BuildTitle(*p.rule, p.caps, frame, p.access);
}

void ConsoleClassifier::State::FeedTitle(PendingTitle& p, std::string_view text) {
  if (p.done) return;
  if (++p.seen > kTitleWindow) return FinishTitle(p);
  const ReportRule& r = *p.rule;
  auto good = [&](const std::optional<Frame>& f, std::string_view extra) {
    return f && !f->questionable && !SkippedFrame(f->function, extra);
  };
  switch (r.title_from) {
    case TitleFrom::kHeader:
      return FinishTitle(p);
    case TitleFrom::kPcFrame: {
      auto f = ParseFrame(text);
      if (good(f, r.skip) && f->pc) {
        p.frame = f->function;
        return FinishTitle(p);
      }
      if (good(f, r.skip) && p.candidate.empty()) p.candidate = f->function;
      return;
    }
    case TitleFrom::kTraceFrame: {
      auto f = ParseFrame(text);
      if (good(f, r.skip) && !f->pc) {
        p.frame = f->function;
        return FinishTitle(p);
      }
      return;
    }
    case TitleFrom::kLockAt: {
      if (p.want_lock_frame) {
        p.want_lock_frame = false;
        auto f = ParseFrame(text);
        if (f && !SkippedFrame(f->function, r.skip)) {
          p.frame = f->function;
          return FinishTitle(p);
        }
        return;
      }
      if (auto site = ParseLockSite(text)) {
        if (site->empty()) {
          p.want_lock_frame = true;
        } else if (!SkippedFrame(*site, r.skip)) {
          p.frame = *site;
          return FinishTitle(p);
        }
      }
      return;
    }
    case TitleFrom::kKasan:
      for (std::string_view a : {"Read", "Write"}) {
        if (text.starts_with(a) && text.substr(a.size()).starts_with(" of size")) {
          p.access = std::string(a);
          return FinishTitle(p);
        }
      }
      return;
    case TitleFrom::kHungTask: {
      auto f = ParseFrame(text);
      if (f && !f->questionable && f->function.starts_with("rtnl_lock")) {
        p.frame = "rtnl_lock";
        return FinishTitle(p);
      }
      if (good(f, kHungSkip) && !f->pc) {
        p.frame = f->function;
        return FinishTitle(p);
      }
      return;
    }
    case TitleFrom::kStall: {
      if (std::string_view(text).contains("<EOI>") || text.starts_with("</IRQ>")) {
        p.after_irq = true;
        return;
      }
      auto f = ParseFrame(text);
      if (good(f, "") && f->pc) {  // where the stalled CPU is (self-detected stalls print it)
        p.frame = f->function;
        return FinishTitle(p);
      }
      if (!good(f, kStallSkip)) return;
      if (p.after_irq) {
        p.frame = f->function;
        return FinishTitle(p);
      }
      if (p.candidate.empty()) p.candidate = f->function;
      return;
    }
    case TitleFrom::kLeak: {
      if (std::string_view(text).contains("backtrace")) {
        p.in_backtrace = true;
        return;
      }
      if (!p.in_backtrace) return;
      auto f = ParseFrame(text);
      if (good(f, kLeakSkip)) {
        p.frame = f->function;
        return FinishTitle(p);
      }
      return;
    }
  }
}

void ConsoleClassifier::State::CheckWarning(WarnCheck& w) {
  Finding& f = findings[w.finding];
  for (const auto& [pattern, re] : allowed) {
    if (RE2::PartialMatch(w.report, *re)) {
      f.excused = true;
      f.excused_by = pattern;
      return;
    }
  }
}

void ConsoleClassifier::State::AddFinding(const RuleMatch& m, const Segment& s, std::string_view raw) {
  const ReportRule& r = *m.rule;
  if (r.role != ReportRole::kConsequence) {
    for (auto& p : pending) FinishTitle(p);  // a new report ends the previous one's window
    pending.clear();
    last_report_line = line_no;
  }
  if (findings.size() >= kMaxFindings) {
    // Past the cap an allowed warning never decides anything: count it and
    // drop it, so a console of allowed warnings keeps the list bounded.
    for (size_t k = kMaxFindings; k < findings.size(); ++k) {
      if (findings[k].excused) {
        DropFinding(k);
        ++excused_dropped;
        break;
      }
    }
  }
  size_t index = findings.size();
  Finding f{r.outcome, line_no, "", std::string(s.text)};
  f.consequence = r.role == ReportRole::kConsequence;
  const bool panic_line = r.pattern.starts_with("^Kernel panic - not syncing");
  f.after_panic = panicked && !panic_line;
  f.source = r.source;
  findings.push_back(std::move(f));

  std::string excerpt;
  for (size_t i = 0; i < before.size(); ++i) {
    excerpt.append(before[i]);
    excerpt += '\n';
  }
  excerpt.append(raw);
  excerpt += '\n';
  excerpts.push_back(std::move(excerpt));
  captures.push_back({index, kContextAfter});

  PendingTitle p{index, &r, m.captures};
  if (r.frame_capture > 0 && static_cast<size_t>(r.frame_capture) <= m.captures.size()) {
    Frame header = ParseFrame(m.captures[static_cast<size_t>(r.frame_capture) - 1] + "+0x0/0x0").value_or(Frame{});
    if (!SkippedFrame(header.function, r.skip)) p.frame = header.function;
    // A header naming its function needs no more lines, except for KASAN's access type.
    if (!p.frame.empty() && r.title_from != TitleFrom::kKasan) p.done = true;
  }
  if (r.title_from == TitleFrom::kKasan && m.captures.size() >= 2) {
    p.frame = SanitizeCapture(m.captures[1]);
    p.frame = ParseFrame(p.frame + "+0x0/0x0").value_or(Frame{p.frame}).function;
  }
  if (r.title_from == TitleFrom::kHeader || p.done) {
    p.done = false;
    FinishTitle(p);
  } else {
    pending.push_back(std::move(p));
  }

  if (r.outcome == BootOutcome::kWarning && r.role == ReportRole::kReport && !allowed.empty()) {
    // The report text: from its "cut here" marker (within the last 4 lines) through the
    // line after this one, so a pattern can match the WARN() message or the location.
    std::string report;
    size_t from = recent_text.size();
    for (size_t j = recent_text.size(); j > 0; --j) {
      if (std::string_view(recent_text[j - 1]).contains("[ cut here ]")) {
        from = j - 1;
        break;
      }
    }
    for (size_t j = from; j < recent_text.size(); ++j) {
      report += recent_text[j];
      report += '\n';
    }
    report.append(s.text);
    report += '\n';
    warn_checks.push_back({index, std::move(report)});
  }
}

void ConsoleClassifier::State::AddBareCutHere() {
  // A "cut here" marker with no report title after it: a kernel report we do
  // not know (lib/bug.c prints the marker before every BUG()/WARN()).
  static const ReportRule kBare{"", BootOutcome::kOops, ReportRole::kReport, "kernel report after cut here",
                                TitleFrom::kHeader, 0, "", false, "lib/bug.c"};
  if (!CanAdd(kBare.outcome)) return;
  Finding f{kBare.outcome, cut_here_line, std::string(kBare.title), "------------[ cut here ]------------"};
  f.source = kBare.source;
  findings.push_back(std::move(f));
  excerpts.emplace_back();  // filled only when it becomes the evidence (rare): see Finish
  last_report_line = cut_here_line;
}

// Lines every kernel prints while booting, even with printk timestamps off.
static bool IsBootBanner(std::string_view t) {
  for (std::string_view b : {"Linux version ", "Kernel command line: ", "Command line: ", "Run /", "Freeing unused kernel",
                             "Booting Linux on ", "Booting the kernel"}) {
    if (t.starts_with(b)) return true;
  }
  return false;
}

void ConsoleClassifier::State::ProcessSegment(const Segment& s, std::string_view raw) {
  std::string_view t = s.text;
  if (s.kernel || IsBootBanner(t)) ++kernel_lines;
  if (t.starts_with("Linux version ")) panicked = false;  // a new boot
  if (t.empty()) return;
  for (auto& p : pending) FeedTitle(p, t);
  std::erase_if(pending, [](const PendingTitle& p) { return p.done; });
  for (auto& w : warn_checks) {
    w.report.append(t);
    w.report += '\n';
    CheckWarning(w);
  }
  warn_checks.clear();

  bool matched = false;
  if (!t.starts_with("---[ end ")) {
    if (const ReportRule* rule = FindReportRule(t)) {
      const ReportRule& r = *rule;
      bool accept = r.role != ReportRole::kIgnore && (!r.needs_timestamp || s.timestamped);
      if (accept && r.role == ReportRole::kContinuation && last_report_line != 0 &&
          line_no - last_report_line <= kContinuationWindow) {
        accept = false;  // a later header line of the report already open
        matched = true;
      }
      if (accept) {
        if (!s.kernel && !IsBootBanner(t)) ++kernel_lines;
        // Past the findings cap, a report of a class already seen is only counted.
        if (CanAdd(r.outcome)) {
          AddFinding(CaptureReportRule(r, t), s, raw);
        } else if (r.role != ReportRole::kConsequence) {
          last_report_line = line_no;
        }
        if (r.pattern.starts_with("^Kernel panic - not syncing")) panicked = true;
        matched = true;
      }
    }
  }
  if (cut_here_line != 0) {
    if (matched) {
      cut_here_line = 0;
    } else if (++cut_here_seen > kCutHereWindow) {
      AddBareCutHere();
      cut_here_line = 0;
    }
  }
  if (!matched && std::string_view(t).contains("[ cut here ]")) {
    cut_here_line = line_no;
    cut_here_seen = 0;
  }
  recent_text.Push(t);
}

void ConsoleClassifier::State::ProcessLine(std::string_view raw) {
  TrimRight(raw);
  ++line_no;
  for (auto& c : captures) {
    excerpts[c.finding].append(raw);
    excerpts[c.finding] += '\n';
    --c.remaining;
  }
  std::erase_if(captures, [](const ExcerptCapture& c) { return c.remaining == 0; });

  SplitSegments(raw, segments);
  for (const auto& s : segments) ProcessSegment(s, raw);

  before.Push(raw);
  // The tail: the last kContextAfter + 1 lines ending at the last non-empty one.
  tail_live.Push(raw);
  if (!raw.empty()) {
    tail_end = line_no;
  } else if (tail_end != 0 && tail_end == line_no - 1) {
    tail = tail_live.Last(kContextAfter + 1, 1);  // frozen at the first empty line after a non-empty one
  }
}

ConsoleClassifier::ConsoleClassifier(const std::vector<std::string>& allowed_warnings)
    : state_(std::make_unique<State>()) {
  RE2::Options opts;
  opts.set_log_errors(false);
  for (const auto& pattern : allowed_warnings) {
    auto re = std::make_unique<RE2>(pattern, opts);
    if (!re->ok()) {
      state_->notes.push_back(
          fmt::format("allowed-warning pattern '{}' is not a valid RE2 pattern ({}); ignored", pattern, re->error()));
      continue;
    }
    state_->allowed.emplace_back(pattern, std::move(re));
  }
}

ConsoleClassifier::~ConsoleClassifier() = default;

void ConsoleClassifier::Feed(std::string_view bytes) {
  State& s = *state_;
  while (!bytes.empty()) {
    size_t nl = bytes.find('\n');
    std::string_view piece = bytes.substr(0, nl);
    if (s.carry.empty() && !s.overlong && nl != std::string_view::npos && piece.size() <= kMaxLine) {
      s.ProcessLine(piece);  // the common case: a whole line inside the chunk, no copy
    } else {
      if (!s.overlong) {
        size_t room = kMaxLine - std::min(kMaxLine, s.carry.size());
        s.carry.append(piece.substr(0, room));
        s.overlong = piece.size() > room;  // the rest of the line is dropped
      }
      if (nl != std::string_view::npos) {
        s.ProcessLine(s.carry);
        s.carry.clear();
        s.overlong = false;
      }
    }
    if (nl == std::string_view::npos) return;
    bytes.remove_prefix(nl + 1);
  }
}

Classification ConsoleClassifier::Finish(const ClassifyInput& input) {
  State& s = *state_;
  if (!s.carry.empty()) {
    s.ProcessLine(s.carry);
    s.carry.clear();
  }
  s.overlong = false;
  for (auto& w : s.warn_checks) s.CheckWarning(w);
  s.warn_checks.clear();
  for (auto& p : s.pending) s.FinishTitle(p);
  s.pending.clear();
  if (s.cut_here_line != 0) s.AddBareCutHere();

  Classification c;
  c.findings = std::move(s.findings);
  c.notes = std::move(s.notes);
  c.console_lines = s.line_no;
  c.kernel_lines = s.kernel_lines;

  auto first_of = [&](BootOutcome o) -> const Finding* {
    for (const auto& f : c.findings) {
      if (f.outcome == o && !f.excused && !f.after_panic) return &f;
    }
    return nullptr;
  };
  auto decide_from = [&](const Finding& f, std::string reason) {
    c.outcome = f.outcome;
    c.line = f.line;
    c.title = f.title;
    size_t index = static_cast<size_t>(&f - c.findings.data());
    c.excerpt = s.excerpts[index];
    if (c.excerpt.empty()) c.excerpt = f.text + "\n";
    c.reason = std::move(reason);
    return c;
  };
  auto decide_tail = [&](BootOutcome o, std::string reason) {
    c.outcome = o;
    std::vector<std::string> lines = s.tail_end == s.line_no ? s.tail_live.Last(kContextAfter + 1) : s.tail;
    c.line = s.tail_end;
    if (c.line != 0) {
      for (const auto& l : lines) {
        c.excerpt.append(l);
        c.excerpt += '\n';
      }
    }
    c.reason = std::move(reason);
    return c;
  };

  if (input.build_failed) {
    c.outcome = BootOutcome::kBuildFailed;
    c.reason = input.build_detail.empty() ? "the kernel did not build" : input.build_detail;
    return c;
  }
  for (BootOutcome o : kCrashPrecedence) {
    if (const Finding* f = first_of(o)) {
      std::string what;
      switch (o) {
        case BootOutcome::kRustPanic: what = "Rust panic"; break;
        case BootOutcome::kOops: what = "kernel Oops/BUG report"; break;
        case BootOutcome::kHang: what = "kernel hang report"; break;
        case BootOutcome::kInitFailed: what = "init failed"; break;
        default: what = "kernel panic"; break;
      }
      return decide_from(*f, fmt::format("{} at console line {}: {}", what, f->line, f->text));
    }
  }
  const bool agent_expected = input.agent.has_value();
  if (input.end == EndReason::kTimeout || input.end == EndReason::kSilent) {
    std::string detail = input.end_detail.empty() ? std::string(EndReasonName(*input.end)) : input.end_detail;
    std::string agent_state;
    if (agent_expected) {
      agent_state = !input.agent->hello_seen ? "; the agent never said hello" : "; the agent said hello but never reported done";
    }
    return decide_tail(BootOutcome::kBootTimeout,
                       fmt::format("the guest did not finish ({}){}; no kernel report on the console", detail, agent_state));
  }
  if (input.end == EndReason::kCrashed) {
    return decide_tail(BootOutcome::kKernelPanic,
                       fmt::format("the hypervisor reported a guest crash ({}) with no report on the console",
                                   input.end_detail.empty() ? "crashed" : input.end_detail));
  }
  if (agent_expected) {
    if (!input.agent->hello_seen) {
      return decide_tail(BootOutcome::kAgentLost, "the guest stopped before the agent said hello");
    }
    if (!input.agent->done_seen) {
      return decide_tail(BootOutcome::kAgentLost, "the agent said hello but stopped before reporting done");
    }
    if (!input.agent->failed_workloads.empty()) {
      c.outcome = BootOutcome::kWorkloadFailed;
      c.reason = fmt::format("workload(s) failed: {}", fmt::join(input.agent->failed_workloads, ", "));
      return c;
    }
  }
  if (const Finding* f = first_of(BootOutcome::kWarning)) {
    return decide_from(*f, fmt::format("kernel warning at console line {}: {}", f->line, f->text));
  }
  c.outcome = BootOutcome::kPassed;
  size_t excused = s.excused_dropped + static_cast<size_t>(std::count_if(c.findings.begin(), c.findings.end(),
                                                                          [](const Finding& f) { return f.excused; }));
  c.reason = fmt::format("{}no kernel report in {} console line(s){}",
                         agent_expected ? "the agent reported done; " : "", s.line_no,
                         excused > 0 ? fmt::format(" ({} allowed warning(s))", excused) : "");
  if (!agent_expected && !input.end) c.reason += "; judged from the console alone";
  return c;
}

Classification Classify(const ClassifyInput& input) {
  ConsoleClassifier classifier(input.allowed_warnings);
  classifier.Feed(input.console);
  return classifier.Finish(input);
}

namespace {

// Closes an fd on every path.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

std::string_view FileKind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

}  // namespace

Result<Classification> ClassifyFile(const std::filesystem::path& path, const ClassifyInput& signals) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) {
    int err = errno;
    if (err == ENOENT || err == ENOTDIR) return FailAs(Error::Kind::kNotFound, "{}: no such file", path.string());
    return FailAs(Error::Kind::kInput, "{}: {}", path.string(), std::strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    return FailAs(Error::Kind::kInput, "{} is {}, not a console log file", path.string(), FileKind(st.st_mode));
  }
  Fd fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK)};
  if (fd.fd < 0) return FailAs(Error::Kind::kInput, "{}: {}", path.string(), std::strerror(errno));
  ConsoleClassifier classifier(signals.allowed_warnings);
  std::string buffer(kChunk, '\0');
  for (;;) {
    if (CancelRequested()) return FailAs(Error::Kind::kCancelled, "interrupted while reading {}", path.string());
    ssize_t n = ::read(fd.fd, buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Fail("reading {}: {}", path.string(), std::strerror(errno));
    }
    if (n == 0) break;
    classifier.Feed(std::string_view(buffer.data(), static_cast<size_t>(n)));
  }
  return classifier.Finish(signals);
}

Status CheckAllowedWarning(const std::string& pattern) {
  RE2::Options opts;
  opts.set_log_errors(false);
  RE2 re(pattern, opts);
  if (!re.ok()) {
    return FailAs(Error::Kind::kInput, "allowed-warning pattern '{}' is not a valid RE2 pattern: {}", pattern,
                  re.error());
  }
  return {};
}

}  // namespace rfl::vm

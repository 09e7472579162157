#include "lab/kernel/progress.h"

#include <fmt/format.h>

#include "lab/kernel/build_log.h"

namespace rfl::kernel {

namespace {
// One live line per terminal: with two builds at once (a run's small builds
// side by side) the first one to draw owns it until it is done; the other
// prints its phase changes as plain lines.
std::mutex live_mu;
const BuildProgress* live_owner = nullptr;

bool OwnsLiveLine(const BuildProgress* p) {
  std::lock_guard lock(live_mu);
  if (!live_owner) live_owner = p;
  return live_owner == p;
}

void ReleaseLiveLine(const BuildProgress* p) {
  std::lock_guard lock(live_mu);
  if (live_owner == p) live_owner = nullptr;
}
}  // namespace

std::string FormatDuration(double seconds) {
  if (seconds < 0) seconds = 0;
  auto s = static_cast<long>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

BuildProgress::BuildProgress(std::ostream& out, bool tty, std::string label, std::optional<double> estimate)
    : out_(out), tty_(tty), label_(std::move(label)), estimate_(estimate) {}

BuildProgress::~BuildProgress() {
  if (live_ && !done_) out_ << "\n" << std::flush;
  ReleaseLiveLine(this);
}

std::string BuildProgress::Elapsed() const {
  double e = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (estimate_) return fmt::format("{} / ~{}", FormatDuration(e), FormatDuration(*estimate_));
  return FormatDuration(e);
}

void BuildProgress::Phase(const std::string& what) {
  std::lock_guard lock(mu_);
  phase_ = what;
  step_.clear();
  if (tty_) {
    Draw(true);
  } else {
    out_ << fmt::format("[{}] {} ({})\n", label_, phase_, Elapsed()) << std::flush;
  }
}

void BuildProgress::Line(std::string_view line) {
  auto step = ProgressStep(line);
  if (!step) return;
  std::lock_guard lock(mu_);
  step_ = *step;
  ++steps_;
  Draw(false);
}

void BuildProgress::Draw(bool force) {
  auto now = std::chrono::steady_clock::now();
  if (tty_) {
    if (!force && now - last_draw_ < std::chrono::milliseconds(200)) return;
    last_draw_ = now;
    if (!OwnsLiveLine(this)) {
      if (force) out_ << fmt::format("\r\033[K[{}] {} ({})\n", label_, phase_, Elapsed()) << std::flush;
      return;
    }
    std::string text = fmt::format("[{}] {} {} {}", label_, Elapsed(), phase_, step_);
    if (text.size() > 118) text = text.substr(0, 117) + "…";
    out_ << "\r\033[K" << text << std::flush;
    live_ = true;
  } else {
    if (!force && now - last_draw_ < std::chrono::seconds(30)) return;
    last_draw_ = now;
    out_ << fmt::format("[{}] {} {}: {} steps, at {}\n", label_, Elapsed(), phase_, steps_, step_) << std::flush;
  }
}

void BuildProgress::Done(const std::string& status) {
  std::lock_guard lock(mu_);
  done_ = true;
  if (tty_) out_ << "\r\033[K";  // its own live line, or the one another build owns
  double e = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  out_ << fmt::format("[{}] {} in {}\n", label_, status, FormatDuration(e)) << std::flush;
  ReleaseLiveLine(this);
}

}  // namespace rfl::kernel

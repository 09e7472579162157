#pragma once
// Build progress for people: on a terminal one live line (what is building,
// elapsed, estimate from the last build of the same key), redrawn at most a
// few times a second; otherwise plain lines (phase changes, and the current
// step every 30 s) so CI logs stay readable.
#include <chrono>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>

namespace rfl::kernel {

class BuildProgress {
 public:
  BuildProgress(std::ostream& out, bool tty, std::string label, std::optional<double> estimate_seconds);
  ~BuildProgress();

  // A new phase ("config", "rustavailable", "make"): always printed.
  void Phase(const std::string& what);
  // One line of make output (the last kbuild step is shown).
  void Line(std::string_view line);
  // Ends the live line with a final status.
  void Done(const std::string& status);

 private:
  void Draw(bool force);
  std::string Elapsed() const;

  std::ostream& out_;
  bool tty_;
  std::string label_;
  std::optional<double> estimate_;
  std::string phase_;
  std::string step_;
  size_t steps_ = 0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_draw_{};
  bool live_ = false;
  bool done_ = false;
  std::mutex mu_;
};

// "5:40" for 340 s.
std::string FormatDuration(double seconds);

}  // namespace rfl::kernel

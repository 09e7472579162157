// Bounded-time property tests on hostile input (CTest label `fuzz`): the
// repository's own scenarios, console logs and agent record streams, mutated
// with a seeded generator, fed to the scenario loader, the console classifier
// and the agent record decoder in process, and a sample of the mutated
// scenarios to the real `rfl-lab validate`. Properties: no crash, no case
// over its time limit, exit codes in the documented set, every diagnostic
// at a file:line:col, bounded memory. Past crashers (tests/fixtures/fuzz/)
// are replayed first.
//
//   RFL_LAB_FUZZ_SECONDS  total budget (default 60)
//   RFL_LAB_FUZZ_SEED     seed (default 1, so CI replays the same cases and a
//                         landing never depends on luck; `time` explores new
//                         ones: the seed is printed, so a failure reproduces)
// A case that crashes or hangs leaves its input in
// <build>/tests/fuzz-last-<target>.in (written before the case runs).
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string_view>
#include <fstream>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "images/agent/protocol.h"
#include "lab/scenario/load.h"
#include "lab/util/paths.h"
#include "lab/util/process.h"
#include "lab/util/temp_dir.h"
#include "lab/vm/classifier.h"

namespace rfl {
namespace {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const fs::path kSource = RFL_LAB_SOURCE_DIR;
const fs::path kCrashers = kSource / "tests/fixtures/fuzz";

double BudgetSeconds() {
  const char* v = std::getenv("RFL_LAB_FUZZ_SECONDS");
  double s = v ? std::atof(v) : 60.0;
  return s > 0 ? s : 60.0;
}

uint64_t Seed() {
  static const uint64_t seed = [] {
    const char* v = std::getenv("RFL_LAB_FUZZ_SEED");
    uint64_t s = !v ? 1
                 : std::string_view(v) == "time" ? static_cast<uint64_t>(Clock::now().time_since_epoch().count())
                                                 : std::strtoull(v, nullptr, 10);
    std::fprintf(stderr, "fuzz seed: RFL_LAB_FUZZ_SEED=%llu\n", static_cast<unsigned long long>(s));
    return s;
  }();
  return seed;
}

std::vector<std::string> ReadAll(const std::vector<fs::path>& files) {
  std::vector<std::string> out;
  for (const auto& f : files) {
    auto text = ReadFile(f);
    if (text) out.push_back(*text);
  }
  return out;
}

std::vector<fs::path> Glob(const fs::path& dir, std::string_view ext) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_regular_file() && e.path().extension() == ext) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Tokens that broke parsers before, or that mean something to YAML, Kconfig,
// make, the shell, printk or the agent framing.
const std::vector<std::string> kTokens = {
    "&a ", "*a", "<<: *a\n", "[*a, *a, *a, *a]", "{", "[[[[[[[[", "]", "---\n", "...\n", "? ", ": ", "- ", "!!binary ",
    "99999999999999999999", "18446744073709551616", "-1", "0x10", "nan", "inf", "1e999", "0.0000001", "99999999999h",
    std::string(1, '\0'), "\xff\xfe", "\xc3\x28", "\xe2\x80\xae", "\r", "\r\n", "\t", "\\", "\"", "'",
    "$(shell id)", "`id`", "${HOME}", ";", "|", "&&", "../../../../etc/passwd", "/dev/zero", "%n%s",
    std::string(5000, 'a'), std::string(70000, 'x'), "(a+)+b$",
    "Kernel panic - not syncing: ", "BUG: KASAN: ", "WARNING: CPU: 0 PID: 1 at ", "------------[ cut here ]------------\n",
    "Oops: ", "[    1.000000] ", "<4>", "@rfl-agent ", "@rfl-agent 00000000 {}", "{\"v\":1,\"seq\":",
};

class Mutator {
 public:
  explicit Mutator(uint64_t seed) : rng_(seed) {}

  size_t Below(size_t n) { return n ? std::uniform_int_distribution<size_t>(0, n - 1)(rng_) : 0; }

  std::string Mutate(std::string s, const std::vector<std::string>& others) {
    int rounds = 1 + static_cast<int>(Below(6));
    for (int i = 0; i < rounds; ++i) {
      size_t at = Below(s.size() + 1);
      switch (Below(9)) {
        case 0:  // flip a byte
          if (!s.empty()) s[Below(s.size())] ^= static_cast<char>(1u << Below(8));
          break;
        case 1:  // a random byte
          s.insert(at, 1, static_cast<char>(Below(256)));
          break;
        case 2: {  // delete a range
          size_t n = Below(std::min<size_t>(64, s.size() - std::min(at, s.size()) + 1));
          s.erase(std::min(at, s.size()), n);
          break;
        }
        case 3: {  // duplicate a range (repetition, aliases, deep nesting)
          if (s.empty()) break;
          size_t from = Below(s.size()), n = 1 + Below(std::min<size_t>(256, s.size() - from));
          std::string piece = s.substr(from, n);
          for (size_t k = 0, times = 1 + Below(8); k < times; ++k) s.insert(std::min(at, s.size()), piece);
          break;
        }
        case 4:
        case 5:  // an interesting token
          s.insert(at, kTokens[Below(kTokens.size())]);
          break;
        case 6: {  // splice a line from another seed
          if (others.empty()) break;
          const std::string& o = others[Below(others.size())];
          if (o.empty()) break;
          size_t from = o.rfind('\n', Below(o.size()));
          from = from == std::string::npos ? 0 : from + 1;
          size_t to = o.find('\n', from);
          s.insert(at, o.substr(from, to == std::string::npos ? std::string::npos : to - from + 1));
          break;
        }
        case 7: {  // replace a scalar after ": " with a token
          size_t colon = s.find(": ", at);
          if (colon == std::string::npos) break;
          size_t end = s.find('\n', colon);
          s.replace(colon + 2, (end == std::string::npos ? s.size() : end) - colon - 2, kTokens[Below(kTokens.size())]);
          break;
        }
        default:  // truncate
          s.resize(std::min(s.size(), at));
          break;
      }
      if (s.size() > (2u << 20)) s.resize(2u << 20);
    }
    return s;
  }

 private:
  std::mt19937_64 rng_;
};

// Aborts the process (a test failure with the input kept on disk) when one
// case runs past its limit: a hang must not pass as a slow test.
class Watchdog {
 public:
  Watchdog(std::string target, std::chrono::seconds limit) : target_(std::move(target)), limit_(limit) {
    thread_ = std::jthread([this](std::stop_token st) {
      while (!st.stop_requested()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        auto started = started_.load();
        if (started != 0 && Clock::now().time_since_epoch().count() - started >
                                std::chrono::duration_cast<Clock::duration>(limit_).count()) {
          std::fprintf(stderr, "fuzz: a %s case ran past %lld s; its input is %s\n", target_.c_str(),
                       static_cast<long long>(limit_.count()), LastInputPath(target_).c_str());
          std::abort();
        }
      }
    });
  }
  // Keeps the input, then starts the clock.
  void Begin(std::string_view input) {
    std::ofstream(LastInputPath(target_), std::ios::binary | std::ios::trunc).write(input.data(), input.size());
    started_ = Clock::now().time_since_epoch().count();
  }
  void End() { started_ = 0; }

  static std::string LastInputPath(const std::string& target) {
    return (fs::current_path() / ("fuzz-last-" + target + ".in")).string();
  }

 private:
  std::string target_;
  std::chrono::seconds limit_;
  std::atomic<Clock::rep> started_{0};
  std::jthread thread_;
};

long MaxRssMiB() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024;
}

constexpr long kMaxRssMiB = 1024;

void CheckScenarioCase(const std::string& text, const scenario::Catalog& catalog) {
  auto loaded = scenario::ParseScenario("fuzz.yaml", text, kSource / "scenarios", catalog);
  const auto& d = loaded.diagnostics;
  ASSERT_EQ(loaded.scenario.has_value(), !d.HasErrors());
  ASSERT_LE(d.all().size(), scenario::kMaxDiagnostics);
  for (const auto& diag : d.all()) {
    ASSERT_GE(diag.pos.line, 1) << diag.message;
    ASSERT_GE(diag.pos.col, 1) << diag.message;
    ASSERT_FALSE(diag.message.empty());
  }
  std::string rendered = d.Render();
  ASSERT_LE(rendered.size(), 4u << 20);
}

TEST(Fuzz, PastCrashersOfTheScenarioLoaderGiveDiagnostics) {
  auto catalog = scenario::Catalog::FromDataDir(kSource);
  auto files = Glob(kCrashers / "scenario", ".yaml");
  ASSERT_FALSE(files.empty());
  for (const auto& f : files) {
    auto loaded = scenario::LoadScenario(f, catalog);
    EXPECT_TRUE(loaded.diagnostics.HasErrors()) << f;
    for (const auto& diag : loaded.diagnostics.all()) {
      EXPECT_GE(diag.pos.line, 1) << f << ": " << diag.message;
    }
  }
}

TEST(Fuzz, PastCrashersOfTheClassifierClassifyAndPrintJson) {
  auto files = Glob(kCrashers / "console", ".log");
  ASSERT_FALSE(files.empty());
  for (const auto& f : files) {
    Command c;
    c.argv = {RFL_LAB_BINARY, "classify", "--allow-warning", "[a-z]+X", "--json", f.string()};
    c.timeout = std::chrono::seconds(20);
    auto r = DefaultRunner().Run(c);
    ASSERT_TRUE(r.has_value());
    EXPECT_FALSE(r->timed_out) << f;
    EXPECT_EQ(r->term_signal, 0) << f;
    EXPECT_EQ(r->exit_code, 1) << f << ": a warning is a finding\n" << r->output;
    EXPECT_NE(r->output.find("\"title\": \"WARNING in rfl_crash_init\""), std::string::npos) << r->output;
  }
}

TEST(Fuzz, ScenarioLoaderSurvivesMutatedScenarios) {
  auto catalog = scenario::Catalog::FromDataDir(kSource);
  auto seeds_paths = Glob(kSource / "scenarios", ".yaml");
  auto fixtures = Glob(kSource / "tests/fixtures/scenario", ".yaml");
  seeds_paths.insert(seeds_paths.end(), fixtures.begin(), fixtures.end());
  auto seeds = ReadAll(seeds_paths);
  ASSERT_GE(seeds.size(), 10u);
  Mutator m(Seed());
  Watchdog dog("scenario", std::chrono::seconds(10));
  auto tmp = TempDir::Create(fs::temp_directory_path(), "rfl-fuzz-");
  ASSERT_TRUE(tmp.has_value());
  const auto deadline = Clock::now() + std::chrono::duration<double>(BudgetSeconds() * 0.5);
  size_t cases = 0, cli_cases = 0, valid = 0;
  while (Clock::now() < deadline) {
    std::string input = m.Mutate(seeds[m.Below(seeds.size())], seeds);
    dog.Begin(input);
    CheckScenarioCase(input, catalog);
    dog.End();
    if (HasFatalFailure()) {
      ADD_FAILURE() << "input kept in " << Watchdog::LastInputPath("scenario");
      return;
    }
    ++cases;
    // Every 25th case through the real binary: exit status and the printed
    // positions as a user sees them.
    if (cases % 25 == 0) {
      fs::path file = tmp->path() / "case.yaml";
      std::ofstream(file, std::ios::binary | std::ios::trunc).write(input.data(), input.size());
      Command c;
      c.argv = {RFL_LAB_BINARY, "--state-dir", (tmp->path() / "state").string(), "--cache-dir",
                (tmp->path() / "cache").string(), "validate", file.string()};
      c.timeout = std::chrono::seconds(20);
      c.capture_limit = 64 << 10;
      auto r = DefaultRunner().Run(c);
      ASSERT_TRUE(r.has_value());
      ASSERT_FALSE(r->timed_out) << "validate hung; input kept in " << Watchdog::LastInputPath("scenario");
      ASSERT_EQ(r->term_signal, 0) << "validate crashed; input kept in " << Watchdog::LastInputPath("scenario");
      ASSERT_TRUE(r->exit_code == 0 || r->exit_code == 2) << "exit " << r->exit_code << "\n" << r->output;
      if (r->exit_code == 0) ++valid;
      static const std::regex kPositioned(R"(^\S+:\d+:\d+: (error|warning): )");
      size_t start = 0;
      while (start < r->output.size()) {
        size_t nl = r->output.find('\n', start);
        std::string line = r->output.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
        start = nl == std::string::npos ? r->output.size() : nl + 1;
        if (line.find(": error: ") != std::string::npos && line.starts_with(file.string())) {
          ASSERT_TRUE(std::regex_search(line.substr(0, 300), kPositioned)) << line;
        }
      }
      ++cli_cases;
    }
  }
  std::fprintf(stderr, "scenario: %zu cases (%zu through rfl-lab validate, %zu of them valid), max RSS %ld MiB\n",
               cases, cli_cases, valid, MaxRssMiB());
  EXPECT_GT(cases, 0u);
  EXPECT_LT(MaxRssMiB(), kMaxRssMiB);
}

TEST(Fuzz, ClassifierSurvivesMutatedConsoles) {
  auto paths = Glob(kSource / "tests/fixtures/consoles", ".log");
  auto agent = Glob(kSource / "tests/fixtures/agent", ".log");
  paths.insert(paths.end(), agent.begin(), agent.end());
  auto seeds = ReadAll(paths);
  ASSERT_GE(seeds.size(), 10u);
  Mutator m(Seed() + 1);
  Watchdog dog("console", std::chrono::seconds(10));
  const auto deadline = Clock::now() + std::chrono::duration<double>(BudgetSeconds() * 0.25);
  size_t cases = 0;
  const std::vector<std::string> allowed = {"(a+)+b$", "[a-z]+X", "(", "ab{1000}{1000}"};
  while (Clock::now() < deadline) {
    std::string input = m.Mutate(seeds[m.Below(seeds.size())], seeds);
    dog.Begin(input);
    vm::ConsoleClassifier c(allowed);
    // Fed in random chunks, as a serial port delivers it.
    for (size_t at = 0; at < input.size();) {
      size_t n = 1 + m.Below(8192);
      c.Feed(std::string_view(input).substr(at, n));
      at += n;
    }
    vm::ClassifyInput signals;
    auto got = c.Finish(signals);
    dog.End();
    ASSERT_LE(got.findings.size(), vm::kMaxFindingsBound);
    ASSERT_LE(got.excerpt.size(), 1u << 20);
    ASSERT_FALSE(got.reason.empty());
    ++cases;
  }
  std::fprintf(stderr, "console: %zu cases, max RSS %ld MiB\n", cases, MaxRssMiB());
  EXPECT_GT(cases, 0u);
  EXPECT_LT(MaxRssMiB(), kMaxRssMiB);
}

// Agent lines re-framed with a valid checksum around mutated JSON, so the
// JSON decoder (not only the CRC check) sees the hostile bytes.
std::string Reframe(std::string_view line, Mutator& m, const std::vector<std::string>& seeds) {
  size_t at = line.find(agent::kLinePrefix);
  if (at == std::string_view::npos || line.size() < at + agent::kLinePrefix.size() + 9) return std::string(line);
  std::string payload(line.substr(at + agent::kLinePrefix.size() + 9));
  payload = m.Mutate(payload, seeds);
  payload.erase(std::remove(payload.begin(), payload.end(), '\n'), payload.end());
  char crc[9];
  std::snprintf(crc, sizeof crc, "%08x", agent::Crc32(payload));
  return std::string(agent::kLinePrefix) + crc + " " + payload;
}

TEST(Fuzz, AgentDecoderSurvivesMutatedRecordStreams) {
  auto seeds = ReadAll(Glob(kSource / "tests/fixtures/agent", ".log"));
  ASSERT_FALSE(seeds.empty());
  Mutator m(Seed() + 2);
  Watchdog dog("agent", std::chrono::seconds(10));
  const auto deadline = Clock::now() + std::chrono::duration<double>(BudgetSeconds() * 0.25);
  size_t cases = 0, records = 0, rejected = 0;
  while (Clock::now() < deadline) {
    const std::string& seed = seeds[m.Below(seeds.size())];
    std::string input;
    if (m.Below(2) == 0) {
      input = m.Mutate(seed, seeds);
    } else {
      size_t start = 0;
      while (start < seed.size()) {
        size_t nl = seed.find('\n', start);
        std::string_view line(seed.data() + start, (nl == std::string::npos ? seed.size() : nl) - start);
        input += (m.Below(4) == 0 ? Reframe(line, m, seeds) : std::string(line)) + "\n";
        start = nl == std::string::npos ? seed.size() : nl + 1;
      }
    }
    dog.Begin(input);
    agent::RecordDecoder d;
    for (size_t at = 0; at < input.size();) {
      size_t n = 1 + m.Below(4096);
      d.Feed(std::string_view(input).substr(at, n));
      at += n;
    }
    d.Finish();
    auto got = d.Take();
    dog.End();
    for (const auto& r : got) {
      // A record that decoded encodes again (what the store will keep).
      ASSERT_FALSE(agent::EncodeJson(r).empty());
    }
    records += got.size();
    rejected += static_cast<size_t>(d.rejected_lines());
    ++cases;
  }
  std::fprintf(stderr, "agent: %zu cases, %zu records decoded, %zu lines rejected, max RSS %ld MiB\n", cases, records,
               rejected, MaxRssMiB());
  EXPECT_GT(cases, 0u);
  EXPECT_LT(MaxRssMiB(), kMaxRssMiB);
}

}  // namespace
}  // namespace rfl

#pragma once
// Plain records of what the lab did, as the results store keeps them. The
// orchestrator (`run`) fills them in and hands them to a Store; reports and
// exporters read them back. Strings rather than scenario enums for arch,
// toolchain and kernel: the store must read runs made by older scenarios.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "lab/core/outcome.h"

namespace rfl::results {

enum class RunStatus { kRunning, kCompleted, kInterrupted, kFailed };
std::string_view RunStatusName(RunStatus s);  // "running", "completed", …
std::optional<RunStatus> ParseRunStatus(std::string_view s);

enum class BuildOutcome { kBuilt, kCacheHit, kFailed, kExpectedFailure };
std::string_view BuildOutcomeName(BuildOutcome o);  // "built", "cache-hit", "failed", "expected-failure"
std::optional<BuildOutcome> ParseBuildOutcome(std::string_view s);
inline bool BuildSucceeded(BuildOutcome o) {
  return o == BuildOutcome::kBuilt || o == BuildOutcome::kCacheHit;
}

struct VariantInfo {
  std::string name;
  Expect expect = Expect::kPass;
  std::vector<std::string> rustflags;
  std::map<std::string, std::string> kconfig;
};

// Everything known when a run starts.
struct RunInfo {
  std::string scenario_name;
  std::string scenario_text;  // the exact YAML
  std::string scenario_hash;  // Sha256Hex(scenario_text)
  std::string lab_version;
  std::string host;
  std::string timing = "icount";  // icount | wall
  std::string baseline;           // the baseline variant's name
  double noise = 0.01;            // scenario thresholds, used by reports
  double alpha = 0.05;
  int repeat_min = 5;
  int repeat_max = 5;
  std::vector<VariantInfo> variants;
  double started_unix = 0;  // seconds since the epoch; 0 = now
  // The corner of the matrix the command line limited the run to, as its
  // options ("--kernel 7.3 --arch x86_64"); '' for the whole scenario.
  std::string corner;
  // Where its boots ran: the backend (`libvirt` | `lava`, vm::Hypervisor::
  // Backend) and its URI (the libvirt connection, the LAVA server). A
  // resumed run keeps what its start recorded.
  std::string backend;
  std::string backend_uri;
};

// One row of `runs`.
struct RunSummary {
  int64_t id = 0;
  RunInfo info;
  double ended_unix = 0;  // 0 while running
  RunStatus status = RunStatus::kRunning;
  std::string message;    // why it failed or was interrupted
  int boots = 0;          // counts, filled by ListRuns/LoadRun
  int failed_boots = 0;
  int builds = 0;
};

// What the code-check stage (lab/pipeline/code_check.h) found for one rustc
// flag in a build's Rust objects (docs/codecheck.md).
struct CodeCheckRecord {
  std::string flag;            // "-Zcf-protection=branch"
  // Among the build's effective rustc flags (rust/.kernel.o.cmd). A flag
  // that is not is a control: another build of the run claims it, and here
  // it should come out absent.
  bool claimed = false;
  std::string verdict;         // effective | partial | absent | not-applicable
  std::string expected;        // the variant's `expect_code` for the flag; empty: effective when claimed
  int64_t objects = 0;         // Rust objects of the flag's arch
  int64_t functions = 0;
  int64_t checked = 0;         // judged: with the signature + offenders
  int64_t with_signature = 0;
  int64_t exempt = 0;          // documented exceptions
  int64_t offenders_total = 0;
  std::vector<std::string> offenders;  // "function (reason)", at most 10
  std::vector<std::string> notes;
  bool operator==(const CodeCheckRecord&) const = default;
};
nlohmann::json ToJson(const CodeCheckRecord& c);
// Tolerant of missing members (a record written by an older lab).
CodeCheckRecord CodeCheckFromJson(const nlohmann::json& j);
// A finding, or nullopt: a claimed flag whose verdict is not what the
// variant expects (effective, unless `expected` says otherwise), or an
// expectation the verdict did not meet.
std::optional<std::string> CodeCheckProblem(const CodeCheckRecord& c);

// What the ABI-check stage (a scenario's `abi_checks:`, docs/abicheck.md)
// found for one flag × toolchain × arch: does rustc refuse to mix crates that
// disagree on the flag? The verdicts are codecheck::AbiVerdictName /
// EscapeHatchName strings; `detail` is the whole check as
// codecheck::ToJson(AbiCheckResult) gives it (excerpts, times).
struct AbiCheckRecord {
  std::string flag;       // "-Zfixed-x18"
  std::string arch;
  std::string toolchain;
  std::string rustc;      // its release ("1.97.1")
  std::string modifier;   // the option's name ("fixed-x18")
  bool known_target_modifier = false;
  std::string crate_with_flag;   // crate with the flag, core without: rejected | accepted | unknown-flag | error | not-run
  std::string core_with_flag;    // crate without, core with the flag
  std::string escape_hatch;      // works | fails | n/a
  std::string rustdoc_mismatch;  // rustdoc --test with the flag, core without
  std::string rustdoc_matched;   // rustdoc --test with the flag, core with it
  // -Zsanitizer=kcfi / -Zsanitizer-cfi-normalize-integers: the kernel callback
  // types whose kCFI ids clang and rustc were compared (0: not compared),
  // how many agree with the kernel's flags, without normalization, and with
  // rustc merging functions; the names that differ with the kernel's flags.
  size_t kcfi_types = 0;
  size_t kcfi_matching = 0;
  size_t kcfi_matching_plain = 0;
  size_t kcfi_matching_mergeable = 0;
  std::vector<std::string> kcfi_mismatched;
  bool kcfi_finding = false;  // codecheck::KcfiTypeIdResult::Finding(): ids differ, and the probe could judge
  bool finding = false;          // codecheck::AbiCheckResult::Finding()
  bool inconclusive = false;     // an `error` case: could not be judged
  double seconds = 0;
  nlohmann::json detail = nlohmann::json::object();
};
// The record of codecheck::ToJson(AbiCheckResult); tolerant of missing members.
AbiCheckRecord AbiCheckFromJson(const nlohmann::json& j);
// A check that could not be judged (rustc refuses the flag's value, the lab
// could not run it): inconclusive, `why` as the first case's excerpt, every
// other case not run — the record as the store gives it back.
AbiCheckRecord UnjudgedAbiCheck(const std::string& flag, const std::string& arch, const std::string& toolchain,
                                const std::string& rustc, const std::string& why);
// A finding, or nullopt: a known target modifier that rustc lets through in
// a mixed build (either direction, or through rustdoc), an escape hatch that
// does not work, or rustdoc refusing a matching build.
std::optional<std::string> AbiCheckProblem(const AbiCheckRecord& c);
// One line for a report: "rejected both ways, escape hatch works, rustdoc ok".
std::string AbiCheckSummary(const AbiCheckRecord& c);

struct BuildRecord {
  int64_t id = 0;  // assigned by the store
  std::string key;
  std::vector<std::string> variants;  // variant names sharing this build
  std::string arch;
  std::string toolchain;
  std::string kernel;  // kernel source label ("7.3")
  // Exactly which kernel: `make kernelversion` ("7.3.4") and the prepared
  // source's id ("debian:linux-source-7.3=7.3.4-1~bpo13+1"); '' when the
  // source was never prepared, and for builds stored before schema 5.
  std::string kernel_version;
  std::string source_id;
  BuildOutcome outcome = BuildOutcome::kBuilt;
  std::string failure_class;    // e.g. "link-error", "kconfig-unmet"; empty on success
  std::string failure_excerpt;  // the log lines that prove it
  std::string rustc_version;    // `rustc -vV` first line
  std::string bindgen_version;
  std::string clang_version;
  std::string effective_flags;  // rustc flags as kbuild passed them
  double duration_seconds = 0;
  // ELF section sizes: object ("vmlinux", "rust") → section ("text") → bytes.
  std::map<std::string, std::map<std::string, int64_t>> sizes;
  std::string artifact_dir;
  std::vector<CodeCheckRecord> code_checks;  // empty for failed builds and before schema 4
};

// One measurement. Labels are a bounded set (payload size, pattern…).
struct Sample {
  std::string workload;
  std::string metric;
  std::string unit;
  double value = 0;
  std::map<std::string, std::string> labels;
};

// How one workload of a boot ended: what the agent reported (passed,
// failed, skipped) or `skipped` by the lab before booting because the
// kernel lacks what it needs (the reason names the missing Kconfig symbol).
struct WorkloadRun {
  std::string name;
  std::string status;  // passed | failed | skipped
  std::string reason;
  double duration_s = 0;
  bool operator==(const WorkloadRun&) const = default;
};

// What a workload set up for the samples with these labels (the agent's
// `attributes` record): a block device's configfs and queue attributes, the
// binder ping-pong's transaction setup. Reports check them for parity
// (results/parity.h).
struct AttributeSet {
  std::string workload;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> values;
  bool operator==(const AttributeSet&) const = default;
};

// One KUnit test case of a boot (the agent's `test-case` records, from the
// KTAP the kernel printed).
struct TestCaseResult {
  std::string workload;     // kunit
  std::string suite;        // parent names joined by '/'
  std::string name;
  std::string status;       // pass | fail | skip | todo | crashed | no-tests
  std::string reason;       // the KTAP directive ("SKIP not on this arch")
  std::string diagnostics;  // a failed or crashed case's KTAP lines, '\n'-joined
  bool operator==(const TestCaseResult&) const = default;
};

struct BootRecord {
  int64_t id = 0;          // assigned by the store
  std::string build_key;   // links to the run's BuildRecord with this key
  std::string variant;
  std::string arch;
  std::string toolchain;
  std::string kernel;
  int repetition = 0;      // 0-based
  int attempt = 0;         // 0 first try, 1 the retry of a failed boot
  std::string accel;       // kvm | tcg
  std::string timing;      // icount | wall
  BootOutcome outcome = BootOutcome::kPassed;
  std::string evidence;      // console excerpt proving the outcome
  // Title of the kernel report that decided the outcome (vm::Classification::
  // title, "WARNING in foo"); empty when none did, and for boots stored
  // before schema 3.
  std::string title;
  std::string console_path;
  // Where it ran when not on this machine: LAVA's "<worker>/<device>"
  // (vm::BootResult::worker); '' for local boots and before schema 8.
  std::string worker;
  double started_unix = 0;
  double ended_unix = 0;
  std::vector<Sample> samples;
  std::vector<WorkloadRun> workloads;  // in plan order: skipped first, then as reported
  std::vector<AttributeSet> attributes;  // as reported; empty before schema 6
  std::vector<TestCaseResult> test_cases;  // as reported; empty before schema 7
};

// A whole run as reports need it.
struct RunData {
  RunSummary run;
  std::vector<BuildRecord> builds;
  std::vector<BootRecord> boots;  // in recording order, samples included
  std::vector<AbiCheckRecord> abi_checks;  // in recording order; empty before schema 10
  const VariantInfo* FindVariant(std::string_view name) const;
};

// Current time as seconds since the epoch.
double NowUnix();

}  // namespace rfl::results

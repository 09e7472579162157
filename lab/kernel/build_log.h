#pragma once
// Reading kbuild output: failure classification, progress lines, and the
// effective rustc flags from kbuild's .cmd files. Pure functions over text, so
// unit tests run them on logs and .cmd files captured from real builds.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rfl::kernel {

// Why a build failed. kconfig-unmet and rust-unavailable come from the lab's
// own checks before kbuild; the others from the kbuild log.
enum class FailureClass { kKconfigUnmet, kRustUnavailable, kRustcError, kBindgenError, kLinkError, kOther };
std::string_view FailureClassName(FailureClass c);  // "kconfig-unmet", …
std::optional<FailureClass> ParseFailureClass(std::string_view s);

struct Classification {
  FailureClass cls = FailureClass::kOther;
  std::vector<std::string> excerpt;  // the first relevant error lines (at most ~12)
};

// Classifies the output of a failed `make`. Link errors win over the
// compiler errors that a failed link does not have; the first error in the
// log decides between rustc and bindgen.
Classification ClassifyBuildLog(std::string_view log);

// The message of a failed `make rustavailable`: its "***" lines without the
// stars ("Rust bindings generator 'bindgen' could not be found.", …).
std::vector<std::string> RustUnavailableMessage(std::string_view make_output);

// One kbuild progress line ("  RUSTC L rust/kernel.o") → "RUSTC L rust/kernel.o";
// nullopt for other lines.
std::optional<std::string> ProgressStep(std::string_view line);

// The rustc flags kbuild used for one object, from its .cmd file
// (`savedcmd_rust/core.o := OBJTREE=… rustc …`): every argument starting with
// -Z, -C or --cfg/--edition-like options, in order, without the input/output
// paths. Returns nullopt when the file holds no rustc command.
std::optional<std::vector<std::string>> RustFlagsFromCmd(std::string_view cmd_file_text);

// Code-generation options the kernel sets through its x86 target spec
// (scripts/target.json, written by scripts/generate_rust_target.rs) rather
// than on rustc's command line, spelled as the rustc flag that sets the same
// target features: `+retpoline-external-thunk` (with MITIGATION_RETPOLINE)
// → `-Zretpoline-external-thunk`. Empty for a spec without them or text that
// is not a JSON object.
std::vector<std::string> RustFlagsFromTargetSpec(std::string_view target_json);

// Splits a shell-quoted command line the way kbuild writes it (single and
// double quotes, backslash escapes); enough for .cmd files.
std::vector<std::string> SplitShellWords(std::string_view s);

}  // namespace rfl::kernel

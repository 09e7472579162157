#pragma once
// What a scenario file may be before its YAML is read at all: a regular file
// of at most kMaxScenarioBytes, UTF-8 without NUL bytes, LF or CRLF line
// ends, one YAML document, and at most kMaxYamlNodes nodes once aliases are
// expanded (a 20 KB file of nested aliases stands for billions of nodes).
// Each problem is a diagnostic at its line and column; a file that fails
// here is never handed to the validator. Scalars longer than
// kMaxScalarBytes are refused by the validator where it reads them.
#include <cstddef>
#include <filesystem>
#include <string>

#include "lab/scenario/diagnostics.h"
#include "lab/util/result.h"

namespace rfl::scenario {

inline constexpr size_t kMaxScenarioBytes = 1 << 20;
inline constexpr size_t kMaxYamlNodes = 100'000;
inline constexpr size_t kMaxScalarBytes = 4096;

// Reads a scenario file: kInput naming what the path is when it is not a
// regular file (a directory, a device, a FIFO: never read), or when it is
// larger than kMaxScenarioBytes; kNotFound when it does not exist.
Result<std::string> ReadScenarioFile(const std::filesystem::path& path);

// Reads a scenario from a file descriptor (`validate -`: standard input, a
// pipe or a terminal) until end of file: kInput past kMaxScenarioBytes,
// kCancelled when Ctrl-C interrupts the wait for input.
Result<std::string> ReadScenarioFd(int fd);

// Checks the bytes: NUL, invalid UTF-8, CR-only line ends. False when any.
bool CheckScenarioText(const std::string& text, Diagnostics& d);

// Checks the YAML's shape without building it: one document, bounded node
// count with aliases expanded. False when either is broken (YAML syntax
// errors are left to the real parse, which reports them).
bool CheckYamlShape(const std::string& text, Diagnostics& d);

// "U+0430 'а'" for the code point starting at `s[i]` (printable ASCII as
// itself); how messages show a character a user may not see.
std::string DescribeCodePoint(std::string_view s, size_t i);

}  // namespace rfl::scenario

#pragma once
// Boot records whose outcome, title and evidence are real: a console from
// tests/fixtures/consoles (captured from real boots or real crash reports,
// see its README.md) run through the real classifier and recorded as
// RunBootJob records it (pipeline::RecordClassification). The identity
// fields (variant, cell, repetition…) are the caller's.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "lab/results/records.h"
#include "lab/results/store.h"
#include "lab/util/result.h"

namespace rfl::test {

// `console` is a file name in tests/fixtures/consoles ("debian-6.1-warning.log").
// The guest is taken to have stopped by itself, with no agent expected, as
// when the fixture was captured. Fails the current test when the file is missing.
results::BootRecord ClassifiedBoot(const std::string& console, results::BootRecord identity = {});

// A completed run of `scenario` whose boots are ClassifiedBoot()s of the
// given (variant, console) pairs, in order, repetitions counted per variant,
// on the cell the debian-6.1-* consoles come from (x86_64, toolchain
// "debian", kernel "6.1"). Variants are named by the pairs, "baseline" first
// when present; every variant expects to pass. Returns the run's id.
[[nodiscard]] Result<int64_t> WriteClassifiedRun(results::Store& store,
                                                 const std::vector<std::pair<std::string, std::string>>& boots,
                                                 const std::string& scenario = "consoles");

}  // namespace rfl::test

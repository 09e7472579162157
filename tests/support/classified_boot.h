#pragma once
// Boot records whose outcome, title and evidence are real: a console from
// tests/fixtures/consoles (captured from real boots or real crash reports,
// see its README.md) run through the real classifier and recorded as
// RunBootJob records it (pipeline::RecordClassification). The identity
// fields (variant, cell, repetition…) are the caller's.
#include <string>

#include "lab/results/records.h"

namespace rfl::test {

// `console` is a file name in tests/fixtures/consoles ("debian-6.1-warning.log").
// The guest is taken to have stopped by itself, with no agent expected, as
// when the fixture was captured. Fails the current test when the file is missing.
results::BootRecord ClassifiedBoot(const std::string& console, results::BootRecord identity = {});

}  // namespace rfl::test

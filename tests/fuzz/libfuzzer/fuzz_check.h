#pragma once
// What a libFuzzer target does when a property fails: print it and abort, so
// libFuzzer keeps the input as crash-<sha1> (scripts/fuzz.sh prints where).
#include <cstdio>
#include <cstdlib>

#define RFL_FUZZ_CHECK(cond, ...)                                                 \
  do {                                                                           \
    if (!(cond)) {                                                               \
      std::fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
      std::fprintf(stderr, "" __VA_ARGS__);                                      \
      std::fprintf(stderr, "\n");                                                \
      std::abort();                                                              \
    }                                                                            \
  } while (0)

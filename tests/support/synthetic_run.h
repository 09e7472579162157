#pragma once
// A synthetic run, for tests (results, reports, exporters) until stores
// captured from real runs are available as fixtures. Its numbers are
// constructed, not measured: never present them as results. The shape
// mirrors a real quickstart run so every report path is exercised:
//   variants  base (baseline), same (identical build: A/A), slow (+5 %
//             binder latency, −5 % IOPS injected), thunk (expected build
//             failure), panicky (every boot ends in a Rust panic, retried);
//   metrics   boot.time_to_init_seconds, binder.latency_seconds{payload},
//             block.iops; code sizes per build.
#include <cstdint>

#include "lab/results/store.h"

namespace rfl::results {

struct SyntheticOptions {
  int repetitions = 8;
  std::string timing = "icount";  // icount: A/A samples are identical; wall: noisy
  uint64_t seed = 1;
  double slow_factor = 1.05;      // injected latency factor of variant "slow"
  bool finish = true;             // FinishRun(completed)
};

// Writes one synthetic run into `store`; returns its id.
[[nodiscard]] Result<int64_t> WriteSyntheticRun(Store& store, const SyntheticOptions& options = {});

}  // namespace rfl::results

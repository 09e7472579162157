#pragma once
// What `serve` answers on /metrics, rendered once per change of the store.
//
// The metrics change only when a run or a boot is stored, while Prometheus
// scrapes every few seconds: the text (about 2 MB for 11,000 series) and its
// gzip form are made when the source hands out a new snapshot, and a scrape
// of an unchanged store writes the kept bytes. Rendering per scrape cost
// ~45 ms of CPU in process and ~130 ms in prometheus-cpp's exposer thread
// (copying every family, then page-faulting the fresh arena memory on each
// scrape); tests/bench/metrics_scrape.cpp prints the figures.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "exporters/prometheus/store_source.h"

namespace rfl::exporters {

struct Exposition {
  std::string text;  // the text exposition format (version 0.0.4)
  std::string gzip;  // the same, gzip-compressed (what Prometheus asks for)
};

// gzip (RFC 1952) of `data` with zlib; empty only when zlib fails.
std::string GzipCompress(std::string_view data);

// Thread-safe: civetweb answers scrapes from several threads.
class ExpositionCache {
 public:
  explicit ExpositionCache(std::shared_ptr<MetricsSource> source);

  // The exposition of the source's current snapshot, with
  // rfl_lab_store_up and rfl_lab_store_read_errors_total appended. A failed
  // read is not an error: it exports rfl_lab_store_up 0 and counts it.
  std::shared_ptr<const Exposition> Current();

  // How many times the text was rendered (tests, benchmarks).
  uint64_t renders() const { return renders_.load(); }

 private:
  std::shared_ptr<MetricsSource> source_;
  std::atomic<uint64_t> read_errors_{0};
  std::atomic<uint64_t> renders_{0};
  std::mutex mutex_;
  // The kept rendering and what it was made from.
  std::shared_ptr<const Snapshot> snapshot_;
  uint64_t snapshot_read_errors_ = 0;
  std::shared_ptr<const Exposition> exposition_;
};

}  // namespace rfl::exporters

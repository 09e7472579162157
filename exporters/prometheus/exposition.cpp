#include "exporters/prometheus/exposition.h"

#include <zlib.h>

#include <spdlog/spdlog.h>

#include "exporters/prometheus/metrics_model.h"

namespace rfl::exporters {
namespace {

std::shared_ptr<const Exposition> Render(const Snapshot* snapshot, uint64_t read_errors) {
  Snapshot status;
  status.Set("rfl_lab_store_up", {}, snapshot ? 1 : 0);
  status.Set("rfl_lab_store_read_errors_total", {}, static_cast<double>(read_errors));
  std::vector<prometheus::MetricFamily> families;
  if (snapshot) families = snapshot->Families();
  for (auto& f : status.Families()) families.push_back(std::move(f));
  auto e = std::make_shared<Exposition>();
  e->text = SerializeText(families);
  e->gzip = GzipCompress(e->text);
  return e;
}

}  // namespace

std::string GzipCompress(std::string_view data) {
  z_stream zs{};
  // 15 window bits + 16: a gzip header and trailer, not zlib's.
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  std::string out(deflateBound(&zs, data.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return rc == Z_STREAM_END ? out : std::string();
}

ExpositionCache::ExpositionCache(std::shared_ptr<MetricsSource> source) : source_(std::move(source)) {}

std::shared_ptr<const Exposition> ExpositionCache::Current() {
  auto snapshot = source_->Collect();
  if (!snapshot) {
    spdlog::warn("reading the results store: {}", snapshot.error().message);
    ++renders_;
    return Render(nullptr, ++read_errors_);
  }
  std::lock_guard lock(mutex_);
  uint64_t errors = read_errors_.load();
  if (!exposition_ || snapshot_ != *snapshot || snapshot_read_errors_ != errors) {
    exposition_ = Render(snapshot->get(), errors);
    snapshot_ = *snapshot;
    snapshot_read_errors_ = errors;
    ++renders_;
  }
  return exposition_;
}

}  // namespace rfl::exporters

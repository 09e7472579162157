// `serve`'s /metrics body: rendered once per store change, kept for the
// scrapes in between, and gzip'd for Prometheus.
#include "exporters/prometheus/exposition.h"

#include <zlib.h>

#include <deque>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "exporters/prometheus/metrics_model.h"

namespace rfl::exporters {
namespace {

// Hands out the snapshots (or errors) it is given, the last one again and
// again, as the store source does while the store is unchanged.
class ScriptedSource final : public MetricsSource {
 public:
  void Next(Result<std::shared_ptr<const Snapshot>> r) { script_.push_back(std::move(r)); }
  Result<std::shared_ptr<const Snapshot>> Collect() override {
    if (script_.size() > 1) {
      auto r = std::move(script_.front());
      script_.pop_front();
      return r;
    }
    return script_.front();
  }

 private:
  std::deque<Result<std::shared_ptr<const Snapshot>>> script_;
};

std::shared_ptr<const Snapshot> LastSuccessAt(double t) {
  auto s = std::make_shared<Snapshot>();
  s->Set("rfl_lab_last_success_timestamp_seconds", {"quickstart"}, t);
  return s;
}

std::string Gunzip(const std::string& gz) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
  std::string out;
  char buf[4096];
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  zs.avail_in = static_cast<uInt>(gz.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
  }
  inflateEnd(&zs);
  EXPECT_EQ(rc, Z_STREAM_END);
  return out;
}

TEST(ExpositionCache, AnUnchangedStoreIsRenderedOnceForManyScrapes) {
  auto source = std::make_shared<ScriptedSource>();
  source->Next(LastSuccessAt(1790000000));
  ExpositionCache cache(source);
  auto first = cache.Current();
  for (int i = 0; i < 5; ++i) EXPECT_EQ(cache.Current(), first);
  EXPECT_EQ(cache.renders(), 1u);
  EXPECT_NE(first->text.find("rfl_lab_last_success_timestamp_seconds{scenario=\"quickstart\"} 1790000000\n"),
            std::string::npos)
      << first->text;
  EXPECT_NE(first->text.find("rfl_lab_store_up 1\n"), std::string::npos) << first->text;
}

TEST(ExpositionCache, ANewSnapshotIsRenderedAgain) {
  auto source = std::make_shared<ScriptedSource>();
  source->Next(LastSuccessAt(1));
  source->Next(LastSuccessAt(2));
  ExpositionCache cache(source);
  auto first = cache.Current();
  auto second = cache.Current();
  EXPECT_NE(first, second);
  EXPECT_EQ(cache.renders(), 2u);
  EXPECT_NE(second->text.find("{scenario=\"quickstart\"} 2\n"), std::string::npos) << second->text;
}

TEST(ExpositionCache, AFailedReadExportsStoreDownAndCountsItThenRecovers) {
  auto snap = LastSuccessAt(7);
  auto source = std::make_shared<ScriptedSource>();
  source->Next(snap);
  source->Next(Fail("disk gone"));
  source->Next(snap);
  ExpositionCache cache(source);
  auto before = cache.Current();
  auto down = cache.Current();
  EXPECT_NE(down->text.find("rfl_lab_store_up 0\n"), std::string::npos) << down->text;
  EXPECT_NE(down->text.find("rfl_lab_store_read_errors_total 1\n"), std::string::npos) << down->text;
  EXPECT_EQ(down->text.find("rfl_lab_last_success_timestamp_seconds{"), std::string::npos) << down->text;
  // The same snapshot again, but the error count changed: not the kept text.
  auto after = cache.Current();
  EXPECT_NE(after, before);
  EXPECT_NE(after->text.find("rfl_lab_store_up 1\n"), std::string::npos) << after->text;
  EXPECT_NE(after->text.find("rfl_lab_store_read_errors_total 1\n"), std::string::npos) << after->text;
}

TEST(ExpositionCache, TheGzipBodyInflatesToTheText) {
  auto snap = std::make_shared<Snapshot>();
  for (int i = 0; i < 2000; ++i) snap->Set("rfl_lab_last_success_timestamp_seconds", {fmt::format("s{}", i)}, i);
  auto source = std::make_shared<ScriptedSource>();
  source->Next(snap);
  ExpositionCache cache(source);
  auto e = cache.Current();
  ASSERT_FALSE(e->gzip.empty());
  EXPECT_LT(e->gzip.size(), e->text.size() / 4);
  EXPECT_EQ(Gunzip(e->gzip), e->text);
}

}  // namespace
}  // namespace rfl::exporters

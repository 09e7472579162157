// Record framing and decoding (images/agent/protocol.h): what the host
// accepts from the guest and what it must reject.
#include "images/agent/protocol.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

namespace rfl::agent {
namespace {

std::vector<Record> AllKinds() {
  return {
      {0, Hello{"0.1.0", kProtocolVersion, "boot-7", "7.3.4-rfl", "x86_64", 1.25, "console"}},
      {1, Sample{"binder", "round_trip_p50", "seconds", 0.000112, {{"payload_bytes", "4096"}}}},
      {2, WorkloadResult{"block", Status::kSkipped, "no /sys/kernel/config/nullb", 0.5, ""}},
      {3, WorkloadResult{"command", Status::kFailed, "exited 3, expected 0", 0.01, "line1\nline2 \"q\""}},
      {4, TestCase{"kunit", "rust_doctests_kernel", "rust_doctest_kernel_alloc_0", "pass", ""}},
      {5, Log{"warn", "mount -t debugfs: No such device"}},
      {6, Done{3, 1, 2, 4.5}},
      {7, Attributes{"block", {{"device", "rnull"}, {"scheduler", "none"}},
                     {{"configfs/irqmode", "0"}, {"queue/scheduler", "[none] mq-deadline kyber"}}}},
      {8, Profile{"binder", {{"payload_bytes", "0"}}, 10007, 4103, 2,
                  {{"ffffffff81c3a2b5", 4000}, {"[user]", 100}, {"other", 3}}}},
      {9, TestCase{"kunit", "example", "example_fail_test", "fail", "",
                   "# example_fail_test: EXPECTATION FAILED at lib/kunit/kunit-example-test.c:42\n"
                   "Expected 1 + 1 == 3, but"}},
  };
}

TEST(Protocol, EveryRecordKindRoundTripsThroughAFramedLine) {
  for (const auto& rec : AllKinds()) {
    std::string line = FrameLine(rec);
    ASSERT_EQ(line.back(), '\n');
    ASSERT_EQ(line.find('\n'), line.size() - 1) << "one record is one line: " << line;
    auto back = ParseLine(line);
    ASSERT_TRUE(back.has_value()) << line << " -> " << back.error().detail;
    EXPECT_EQ(*back, rec) << line;
  }
}

TEST(Protocol, Crc32MatchesZlib) {
  for (std::string s : {std::string(), std::string("123456789"), std::string(1000, '\xff'),
                        EncodeJson(AllKinds()[1])}) {
    uLong want = crc32(0L, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size()));
    EXPECT_EQ(Crc32(s), static_cast<uint32_t>(want)) << s;
  }
  EXPECT_EQ(Crc32("123456789"), 0xCBF43926u);  // the CRC-32 check value
}

TEST(Protocol, LineFormatIsPrefixChecksumJson) {
  std::string line = FrameLine({9, Done{1, 0, 0, 2.0}});
  ASSERT_TRUE(line.starts_with("@rfl-agent "));
  std::string json = line.substr(20, line.size() - 21);
  char crc[9];
  std::snprintf(crc, sizeof crc, "%08x", Crc32(json));
  EXPECT_EQ(line.substr(11, 8), crc);
  EXPECT_EQ(json, R"({"failed":0,"passed":1,"seq":9,"skipped":0,"type":"done","uptime_s":2.0,"v":1})");
}

TEST(Protocol, FlippedByteIsRejectedAsMangled) {
  std::string line = FrameLine(AllKinds()[1]);
  for (size_t i = 20; i + 1 < line.size(); i += 7) {
    std::string bad = line;
    bad[i] = bad[i] == '7' ? '8' : '7';
    auto r = ParseLine(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().kind, LineError::kMangled);
  }
}

TEST(Protocol, KernelMessageInterleavedIntoARecordIsRejected) {
  // What the console shows when printk lands in the middle of an agent line.
  std::string line = FrameLine(AllKinds()[1]);
  std::string console = line.substr(0, 40) + "[    1.234567] rnull_mod: Rust null_blk loaded\n" +
                        line.substr(40) + FrameLine(AllKinds()[6]);
  RecordDecoder d;
  d.Feed(console);
  auto got = d.Take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].seq, 6u);
  EXPECT_EQ(d.rejected_lines(), 1);  // the first half; the second half has no prefix
  EXPECT_EQ(d.missing_records(), 6u);  // seq 0..5 never arrived intact
}

TEST(Protocol, DecoderIgnoresKernelTextAndAcceptsAPrefixAfterIt) {
  RecordDecoder d;
  d.Feed("[    0.000000] Linux version 7.3.4\r\n");
  d.Feed("rfl-agent: started (agent 0.1.0, protocol 1)\n");
  // A record that starts after kernel text on the same line is intact.
  d.Feed("[    1.5] x" + FrameLine(AllKinds()[0]));
  auto got = d.Take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], AllKinds()[0]);
  EXPECT_EQ(d.rejected_lines(), 0);
}

TEST(Protocol, KernelMessageAfterARecordBeforeItsNewlineKeepsTheRecord) {
  // From a real console (a LAVA boot, tests/lava/): printk's line landed
  // between the record and the record's newline.
  const std::string line =
      R"(@rfl-agent 4f780190 {"labels":{"payload_bytes":"4096"},"metric":"round_trip_p99","seq":15,"type":"sample",)"
      R"("unit":"seconds","v":1,"value":2.2183000000008946e-05,"workload":"binder"})"
      "[    0.386747] workqueue: work func 0xffffffff812a8033 enqueued on deprecated workqueue. "
      "Use system_{percpu|dfl}_wq instead.";
  auto r = ParseLine(line);
  ASSERT_TRUE(r.has_value()) << r.error().detail;
  EXPECT_EQ(r->seq, 15u);
  ASSERT_TRUE(std::holds_alternative<Sample>(r->body));
  EXPECT_EQ(std::get<Sample>(r->body).metric, "round_trip_p99");
  // The checksum still decides: the same text after a record whose JSON was
  // changed is rejected.
  std::string changed = line;
  changed.replace(changed.find("p99"), 3, "p98");
  EXPECT_FALSE(ParseLine(changed).has_value());
}

TEST(Protocol, DecoderHandlesAnyChunking) {
  std::string stream;
  for (const auto& r : AllKinds()) stream += FrameLine(r);
  for (size_t chunk : {1u, 3u, 64u, 4096u}) {
    RecordDecoder d;
    for (size_t i = 0; i < stream.size(); i += chunk) d.Feed(std::string_view(stream).substr(i, chunk));
    auto got = d.Take();
    EXPECT_EQ(got, AllKinds()) << "chunk " << chunk;
    EXPECT_EQ(d.missing_records(), 0u);
    EXPECT_TRUE(d.Take().empty());
  }
}

TEST(Protocol, TruncatedLastLineIsRejectedAtFinish) {
  std::string line = FrameLine(AllKinds()[6]);
  RecordDecoder d;
  d.Feed(line.substr(0, line.size() / 2));
  EXPECT_TRUE(d.Take().empty());
  d.Finish();
  EXPECT_TRUE(d.Take().empty());
  EXPECT_EQ(d.rejected_lines(), 1);
}

TEST(Protocol, OtherProtocolVersionIsRejected) {
  std::string json = R"({"v":2,"seq":0,"type":"done","passed":0,"failed":0,"skipped":0,"uptime_s":1})";
  char crc[9];
  std::snprintf(crc, sizeof crc, "%08x", Crc32(json));
  auto r = ParseLine("@rfl-agent " + std::string(crc) + " " + json);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().detail.find("protocol version 2"), std::string::npos) << r.error().detail;
}

TEST(Protocol, MissingFieldIsNamed) {
  auto r = DecodeJson(R"({"v":1,"seq":3,"type":"sample","workload":"binder","metric":"x","value":1})");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), "sample: missing field 'unit'");
  auto t = DecodeJson(R"({"v":1,"seq":3,"type":"bogus"})");
  ASSERT_FALSE(t.has_value());
  EXPECT_EQ(t.error(), "unknown record type 'bogus'");
}

TEST(Protocol, InvalidUtf8InOutputIsReplacedNotThrown) {
  Record rec{0, WorkloadResult{"command", Status::kPassed, "", 0, std::string("ok \xff\xfe end")}};
  auto back = ParseLine(FrameLine(rec));
  ASSERT_TRUE(back.has_value());
  EXPECT_NE(std::get<WorkloadResult>(back->body).output.find("end"), std::string::npos);
}

}  // namespace
}  // namespace rfl::agent

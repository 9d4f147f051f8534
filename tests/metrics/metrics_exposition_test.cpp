// The exposition of engine metrics: each family's HELP and TYPE once however many engines add
// samples, cumulative histogram buckets, and the per-server series bounded by their cap.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "common/error.h"
#include "engine/metrics_families.h"
#include "engine/metrics_exposition.h"

namespace berth::metrics {
namespace {

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(MetricsExposition, TwoEnginesShareOneHelpAndTypePerFamily) {
  Exposition out;
  add_build_info(out);
  EngineMetrics a, b;
  a.refresh_ok = 3;
  b.refresh_ok = 5;
  add_engine(out, a, nullptr, "n1");
  add_engine(out, b, nullptr, "n2");
  std::string text = out.text();
  EXPECT_EQ(count(text, "# HELP berth_refresh_success_total "), 1u) << text;
  EXPECT_EQ(count(text, "# TYPE berth_refresh_success_total counter"), 1u);
  EXPECT_NE(text.find("berth_refresh_success_total{node=\"n1\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("berth_refresh_success_total{node=\"n2\"} 5\n"), std::string::npos) << text;
  EXPECT_EQ(count(text, "# TYPE berth_refresh_duration_seconds histogram"), 1u);
  EXPECT_EQ(count(text, "berth_build_info{version=\""), 1u);
  // The samples of a family follow its TYPE line, before the next family's HELP.
  size_t type = text.find("# TYPE berth_refresh_success_total");
  size_t next_help = text.find("# HELP", type);
  size_t n2 = text.find("berth_refresh_success_total{node=\"n2\"}");
  EXPECT_LT(type, n2);
  EXPECT_LT(n2, next_help);
}

TEST(MetricsExposition, NoGaugeEndsInTotalAndEveryCounterDoes) {
  Exposition out;
  add_engine(out, EngineMetrics{}, nullptr, "n");
  std::string text = out.text();
  size_t types = 0;
  for (size_t at = text.find("# TYPE "); at != std::string::npos; at = text.find("# TYPE ", at + 1)) {
    size_t end = text.find('\n', at);
    std::string line = text.substr(at + 7, end - at - 7);
    std::string name = line.substr(0, line.find(' '));
    std::string type = line.substr(line.find(' ') + 1);
    bool total = name.size() > 6 && name.ends_with("_total");
    EXPECT_EQ(total, type == "counter") << line;
    EXPECT_EQ(name.find("_ms"), std::string::npos) << line;
    ++types;
  }
  EXPECT_GT(types, 30u);
}

TEST(MetricsExposition, HistogramBucketsAreCumulativeAndEndInInf) {
  DurationHistogram h;
  h.observe(0.0001);  // first bucket
  h.observe(0.03);    // 0.05
  h.observe(99);      // +Inf only
  EXPECT_EQ(h.count(), 3u);
  Exposition out;
  out.histogram("x_seconds", "x.", {{"node", "n"}}, h);
  std::string text = out.text();
  EXPECT_NE(text.find("x_seconds_bucket{node=\"n\",le=\"0.0005\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("x_seconds_bucket{node=\"n\",le=\"0.025\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("x_seconds_bucket{node=\"n\",le=\"0.05\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("x_seconds_bucket{node=\"n\",le=\"10\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("x_seconds_bucket{node=\"n\",le=\"+Inf\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("x_seconds_count{node=\"n\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("x_seconds_sum{node=\"n\"} 99.0301\n"), std::string::npos) << text;
}

TEST(MetricsExposition, OneNameWithTwoTypesIsRefusedNamingIt) {
  Exposition out;
  out.gauge("berth_x", "x.", {}, 1);
  try {
    out.counter("berth_x", "x.", {}, 1);
    FAIL() << "a counter under a gauge's name was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("berth_x"), std::string::npos) << e.what();
  }
}

TEST(MetricsExposition, LabelValuesAreEscaped) {
  Exposition out;
  out.gauge("berth_x", "x.", {{"node", "a\"b\\c\nd"}}, 1);
  EXPECT_NE(out.text().find("berth_x{node=\"a\\\"b\\\\c\\nd\"} 1\n"), std::string::npos) << out.text();
}

TEST(MetricsExposition, BytesThatAreNotUtf8BecomeBackslashXText) {
  Exposition out;
  // 0xff never occurs in UTF-8; 0xc3 0xa9 (é) is well formed; 0xc3 alone is cut short.
  out.gauge("berth_x", "x.", {{"server", "a\xff\xc3\xa9\xc3"}}, 1);
  EXPECT_NE(out.text().find("berth_x{server=\"a\\\\xff\xc3\xa9\\\\xc3\"} 1\n"), std::string::npos) << out.text();
}

// Servers s0..s{n-1}, server i carrying load i on capacity 1.
Snapshot servers_snapshot(uint32_t n) {
  Snapshot s;
  auto columns = std::make_shared<ServerColumns>();
  static std::vector<std::string> names;
  names.clear();
  names.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    names.push_back("s" + std::to_string(i));
    columns->ids.push_back(names.back());
    columns->capacity.push_back(1.0);
    columns->state.push_back(0);
    s.server_load.push_back(i);
    s.server_streams.push_back(10 + i);
  }
  for (const auto& name : names) s.server_name.push_back(name.c_str());
  s.servers = columns;
  return s;
}

TEST(MetricsExposition, PerServerSeriesCarryTheServerLabel) {
  Snapshot s = servers_snapshot(3);
  Exposition out;
  add_engine(out, EngineMetrics{}, &s, "n");
  std::string text = out.text();
  EXPECT_NE(text.find("berth_server_load{node=\"n\",server=\"s2\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("berth_server_streams{node=\"n\",server=\"s1\"} 11\n"), std::string::npos) << text;
  EXPECT_NE(text.find("berth_server_capacity{node=\"n\",server=\"s0\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("berth_server_series_omitted{node=\"n\"} 0\n"), std::string::npos) << text;
}

TEST(MetricsExposition, PastTheCapTheBusiestServersStayAndTheRestAreCounted) {
  Snapshot s = servers_snapshot(10);
  Exposition out;
  add_engine(out, EngineMetrics{}, &s, "n", 4);
  std::string text = out.text();
  EXPECT_EQ(count(text, "berth_server_load{"), 4u) << text;
  EXPECT_EQ(count(text, "berth_server_streams{"), 4u) << text;
  for (int i = 6; i < 10; ++i)
    EXPECT_NE(text.find("server=\"s" + std::to_string(i) + "\""), std::string::npos) << "busiest s" << i << "\n" << text;
  EXPECT_EQ(text.find("server=\"s5\""), std::string::npos) << text;
  EXPECT_NE(text.find("berth_server_series_omitted{node=\"n\"} 6\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace berth::metrics

// The GUI's trace export covers exactly the engine records of the last reply, and the trace it
// writes parses back.
#include <sstream>

#include <nlohmann/json.hpp>

#include "moe/telemetry/hub.hpp"
#include "moe/telemetry/trace.hpp"
#include "moe/ui/telemetry-hub.hpp"

#include <QtTest>

class TestTraceExport : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void lastReplyOnly() {
    if (!moe::tel::kCompiledIn) QSKIP("telemetry compiled out (MOESCOPE_METRICS=OFF): nothing is recorded");
    moe::ui::TelemetryHub hub;
    hub.reset(2, 4);
    moe::tel::record_span(moe::tel::OpKind::attention, 0, 100, 200);  // an earlier reply
    hub.beginReply();
    moe::tel::record_token(3, 42, false, 1, 1000, 5000);
    moe::tel::record_span(moe::tel::OpKind::layer, 0, 1100, 4000);
    moe::tel::record_span(moe::tel::OpKind::expert_ffn, 0, 1200, 3000);
    const int32_t experts[2] = {1, 3};
    const float weights[2] = {0.6f, 0.4f};
    moe::tel::record_routing(3, 0, experts, weights, 2, 0, 0);
    hub.drainNow();
    const auto& events = hub.replyEvents();
    QCOMPARE(events.size(), size_t{4});
    std::ostringstream trace;
    moe::tel::write_chrome_trace(trace, events, {});
    const auto j = nlohmann::json::parse(trace.str());
    int spans = 0;
    for (const auto& e : j["traceEvents"]) spans += e["ph"] == "X";
    QCOMPARE(spans, 3);
    std::ostringstream csv;
    moe::tel::write_routing_csv(csv, events, {});
    QVERIFY(csv.str().find("3,0,\"\",1;3,0.6;0.4") != std::string::npos);
  }
};

QTEST_MAIN(TestTraceExport)
#include "test-ui-trace-export.moc"

// The decode hot path allocates nothing: global operator new is replaced in this binary and
// counted while one decode step runs.
#include "moe/engine.hpp"

#include <QtTest>

#include <atomic>
#include <cstdlib>
#include <new>

#include "counting-allocator.hpp"

using namespace moe;

class TestDecodeAlloc : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void decode_step_allocates_nothing_data() {
    QTest::addColumn<QString>("file");
    for (const char* f : {"qwen2moe-q8_0.gguf", "llama-f16.gguf", "qwen3moe-q8_0.gguf", "olmoe-q8_0.gguf"})
      QTest::newRow(f) << QString(f);
  }
  void decode_step_allocates_nothing() {
    QFETCH(QString, file);
    const auto path = std::filesystem::path(MOE_SHARED_DIR) / "conformance" / "models" / file.toStdString();
    if (!std::filesystem::exists(path)) QFAIL("conformance model missing");
    auto model = load_model(path, {2});
    auto s = create_session(model, {256, KvType::F16, 64});
    const std::vector<int32_t> prompt = {79, 110, 313, 309, 559};
    s->eval(prompt);
    int32_t tok = 12;
    s->eval(std::span<const int32_t>(&tok, 1));  // warm-up: arena threads, first-touch pages
    long total = 0;
    for (int i = 0; i < 8; ++i) {
      g_allocs = 0;
      g_counting = true;
      const std::span<const float> l = s->eval(std::span<const int32_t>(&tok, 1));
      g_counting = false;
      total += g_allocs.load();
      tok = static_cast<int32_t>(std::max_element(l.begin(), l.end()) - l.begin());
    }
    QCOMPARE(total, 0L);
    // The counter works: evaluate() returns a fresh vector, so it must count.
    g_allocs = 0;
    g_counting = true;
    (void)s->evaluate(std::span<const int32_t>(&tok, 1));
    g_counting = false;
    QVERIFY(g_allocs.load() > 0);
  }
};

QTEST_APPLESS_MAIN(TestDecodeAlloc)
#include "test-engine-decode-alloc.moc"

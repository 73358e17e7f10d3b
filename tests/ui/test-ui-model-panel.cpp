// The Model panel reads the GGUF file directly: summary, quant mix, sortable/filterable tensors.
#include "moe/gguf.hpp"

#include "moe/ui/model-panel.hpp"
#include "moe/ui/tensor-table-model.hpp"

#include <QLineEdit>
#include <QSortFilterProxyModel>
#include <QTextStream>
#include <QtTest>

#include <algorithm>

using namespace moe::ui;

class TestModelPanel : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void tensorTable_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("layers");
    QTest::newRow("qwen2moe q8_0") << QStringLiteral("qwen2moe-q8_0.gguf") << 2;
    QTest::newRow("qwen2moe Q4_K_M") << QStringLiteral("qwen2moe-Q4_K_M.gguf") << 2;
    QTest::newRow("olmoe") << QStringLiteral("olmoe-q8_0.gguf") << 4;
  }
  void tensorTable() {
    QFETCH(QString, file);
    QFETCH(int, layers);
    const QString path = QStringLiteral(MOE_SHARED_DIR "/conformance/models/") + file;
    if (!QFile::exists(path)) QFAIL(qPrintable(QStringLiteral("conformance model missing: ") + path));
    const auto gguf = moe::GgufFile::open(path.toStdString());

    ModelPanel panel;
    QString error;
    QVERIFY2(panel.setModelFile(path, &error), qPrintable(error));
    QVERIFY(panel.hasData());
    QSortFilterProxyModel* proxy = panel.tensorProxy();
    QCOMPARE(proxy->rowCount(), static_cast<int>(gguf->tensors().size()));
    QCOMPARE(panel.overview().nLayer, layers);
    QCOMPARE(panel.overview().nExpert, 8);
    QCOMPARE(panel.overview().nExpertUsed, 2);
    quint64 total = 0, bytes = 0;
    for (const auto& t : gguf->tensors()) {
      total += static_cast<quint64>(t.n_elements());
      bytes += t.nbytes;
    }
    QCOMPARE(panel.overview().paramsTotal, total);
    QVERIFY(panel.overview().paramsActive < total);
    qint64 mixBytes = 0;
    for (const auto& [type, b] : panel.overview().quantMix) mixBytes += b;
    QCOMPARE(static_cast<quint64>(mixBytes), bytes);

    // Sort by size, largest first: the first row is the largest tensor of the file.
    proxy->sort(TensorTableModel::Bytes, Qt::DescendingOrder);
    const size_t largest = std::max_element(gguf->tensors().begin(), gguf->tensors().end(),
                                            [](const auto& a, const auto& b) { return a.nbytes < b.nbytes; })->nbytes;
    QCOMPARE(proxy->index(0, TensorTableModel::Bytes).data(TensorTableModel::SortRole).toLongLong(), static_cast<qint64>(largest));
    // Layer sorts numerically (blk.10 after blk.9), not as text.
    proxy->sort(TensorTableModel::Layer, Qt::AscendingOrder);
    int prev = -2;
    for (int r = 0; r < proxy->rowCount(); ++r) {
      const int layer = proxy->index(r, TensorTableModel::Layer).data(TensorTableModel::SortRole).toInt();
      QVERIFY(layer >= prev);
      prev = layer;
    }
    // Filter: the routed expert gate tensors, one per layer.
    panel.filterEdit()->setText(QStringLiteral("FFN_GATE_EXPS"));
    QCOMPARE(proxy->rowCount(), layers);
    QString csv;
    QTextStream out(&csv);
    panel.writeCsv(out);
    out.flush();
    QCOMPARE(csv.count(QLatin1Char('\n')), layers + 1);  // header + the filtered rows
    QVERIFY(csv.contains(QStringLiteral("blk.0.ffn_gate_exps.weight")));
  }
};

QTEST_MAIN(TestModelPanel)
#include "test-ui-model-panel.moc"

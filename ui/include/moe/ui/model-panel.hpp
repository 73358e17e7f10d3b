#pragma once
// The Model panel: what is in the GGUF file (read directly with moe::GgufFile): name,
// architecture, parameters total/active, quantization mix, metadata and a sortable,
// filterable tensor table.
#include "moe/ui/chat-types.hpp"

#include <QWidget>

class QLabel;
class QLineEdit;
class QSortFilterProxyModel;
class QTableView;
class QTableWidget;
class QTextStream;

namespace moe::ui {

class TensorTableModel;

struct GgufOverview {
  QString name, architecture;
  quint64 paramsTotal = 0, paramsActive = 0, fileBytes = 0;
  int nLayer = 0, nExpert = 0, nExpertUsed = 0, contextLength = 0;
  QList<QPair<QString, qint64>> quantMix;  // type -> bytes, largest first
};

class ModelPanel : public QWidget {
  Q_OBJECT
 public:
  explicit ModelPanel(QWidget* parent = nullptr);
  // Opens `path` with moe::GgufFile; returns false (and shows the reader's message) on error.
  bool setModelFile(const QString& path, QString* error = nullptr);
  void setEngineSummary(const ModelSummary& summary);  // what the engine reported after loading
  void clear();
  bool hasData() const;
  const GgufOverview& overview() const { return overview_; }
  QSortFilterProxyModel* tensorProxy() const { return proxy_; }
  QLineEdit* filterEdit() const { return filter_; }
  void writeCsv(QTextStream& out) const;

 private:
  void updateSummary();
  QLabel* summary_ = nullptr;
  QLineEdit* filter_ = nullptr;
  QTableView* tensors_ = nullptr;
  QTableWidget* metadata_ = nullptr;
  TensorTableModel* model_ = nullptr;
  QSortFilterProxyModel* proxy_ = nullptr;
  GgufOverview overview_;
  ModelSummary engine_;
};

}  // namespace moe::ui

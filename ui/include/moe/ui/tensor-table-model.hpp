#pragma once
// The tensors of a GGUF file as a table (name, type, shape, elements, bytes, layer), copied
// out of the mapping so the file can be closed. Sorting uses SortRole (numbers as numbers).
#include <QAbstractTableModel>
#include <QList>
#include <QString>

namespace moe {
class GgufFile;
}

namespace moe::ui {

struct TensorRow {
  QString name, type, shape;
  qint64 elements = 0;
  qint64 bytes = 0;
  int layer = -1;  // blk.N, or -1 for embeddings / output
};

class TensorTableModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  enum Column { Name, Type, Shape, Elements, Bytes, Layer, ColumnCount };
  static constexpr int SortRole = Qt::UserRole + 1;
  explicit TensorTableModel(QObject* parent = nullptr);

  void setFile(const GgufFile* file);  // nullptr clears
  const QList<TensorRow>& rows() const { return rows_; }

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QVariant headerData(int section, Qt::Orientation o, int role) const override;

 private:
  QList<TensorRow> rows_;
};

}  // namespace moe::ui

#include "moe/gguf.hpp"

#include "moe/ui/tensor-table-model.hpp"

#include <QLocale>
#include <QRegularExpression>

namespace moe::ui {

TensorTableModel::TensorTableModel(QObject* parent) : QAbstractTableModel(parent) {}

void TensorTableModel::setFile(const GgufFile* file) {
  beginResetModel();
  rows_.clear();
  if (file) {
    static const QRegularExpression layerRe(QStringLiteral("^blk\\.(\\d+)\\."));
    for (const TensorInfo& t : file->tensors()) {
      TensorRow r;
      r.name = QString::fromUtf8(t.name.data(), static_cast<qsizetype>(t.name.size()));
      const auto type = kern::type_name(t.type);
      r.type = QString::fromLatin1(type.data(), static_cast<qsizetype>(type.size()));
      r.shape = QString::fromStdString(t.shape_string());
      r.elements = t.n_elements();
      r.bytes = static_cast<qint64>(t.nbytes);
      if (auto m = layerRe.match(r.name); m.hasMatch()) r.layer = m.captured(1).toInt();
      rows_.push_back(r);
    }
  }
  endResetModel();
}

int TensorTableModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : static_cast<int>(rows_.size()); }
int TensorTableModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant TensorTableModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= rows_.size()) return {};
  const TensorRow& r = rows_.at(index.row());
  const QLocale locale;
  if (role == Qt::DisplayRole) {
    switch (index.column()) {
      case Name: return r.name;
      case Type: return r.type;
      case Shape: return r.shape;
      case Elements: return locale.toString(r.elements);
      case Bytes: return locale.formattedDataSize(r.bytes);
      case Layer: return r.layer < 0 ? QString() : QString::number(r.layer);
      default: return {};
    }
  }
  if (role == SortRole) {
    switch (index.column()) {
      case Elements: return r.elements;
      case Bytes: return r.bytes;
      case Layer: return r.layer;
      default: return data(index, Qt::DisplayRole);
    }
  }
  if (role == Qt::TextAlignmentRole && (index.column() == Elements || index.column() == Bytes || index.column() == Layer))
    return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
  if (role == Qt::ToolTipRole && index.column() == Bytes) return locale.toString(r.bytes) + tr(" bytes");
  return {};
}

QVariant TensorTableModel::headerData(int section, Qt::Orientation o, int role) const {
  if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
  switch (section) {
    case Name: return tr("Tensor");
    case Type: return tr("Type");
    case Shape: return tr("Shape");
    case Elements: return tr("Elements");
    case Bytes: return tr("Size");
    case Layer: return tr("Layer");
    default: return {};
  }
}

}  // namespace moe::ui

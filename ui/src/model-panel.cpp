#include "moe/gguf.hpp"

#include "moe/ui/model-panel.hpp"
#include "moe/ui/tensor-table-model.hpp"

#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMap>
#include <QPushButton>
#include <QSaveFile>
#include <QSortFilterProxyModel>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTextStream>
#include <QVBoxLayout>

#include <algorithm>

namespace moe::ui {

ModelPanel::ModelPanel(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  summary_ = new QLabel(this);
  summary_->setWordWrap(true);
  summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  summary_->setAccessibleName(tr("Model summary"));
  layout->addWidget(summary_);

  auto* tabs = new QTabWidget(this);
  auto* tensorPage = new QWidget(tabs);
  auto* tl = new QVBoxLayout(tensorPage);
  tl->setContentsMargins(0, 4, 0, 0);
  auto* row = new QHBoxLayout;
  filter_ = new QLineEdit(tensorPage);
  filter_->setPlaceholderText(tr("Filter tensors (name, type, shape…)"));
  filter_->setAccessibleName(tr("Filter tensors"));
  filter_->setClearButtonEnabled(true);
  row->addWidget(filter_, 1);
  auto* csv = new QPushButton(tr("Export CSV…"), tensorPage);
  csv->setAccessibleName(tr("Export tensor table as CSV"));
  row->addWidget(csv);
  tl->addLayout(row);
  model_ = new TensorTableModel(this);
  proxy_ = new QSortFilterProxyModel(this);
  proxy_->setSourceModel(model_);
  proxy_->setSortRole(TensorTableModel::SortRole);
  proxy_->setFilterCaseSensitivity(Qt::CaseInsensitive);
  proxy_->setFilterKeyColumn(-1);
  tensors_ = new QTableView(tensorPage);
  tensors_->setModel(proxy_);
  tensors_->setSortingEnabled(true);
  tensors_->sortByColumn(-1, Qt::AscendingOrder);  // file order until the user sorts
  tensors_->setAlternatingRowColors(true);
  tensors_->setSelectionBehavior(QAbstractItemView::SelectRows);
  tensors_->verticalHeader()->setVisible(false);
  tensors_->verticalHeader()->setDefaultSectionSize(tensors_->fontMetrics().height() + 6);
  tensors_->horizontalHeader()->setSectionResizeMode(TensorTableModel::Name, QHeaderView::Stretch);
  tensors_->setAccessibleName(tr("Tensor table"));
  tl->addWidget(tensors_, 1);
  tabs->addTab(tensorPage, tr("Tensors"));
  metadata_ = new QTableWidget(0, 3, tabs);
  metadata_->setHorizontalHeaderLabels({tr("Key"), tr("Type"), tr("Value")});
  metadata_->horizontalHeader()->setSectionResizeMode(2, QHeaderView::Stretch);
  metadata_->verticalHeader()->setVisible(false);
  metadata_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  metadata_->setAccessibleName(tr("Model metadata"));
  tabs->addTab(metadata_, tr("Metadata"));
  layout->addWidget(tabs, 1);

  connect(filter_, &QLineEdit::textChanged, proxy_, &QSortFilterProxyModel::setFilterFixedString);
  connect(csv, &QPushButton::clicked, this, [this] {
    const QString path = QFileDialog::getSaveFileName(this, tr("Export tensor table"), QStringLiteral("tensors.csv"), tr("CSV table (*.csv)"));
    if (path.isEmpty()) return;
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Text)) return;
    QTextStream out(&f);
    writeCsv(out);
    out.flush();
    f.commit();
  });
  clear();
}

void ModelPanel::clear() {
  overview_ = {};
  engine_ = {};
  model_->setFile(nullptr);
  metadata_->setRowCount(0);
  summary_->setText(tr("No model loaded. Open a .gguf file (Ctrl+O) or drop one on the window."));
}

bool ModelPanel::hasData() const { return model_->rowCount() > 0; }

bool ModelPanel::setModelFile(const QString& path, QString* error) {
  std::shared_ptr<const GgufFile> file;
  try {
    file = GgufFile::open(std::filesystem::path(path.toStdString()));
  } catch (const std::exception& e) {
    clear();
    summary_->setText(tr("Cannot read %1: %2").arg(QFileInfo(path).fileName(), QString::fromUtf8(e.what()).toHtmlEscaped()));
    if (error) *error = QString::fromUtf8(e.what());
    return false;
  }
  overview_ = {};
  const std::string arch(file->opt_string("general.architecture").value_or("unknown"));
  overview_.architecture = QString::fromStdString(arch);
  overview_.name = QString::fromUtf8(std::string(file->opt_string("general.name").value_or("")).c_str());
  if (overview_.name.isEmpty()) overview_.name = QFileInfo(path).completeBaseName();
  overview_.nLayer = static_cast<int>(file->opt_u32(arch + ".block_count").value_or(0));
  overview_.nExpert = static_cast<int>(file->opt_u32(arch + ".expert_count").value_or(0));
  overview_.nExpertUsed = static_cast<int>(file->opt_u32(arch + ".expert_used_count").value_or(0));
  overview_.contextLength = static_cast<int>(file->opt_u32(arch + ".context_length").value_or(0));
  overview_.fileBytes = file->file_size();
  QMap<QString, qint64> mix;
  quint64 expertParams = 0;
  for (const TensorInfo& t : file->tensors()) {
    const auto n = static_cast<quint64>(t.n_elements());
    overview_.paramsTotal += n;
    // Routed experts are stacked in *_exps tensors; only expert_used_count of them run per token.
    if (std::string_view(t.name).find("_exps") != std::string_view::npos) expertParams += n;
    const auto type = kern::type_name(t.type);
    mix[QString::fromLatin1(type.data(), static_cast<qsizetype>(type.size()))] += static_cast<qint64>(t.nbytes);
  }
  overview_.paramsActive = overview_.paramsTotal - expertParams;
  if (overview_.nExpert > 0)
    overview_.paramsActive += expertParams / static_cast<quint64>(overview_.nExpert) * static_cast<quint64>(overview_.nExpertUsed);
  for (auto it = mix.cbegin(); it != mix.cend(); ++it) overview_.quantMix.push_back({it.key(), it.value()});
  std::sort(overview_.quantMix.begin(), overview_.quantMix.end(), [](const auto& a, const auto& b) { return a.second > b.second; });

  model_->setFile(file.get());
  tensors_->resizeColumnToContents(TensorTableModel::Type);
  tensors_->resizeColumnToContents(TensorTableModel::Shape);
  metadata_->setRowCount(static_cast<int>(file->metadata().size()));
  int r = 0;
  for (const auto& [key, value] : file->metadata()) {
    metadata_->setItem(r, 0, new QTableWidgetItem(QString::fromUtf8(key.data(), static_cast<qsizetype>(key.size()))));
    const auto tn = gguf_type_name(value.type);
    metadata_->setItem(r, 1, new QTableWidgetItem(QString::fromLatin1(tn.data(), static_cast<qsizetype>(tn.size()))));
    metadata_->setItem(r, 2, new QTableWidgetItem(QString::fromStdString(value.to_display(8))));
    ++r;
  }
  metadata_->resizeColumnToContents(0);
  updateSummary();
  return true;
}

void ModelPanel::setEngineSummary(const ModelSummary& summary) {
  engine_ = summary;
  updateSummary();
}

void ModelPanel::updateSummary() {
  const GgufOverview& o = overview_;
  const QLocale locale;
  // The engine's counts win when it reported them (it knows shared experts and tied weights).
  const quint64 total = engine_.paramsTotal ? engine_.paramsTotal : o.paramsTotal;
  const quint64 active = engine_.paramsActive ? engine_.paramsActive : o.paramsActive;
  QStringList mix;
  for (const auto& [type, bytes] : o.quantMix)
    mix << QStringLiteral("%1 %2%").arg(type).arg(100.0 * static_cast<double>(bytes) / static_cast<double>(std::max<quint64>(1, o.fileBytes)), 0, 'f', 1);
  QString text = QStringLiteral("<b>%1</b> &nbsp; <span>%2</span><br>").arg(o.name.toHtmlEscaped(), o.architecture.toHtmlEscaped());
  text += tr("Parameters: %1 total, %2 active per token · %3 layers").arg(formatCount(total), formatCount(active)).arg(o.nLayer);
  if (o.nExpert > 0) text += tr(" · %1 experts, %2 used per token").arg(o.nExpert).arg(o.nExpertUsed);
  text += QStringLiteral("<br>") + tr("File: %1 · context %2 · quant mix: %3")
                                       .arg(locale.formattedDataSize(static_cast<qint64>(o.fileBytes)))
                                       .arg(o.contextLength)
                                       .arg(mix.join(QStringLiteral(", ")));
  summary_->setText(text);
}

void ModelPanel::writeCsv(QTextStream& out) const {
  out << "name,type,shape,elements,bytes,layer\n";
  for (int r = 0; r < proxy_->rowCount(); ++r) {
    const TensorRow& t = model_->rows().at(proxy_->mapToSource(proxy_->index(r, 0)).row());
    out << t.name << ',' << t.type << ",\"" << t.shape << "\"," << t.elements << ',' << t.bytes << ',' << t.layer << '\n';
  }
}

}  // namespace moe::ui

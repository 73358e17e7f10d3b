#include "moe/ui/model-library-dialog.hpp"

#include "moe/ui/model-scanner.hpp"

#include <QDialogButtonBox>
#include <QLabel>
#include <QListWidget>
#include <QLocale>
#include <QPushButton>
#include <QVBoxLayout>

namespace moe::ui {

ModelLibraryDialog::ModelLibraryDialog(QWidget* parent) : QDialog(parent), scanner_(new ModelScanner(this)) {
  setWindowTitle(tr("Models on This Computer"));
  auto* layout = new QVBoxLayout(this);
  const QStringList roots = defaultModelRoots();
  status_ = new QLabel(roots.isEmpty() ? tr("None of the usual model folders exist (~/.lmstudio/models, ~/.cache/lm-studio/models, "
                                            "~/.ollama/models/blobs, ~/models).")
                                       : tr("Scanning %1…").arg(roots.join(QStringLiteral(", "))),
                       this);
  status_->setWordWrap(true);
  layout->addWidget(status_);
  list_ = new QListWidget(this);
  list_->setAccessibleName(tr("Models found"));
  layout->addWidget(list_, 1);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Open | QDialogButtonBox::Close, this);
  QPushButton* open = buttons->button(QDialogButtonBox::Open);
  open->setEnabled(false);
  layout->addWidget(buttons);
  resize(640, 420);

  auto choose = [this] {
    if (QListWidgetItem* item = list_->currentItem()) {
      Q_EMIT modelChosen(item->data(Qt::UserRole).toString());
      accept();
    }
  };
  connect(buttons, &QDialogButtonBox::accepted, this, choose);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  connect(list_, &QListWidget::itemActivated, this, choose);
  connect(list_, &QListWidget::currentItemChanged, this, [open](QListWidgetItem* cur) { open->setEnabled(cur != nullptr); });
  connect(scanner_, &ModelScanner::finished, this, [this](const QList<FoundModel>& models) {
    const QLocale locale;
    for (const FoundModel& m : models) {
      auto* item = new QListWidgetItem(QStringLiteral("%1  —  %2").arg(m.displayName, locale.formattedDataSize(m.bytes)), list_);
      item->setData(Qt::UserRole, m.path);
      item->setToolTip(m.path);
    }
    status_->setText(models.isEmpty() ? tr("No GGUF models found.") : tr("%n model(s) found. Double-click one to open it.", nullptr, static_cast<int>(models.size())));
  });
  if (!roots.isEmpty()) scanner_->start(roots);
}

}  // namespace moe::ui

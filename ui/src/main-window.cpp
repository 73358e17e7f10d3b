#include "moe/kernels/dispatch.hpp"
#include "moe/version.hpp"

#include "moe/ui/main-window.hpp"

#include <QFileInfo>
#include <QLabel>
#include <QStatusBar>

namespace moe::ui {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
  setWindowTitle(QStringLiteral("MoEScope %1").arg(QString::fromLatin1(moe::kVersion)));
  setObjectName(QStringLiteral("mainWindow"));
  centreLabel_ = new QLabel(this);
  centreLabel_->setAlignment(Qt::AlignCenter);
  centreLabel_->setWordWrap(true);
  centreLabel_->setAccessibleName(tr("Model status"));
  setCentralWidget(centreLabel_);
  isaLabel_ = new QLabel(tr("Kernels: %1").arg(QString::fromLatin1(
                             std::string(moe::kern::isa_name(moe::kern::best_isa())).c_str())),
                         this);
  statusBar()->addPermanentWidget(isaLabel_);
  setModelPath({});
  resize(1280, 800);
}

void MainWindow::setModelPath(const QString& path) {
  modelPath_ = path;
  if (path.isEmpty()) {
    centreLabel_->setText(tr("No model given and the bundled demo model was not found.\n"
                             "Start MoEScope with the path of a .gguf file."));
  } else {
    centreLabel_->setText(tr("Model: %1").arg(QFileInfo(path).fileName()));
  }
}

}  // namespace moe::ui

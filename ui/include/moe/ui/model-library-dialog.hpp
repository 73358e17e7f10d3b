#pragma once
// "Find models on this computer": scans the usual GGUF folders on a worker thread and lists
// what it found; choosing one opens it.
#include <QDialog>

class QLabel;
class QListWidget;

namespace moe::ui {

class ModelScanner;

class ModelLibraryDialog : public QDialog {
  Q_OBJECT
 public:
  explicit ModelLibraryDialog(QWidget* parent = nullptr);

 Q_SIGNALS:
  void modelChosen(const QString& path);

 private:
  ModelScanner* scanner_;
  QListWidget* list_;
  QLabel* status_;
};

}  // namespace moe::ui

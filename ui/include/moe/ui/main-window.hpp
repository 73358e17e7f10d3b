#pragma once
// The main window: chat in the centre, inspection panels as dock widgets.
#include <QMainWindow>
#include <QString>

class QLabel;

namespace moe::ui {

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  explicit MainWindow(QWidget* parent = nullptr);

  // Shows which model the window will use; an empty path means "none found".
  void setModelPath(const QString& path);
  QString modelPath() const { return modelPath_; }

 private:
  QLabel* centreLabel_ = nullptr;
  QLabel* isaLabel_ = nullptr;
  QString modelPath_;
};

}  // namespace moe::ui

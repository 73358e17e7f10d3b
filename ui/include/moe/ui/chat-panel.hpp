#pragma once
// The centre of the window: conversation header, transcript, and the composer with Send/Stop.
#include <QWidget>

class QLabel;
class QPlainTextEdit;
class QPushButton;
class QToolButton;

namespace moe::ui {

class MessageView;

class ChatPanel : public QWidget {
  Q_OBJECT
 public:
  explicit ChatPanel(QWidget* parent = nullptr);
  MessageView* view() const { return view_; }
  QPlainTextEdit* composer() const { return composer_; }
  QPushButton* sendButton() const { return send_; }
  QPushButton* stopButton() const { return stop_; }

  void setTitle(const QString& title, const QString& subtitle);
  void setBusy(bool busy);           // a reply is streaming: Stop instead of Send
  void setCanSend(bool canSend, const QString& whyNot = {});
  void triggerSend();                // what Ctrl+Enter does

 protected:
  void resizeEvent(QResizeEvent* event) override;

 Q_SIGNALS:
  void sendRequested(const QString& text);
  void stopRequested();
  void settingsRequested();

 private:
  QLabel* title_ = nullptr;
  QLabel* subtitle_ = nullptr;
  QToolButton* settings_ = nullptr;
  MessageView* view_ = nullptr;
  QPlainTextEdit* composer_ = nullptr;
  QPushButton* send_ = nullptr;
  QPushButton* stop_ = nullptr;
  QString fullTitle_;
  bool busy_ = false;
  bool canSend_ = true;
};

}  // namespace moe::ui

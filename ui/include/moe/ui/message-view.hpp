#pragma once
// The transcript of one conversation: rendered Markdown per message, a stats line under each
// reply, and Copy / Edit / Regenerate links. While a reply streams, re-rendering is coalesced
// to the screen rate and the view follows the bottom unless the user scrolled up.
#include "moe/ui/conversation.hpp"

#include <QTextBrowser>
#include <QTimer>

namespace moe::ui {

class MessageView : public QTextBrowser {
  Q_OBJECT
 public:
  explicit MessageView(QWidget* parent = nullptr);

  void setConversation(const Conversation& c, bool streaming);  // re-renders soon
  void renderNow();
  const Conversation& conversation() const { return conversation_; }
  // The plain text of message `index` (for Copy) and the code blocks of it.
  QString messageText(int index) const;

 Q_SIGNALS:
  void editRequested(int index);
  void regenerateRequested(int index);
  void copied(const QString& what);

 private:
  void onAnchor(const QUrl& url);
  QString messageHtml(int index) const;
  Conversation conversation_;
  bool streaming_ = false;
  QTimer renderTimer_;
};

}  // namespace moe::ui

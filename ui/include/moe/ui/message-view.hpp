#pragma once
// The transcript of one conversation: rendered Markdown per message, a stats line under each
// reply, and Copy / Edit / Regenerate links. While a reply streams, re-rendering is coalesced
// to the screen rate and the view follows the bottom unless the user scrolled up.
//
// Replies generated in this run carry their per-token routing (Message::routing): the view
// can highlight the tokens routed to one expert of one layer, and a click on a word of such
// a reply selects its token (tokenSelected). Editing a user message happens in place: the
// message turns into a text box with Send / Cancel (editSubmitted).
#include "moe/ui/conversation.hpp"

#include <QTextBrowser>
#include <QTimer>

#include <vector>

class QPlainTextEdit;
class QFrame;

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

  // ---- routing (message-view-routing.cpp) -------------------------------------------------
  // Highlights the reply tokens routed to `expert` in `layer`; (-1, -1) clears.
  void setHighlight(int layer, int expert);
  int highlightLayer() const { return hlLayer_; }
  int highlightExpert() const { return hlExpert_; }
  // Selects the token at context `position` of message `index` (-1 clears).
  void selectToken(int index, int position);
  int selectedMessage() const { return selMessage_; }
  int selectedPosition() const { return selPosition_; }
  // What is highlighted now: per message index, the token spans (reply offsets).
  QList<QPair<int, TokenSpan>> highlightedSpans() const { return highlighted_; }
  // Selects the token under a viewport point, as a click does; false if there is none.
  bool selectTokenAt(const QPoint& viewportPos);

  // ---- inline editing --------------------------------------------------------------------
  void beginEdit(int index);
  void cancelEdit();
  int editingIndex() const { return editIndex_; }
  QPlainTextEdit* editor() const { return editorText_; }
  void submitEdit();

 Q_SIGNALS:
  void editSubmitted(int index, const QString& text);
  void regenerateRequested(int index);
  void copied(const QString& what);
  // A click picked a token (index = message, position = context position), or (-1, -1).
  void tokenSelected(int index, int position);
  // A click outside every token cleared the expert highlight.
  void highlightCleared();

 protected:
  QVariant loadResource(int type, const QUrl& name) override;
  void mouseReleaseEvent(QMouseEvent* event) override;
  void resizeEvent(QResizeEvent* event) override;
  bool eventFilter(QObject* watched, QEvent* event) override;

 private:
  void onAnchor(const QUrl& url);
  QString messageHtml(int index) const;
  void placeEditor();
  // message-view-routing.cpp
  void applyRoutingMarks();
  const std::vector<int>& sourceMap(int index);  // reply offset -> document position (-1: not shown)
  void locateMessages();                         // document range of each message's body

  Conversation conversation_;
  bool streaming_ = false;
  QTimer renderTimer_;
  int editIndex_ = -1;
  QFrame* editorFrame_ = nullptr;
  QPlainTextEdit* editorText_ = nullptr;
  QString editorDraft_;

  int hlLayer_ = -1, hlExpert_ = -1;
  int selMessage_ = -1, selPosition_ = -1;
  QList<QPair<int, TokenSpan>> highlighted_;
  struct BodyRange { int first = -1, last = -1; };  // document positions of a message's body
  std::vector<BodyRange> bodies_;
  std::vector<std::vector<int>> maps_;  // per message; empty until needed
  bool mapsValid_ = false;
};

}  // namespace moe::ui

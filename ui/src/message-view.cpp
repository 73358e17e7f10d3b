#include "moe/ui/message-view.hpp"

#include "moe/ui/markdown.hpp"
#include "moe/ui/theme.hpp"

#include <QAbstractTextDocumentLayout>
#include <QApplication>
#include <QClipboard>
#include <QFrame>
#include <QHBoxLayout>
#include <QImage>
#include <QKeyEvent>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QResizeEvent>
#include <QScrollBar>
#include <QTextBlock>
#include <QVBoxLayout>

namespace moe::ui {
namespace {

// The message being edited is rendered as a transparent image of the editor's size; the
// editor widget is then laid over it, so it sits in place and scrolls with the transcript.
const QString kEditSpacer = QStringLiteral("moescope-edit-spacer:");
constexpr int kEditorHeight = 150;
// Narrower than the bubble (cell padding, document margins) so it never widens the page.
int editorWidth(int viewportWidth) { return std::max(200, viewportWidth - 60); }

}  // namespace

MessageView::MessageView(QWidget* parent) : QTextBrowser(parent) {
  setObjectName(QStringLiteral("messageView"));
  setAccessibleName(tr("Conversation transcript"));
  setOpenLinks(false);
  setOpenExternalLinks(false);
  setFrameShape(QFrame::NoFrame);
  renderTimer_.setSingleShot(true);
  renderTimer_.setInterval(33);  // at most ~30 renders a second while streaming
  connect(&renderTimer_, &QTimer::timeout, this, &MessageView::renderNow);
  connect(this, &QTextBrowser::anchorClicked, this, &MessageView::onAnchor);

  editorFrame_ = new QFrame(viewport());
  editorFrame_->setObjectName(QStringLiteral("inlineEditor"));
  editorFrame_->setFrameShape(QFrame::StyledPanel);
  editorFrame_->setAutoFillBackground(true);
  auto* layout = new QVBoxLayout(editorFrame_);
  layout->setContentsMargins(6, 6, 6, 6);
  layout->setSpacing(4);
  editorText_ = new QPlainTextEdit(editorFrame_);
  editorText_->setObjectName(QStringLiteral("inlineEditorText"));
  editorText_->setAccessibleName(tr("Edit message"));
  editorText_->setTabChangesFocus(true);
  editorText_->installEventFilter(this);
  layout->addWidget(editorText_, 1);
  auto* buttons = new QHBoxLayout;
  buttons->addStretch();
  auto* cancel = new QPushButton(tr("Cancel"), editorFrame_);
  cancel->setObjectName(QStringLiteral("inlineEditorCancel"));
  cancel->setToolTip(tr("Keep the message as it was (Esc)"));
  auto* send = new QPushButton(tr("Send"), editorFrame_);
  send->setObjectName(QStringLiteral("inlineEditorSend"));
  send->setToolTip(tr("Replace this message and everything after it, and regenerate (Ctrl+Enter)"));
  buttons->addWidget(cancel);
  buttons->addWidget(send);
  layout->addLayout(buttons);
  editorFrame_->hide();
  connect(cancel, &QPushButton::clicked, this, &MessageView::cancelEdit);
  connect(send, &QPushButton::clicked, this, &MessageView::submitEdit);
  connect(verticalScrollBar(), &QScrollBar::valueChanged, this, &MessageView::placeEditor);
  connect(horizontalScrollBar(), &QScrollBar::valueChanged, this, &MessageView::placeEditor);
}

void MessageView::setConversation(const Conversation& c, bool streaming) {
  const bool switched = c.id != conversation_.id;
  // A new message list invalidates what the marks and the edit refer to.
  const bool changed = switched || c.messages.size() != conversation_.messages.size();
  conversation_ = c;
  streaming_ = streaming;
  if (changed) {
    editIndex_ = -1;
    editorFrame_->hide();
    const bool hadHighlight = hlLayer_ >= 0, hadSelection = selMessage_ >= 0;
    hlLayer_ = hlExpert_ = -1;
    selMessage_ = selPosition_ = -1;
    if (hadSelection) Q_EMIT tokenSelected(-1, -1);
    if (hadHighlight) Q_EMIT highlightCleared();
  }
  if (switched || !streaming) renderNow();
  else if (!renderTimer_.isActive()) renderTimer_.start();
}

QString MessageView::messageText(int index) const {
  if (index < 0 || index >= conversation_.messages.size()) return {};
  return conversation_.messages.at(index).content;
}

QString MessageView::messageHtml(int i) const {
  const ThemeColors c = themeColors();
  const Message& m = conversation_.messages.at(i);
  const bool user = m.role == QLatin1String("user");
  const bool last = i == conversation_.messages.size() - 1;
  const bool editing = i == editIndex_;
  QString body = editing ? QStringLiteral("<p><img src=\"%1%2\"></p>").arg(kEditSpacer).arg(viewport()->width())
                         : markdownToHtml(m.content, QString::number(i), c);
  if (body.isEmpty() && !user && streaming_ && last) body = QStringLiteral("<p style=\"color:%1\">…</p>").arg(c.mutedText.name());
  QString footer;
  if (!m.error.isEmpty())
    footer += QStringLiteral("<p style=\"color:%1\"><b>%2</b> %3</p>").arg(c.error.name(), tr("Error:"), m.error.toHtmlEscaped());
  if (m.stats.valid())
    footer += QStringLiteral("<p style=\"color:%1; font-size:small\">%2</p>").arg(c.mutedText.name(), formatStatsLine(m.stats).toHtmlEscaped());
  if (!(streaming_ && last) && !editing) {
    QStringList actions{QStringLiteral("<a href=\"act:copy:%1\">%2</a>").arg(i).arg(tr("Copy"))};
    if (!streaming_) {
      if (user) actions << QStringLiteral("<a href=\"act:edit:%1\">%2</a>").arg(i).arg(tr("Edit and resend"));
      else actions << QStringLiteral("<a href=\"act:regen:%1\">%2</a>").arg(i).arg(tr("Regenerate"));
    }
    footer += QStringLiteral("<p style=\"font-size:small\">%1</p>").arg(actions.join(QStringLiteral(" &nbsp;·&nbsp; ")));
  }
  return QStringLiteral(
             "<table width=\"100%\" cellspacing=\"0\" cellpadding=\"10\" bgcolor=\"%1\" style=\"margin-bottom:10px\">"
             "<tr><td><p style=\"color:%2\"><b>%3</b></p>%4%5</td></tr></table>")
      .arg((user ? c.userBubble : c.assistantBubble).name(), c.mutedText.name(), user ? tr("You") : tr("Assistant"), body, footer);
}

void MessageView::renderNow() {
  renderTimer_.stop();
  QScrollBar* bar = verticalScrollBar();
  const bool atBottom = bar->value() >= bar->maximum() - 4;
  const int oldValue = bar->value();
  const ThemeColors c = themeColors();
  QString html = QStringLiteral("<html><body style=\"color:%1\">").arg(c.text.name());
  if (!conversation_.systemPrompt.trimmed().isEmpty())
    html += QStringLiteral("<p style=\"color:%1; font-size:small\"><i>%2 %3</i></p>")
                .arg(c.mutedText.name(), tr("System prompt:"), conversation_.systemPrompt.toHtmlEscaped());
  if (conversation_.messages.isEmpty())
    html += QStringLiteral("<p align=\"center\" style=\"color:%1\"><br><br>%2</p>")
                .arg(c.mutedText.name(), tr("Type a message below and press Ctrl+Enter to send."));
  for (int i = 0; i < conversation_.messages.size(); ++i) html += messageHtml(i);
  html += QStringLiteral("</body></html>");
  setHtml(html);
  bar->setValue(atBottom && editIndex_ < 0 ? bar->maximum() : oldValue);
  mapsValid_ = false;
  applyRoutingMarks();
  placeEditor();
}

QVariant MessageView::loadResource(int type, const QUrl& name) {
  if (type == QTextDocument::ImageResource && name.toString().startsWith(kEditSpacer)) {
    const int width = editorWidth(name.toString().mid(kEditSpacer.size()).toInt());
    QImage spacer(width, kEditorHeight, QImage::Format_ARGB32);
    spacer.fill(Qt::transparent);
    return spacer;
  }
  return QTextBrowser::loadResource(type, name);
}

void MessageView::beginEdit(int index) {
  if (streaming_ || index < 0 || index >= conversation_.messages.size()) return;
  if (conversation_.messages.at(index).role != QLatin1String("user")) return;
  editIndex_ = index;
  editorText_->setPlainText(conversation_.messages.at(index).content);
  renderNow();
  editorFrame_->show();
  placeEditor();
  // Bring the whole editor into view.
  const QRect r = editorFrame_->geometry();
  if (r.top() < 0) verticalScrollBar()->setValue(verticalScrollBar()->value() + r.top() - 40);
  else if (r.bottom() > viewport()->height()) verticalScrollBar()->setValue(verticalScrollBar()->value() + r.bottom() - viewport()->height() + 8);
  editorText_->setFocus();
  editorText_->moveCursor(QTextCursor::End);
}

void MessageView::cancelEdit() {
  if (editIndex_ < 0) return;
  editIndex_ = -1;
  editorFrame_->hide();
  renderNow();
}

void MessageView::submitEdit() {
  if (editIndex_ < 0) return;
  const QString text = editorText_->toPlainText().trimmed();
  if (text.isEmpty()) return;  // an empty message cannot be sent; Cancel keeps the old one
  const int index = editIndex_;
  editIndex_ = -1;
  editorFrame_->hide();
  renderNow();
  Q_EMIT editSubmitted(index, text);
}

void MessageView::placeEditor() {
  if (editIndex_ < 0 || !editorFrame_) return;
  // Find the spacer image in the document and lay the editor over it.
  for (QTextBlock b = document()->begin(); b.isValid(); b = b.next()) {
    for (auto it = b.begin(); !it.atEnd(); ++it) {
      const QTextFragment f = it.fragment();
      if (!f.charFormat().isImageFormat() || !f.charFormat().toImageFormat().name().startsWith(kEditSpacer)) continue;
      QTextCursor c(document());
      c.setPosition(f.position());
      const QRect caret = cursorRect(c);
      editorFrame_->setGeometry(caret.left(), caret.bottom() - kEditorHeight + 1, editorWidth(viewport()->width()), kEditorHeight);
      editorFrame_->show();
      editorFrame_->raise();
      return;
    }
  }
}

void MessageView::resizeEvent(QResizeEvent* event) {
  QTextBrowser::resizeEvent(event);
  // The spacer follows the width. Later, not now: setHtml() itself resizes the viewport when
  // the scroll bar appears, and rendering inside it would nest two documents.
  if (editIndex_ >= 0 && event->size().width() != event->oldSize().width()) renderTimer_.start();
  placeEditor();
}

bool MessageView::eventFilter(QObject* watched, QEvent* event) {
  if (watched == editorText_ && (event->type() == QEvent::KeyPress || event->type() == QEvent::ShortcutOverride)) {
    auto* key = static_cast<QKeyEvent*>(event);
    const bool ours = key->key() == Qt::Key_Escape ||
                      ((key->key() == Qt::Key_Return || key->key() == Qt::Key_Enter) && (key->modifiers() & Qt::ControlModifier));
    // The window's Esc (stop) and Ctrl+Enter (send) shortcuts must not take these keys here.
    if (event->type() == QEvent::ShortcutOverride) {
      if (ours) key->accept();
      return ours;
    }
    if (key->key() == Qt::Key_Escape) {
      cancelEdit();
      return true;
    }
    if ((key->key() == Qt::Key_Return || key->key() == Qt::Key_Enter) && (key->modifiers() & Qt::ControlModifier)) {
      submitEdit();
      return true;
    }
  }
  return QTextBrowser::eventFilter(watched, event);
}

void MessageView::onAnchor(const QUrl& url) {
  const QStringList parts = url.toString().split(QLatin1Char(':'));
  if (parts.size() == 3 && parts[0] == QLatin1String("copy")) {
    const QStringList blocks = codeBlocks(messageText(parts[1].toInt()));
    const int n = parts[2].toInt();
    if (n >= 0 && n < blocks.size()) {
      QApplication::clipboard()->setText(blocks.at(n));
      Q_EMIT copied(tr("code block"));
    }
  } else if (parts.size() == 3 && parts[0] == QLatin1String("act")) {
    const int i = parts[2].toInt();
    if (parts[1] == QLatin1String("copy")) {
      QApplication::clipboard()->setText(messageText(i));
      Q_EMIT copied(tr("message"));
    } else if (parts[1] == QLatin1String("edit")) {
      beginEdit(i);
    } else if (parts[1] == QLatin1String("regen")) {
      Q_EMIT regenerateRequested(i);
    }
  }
}

}  // namespace moe::ui

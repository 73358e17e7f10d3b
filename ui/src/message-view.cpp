#include "moe/ui/message-view.hpp"

#include "moe/ui/markdown.hpp"
#include "moe/ui/theme.hpp"

#include <QApplication>
#include <QClipboard>
#include <QScrollBar>

namespace moe::ui {

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
}

void MessageView::setConversation(const Conversation& c, bool streaming) {
  const bool switched = c.id != conversation_.id;
  conversation_ = c;
  streaming_ = streaming;
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
  QString body = markdownToHtml(m.content, QString::number(i), c);
  if (body.isEmpty() && !user && streaming_ && last) body = QStringLiteral("<p style=\"color:%1\">…</p>").arg(c.mutedText.name());
  QString footer;
  if (!m.error.isEmpty())
    footer += QStringLiteral("<p style=\"color:%1\"><b>%2</b> %3</p>").arg(c.error.name(), tr("Error:"), m.error.toHtmlEscaped());
  if (m.stats.valid())
    footer += QStringLiteral("<p style=\"color:%1; font-size:small\">%2</p>").arg(c.mutedText.name(), formatStatsLine(m.stats).toHtmlEscaped());
  if (!(streaming_ && last)) {
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
  bar->setValue(atBottom ? bar->maximum() : oldValue);
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
      Q_EMIT editRequested(i);
    } else if (parts[1] == QLatin1String("regen")) {
      Q_EMIT regenerateRequested(i);
    }
  }
}

}  // namespace moe::ui

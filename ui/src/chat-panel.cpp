#include "moe/ui/chat-panel.hpp"

#include "moe/ui/message-view.hpp"

#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QStyle>
#include <QToolButton>
#include <QVBoxLayout>

namespace moe::ui {

ChatPanel::ChatPanel(QWidget* parent) : QWidget(parent) {
  setObjectName(QStringLiteral("chatPanel"));
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(8, 6, 8, 8);
  layout->setSpacing(6);

  auto* header = new QHBoxLayout;
  auto* titles = new QVBoxLayout;
  titles->setSpacing(0);
  title_ = new QLabel(this);
  title_->setObjectName(QStringLiteral("conversationTitle"));
  QFont f = title_->font();
  f.setBold(true);
  f.setPointSizeF(f.pointSizeF() * 1.15);
  title_->setFont(f);
  title_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  title_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);  // elided to fit, never widens the window
  subtitle_ = new QLabel(this);
  subtitle_->setForegroundRole(QPalette::PlaceholderText);
  titles->addWidget(title_);
  titles->addWidget(subtitle_);
  header->addLayout(titles, 1);
  settings_ = new QToolButton(this);
  settings_->setText(tr("System prompt && sampling…"));
  settings_->setToolButtonStyle(Qt::ToolButtonTextOnly);
  settings_->setAccessibleName(tr("Conversation settings"));
  settings_->setToolTip(tr("System prompt and sampling settings of this conversation"));
  header->addWidget(settings_);
  layout->addLayout(header);

  view_ = new MessageView(this);
  layout->addWidget(view_, 1);

  auto* composerRow = new QHBoxLayout;
  composer_ = new QPlainTextEdit(this);
  composer_->setObjectName(QStringLiteral("composer"));
  composer_->setAccessibleName(tr("Message"));
  composer_->setPlaceholderText(tr("Message the model… (Ctrl+Enter to send)"));
  composer_->setTabChangesFocus(true);
  const int lineHeight = composer_->fontMetrics().lineSpacing();
  composer_->setFixedHeight(lineHeight * 4 + 16);
  composerRow->addWidget(composer_, 1);
  auto* buttons = new QVBoxLayout;
  send_ = new QPushButton(style()->standardIcon(QStyle::SP_ArrowRight), tr("Send"), this);
  send_->setObjectName(QStringLiteral("sendButton"));
  send_->setAccessibleName(tr("Send message"));
  send_->setToolTip(tr("Send (Ctrl+Enter)"));
  send_->setDefault(true);
  stop_ = new QPushButton(style()->standardIcon(QStyle::SP_MediaStop), tr("Stop"), this);
  stop_->setObjectName(QStringLiteral("stopButton"));
  stop_->setAccessibleName(tr("Stop generating"));
  stop_->setToolTip(tr("Stop the reply (Esc)"));
  buttons->addWidget(send_);
  buttons->addWidget(stop_);
  buttons->addStretch();
  composerRow->addLayout(buttons);
  layout->addLayout(composerRow);

  connect(send_, &QPushButton::clicked, this, &ChatPanel::triggerSend);
  connect(stop_, &QPushButton::clicked, this, &ChatPanel::stopRequested);
  connect(settings_, &QToolButton::clicked, this, &ChatPanel::settingsRequested);
  setBusy(false);
}

void ChatPanel::setTitle(const QString& title, const QString& subtitle) {
  fullTitle_ = title;
  title_->setToolTip(title);
  title_->setText(title_->fontMetrics().elidedText(title, Qt::ElideRight, std::max(80, title_->width())));
  subtitle_->setText(subtitle);
  subtitle_->setVisible(!subtitle.isEmpty());
}

void ChatPanel::resizeEvent(QResizeEvent* event) {
  QWidget::resizeEvent(event);
  title_->setText(title_->fontMetrics().elidedText(fullTitle_, Qt::ElideRight, std::max(80, title_->width())));
}

void ChatPanel::setBusy(bool busy) {
  busy_ = busy;
  stop_->setEnabled(busy);
  send_->setEnabled(!busy && canSend_);
}

void ChatPanel::setCanSend(bool canSend, const QString& whyNot) {
  canSend_ = canSend;
  send_->setEnabled(!busy_ && canSend_);
  send_->setToolTip(canSend ? tr("Send (Ctrl+Enter)") : whyNot);
}

void ChatPanel::triggerSend() {
  const QString text = composer_->toPlainText().trimmed();
  if (text.isEmpty() || busy_ || !canSend_) return;
  composer_->clear();
  Q_EMIT sendRequested(text);
}

}  // namespace moe::ui

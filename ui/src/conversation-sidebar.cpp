#include "moe/ui/conversation-sidebar.hpp"

#include "moe/ui/conversation-list-model.hpp"

#include <QHBoxLayout>
#include <QLineEdit>
#include <QListView>
#include <QSortFilterProxyModel>
#include <QStyle>
#include <QToolButton>
#include <QVBoxLayout>

namespace moe::ui {

ConversationSidebar::ConversationSidebar(ConversationListModel* model, QWidget* parent)
    : QWidget(parent), model_(model), proxy_(new QSortFilterProxyModel(this)) {
  setObjectName(QStringLiteral("conversationSidebar"));
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(6, 6, 6, 6);
  search_ = new QLineEdit(this);
  search_->setPlaceholderText(tr("Search conversations (Ctrl+F)"));
  search_->setAccessibleName(tr("Search conversations"));
  search_->setClearButtonEnabled(true);
  layout->addWidget(search_);

  proxy_->setSourceModel(model_);
  proxy_->setFilterRole(ConversationListModel::SearchTextRole);
  proxy_->setFilterCaseSensitivity(Qt::CaseInsensitive);
  list_ = new QListView(this);
  list_->setModel(proxy_);
  list_->setAccessibleName(tr("Conversations"));
  list_->setSelectionMode(QAbstractItemView::SingleSelection);
  list_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  list_->setUniformItemSizes(true);
  list_->setTextElideMode(Qt::ElideRight);
  list_->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);  // long titles elide instead
  layout->addWidget(list_, 1);

  auto* buttons = new QHBoxLayout;
  auto button = [&](QStyle::StandardPixmap icon, const QString& text, const QString& tip) {
    auto* b = new QToolButton(this);
    b->setIcon(style()->standardIcon(icon));
    b->setText(text);
    b->setToolTip(tip);
    b->setAccessibleName(text);
    b->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    buttons->addWidget(b);
    return b;
  };
  auto* add = button(QStyle::SP_FileIcon, tr("New"), tr("New conversation (Ctrl+N)"));
  auto* rename = button(QStyle::SP_FileDialogDetailedView, tr("Rename"), tr("Rename the conversation (F2)"));
  auto* remove = button(QStyle::SP_TrashIcon, tr("Delete"), tr("Delete the conversation"));
  buttons->addStretch();
  layout->addLayout(buttons);

  connect(search_, &QLineEdit::textChanged, proxy_, &QSortFilterProxyModel::setFilterFixedString);
  connect(list_->selectionModel(), &QItemSelectionModel::currentChanged, this,
          [this](const QModelIndex& cur) { Q_EMIT currentChanged(cur.data(ConversationListModel::IdRole).toString()); });
  connect(add, &QToolButton::clicked, this, &ConversationSidebar::newRequested);
  connect(rename, &QToolButton::clicked, this, [this] {
    if (!currentId().isEmpty()) Q_EMIT renameRequested(currentId());
  });
  connect(remove, &QToolButton::clicked, this, [this] {
    if (!currentId().isEmpty()) Q_EMIT deleteRequested(currentId());
  });
  connect(list_, &QListView::doubleClicked, this, [this] {
    if (!currentId().isEmpty()) Q_EMIT renameRequested(currentId());
  });
}

QString ConversationSidebar::currentId() const { return list_->currentIndex().data(ConversationListModel::IdRole).toString(); }

void ConversationSidebar::selectId(const QString& id) {
  const int row = model_->rowOf(id);
  if (row < 0) return;
  const QModelIndex idx = proxy_->mapFromSource(model_->index(row));
  if (!idx.isValid()) search_->clear();  // hidden by the filter: show everything again
  list_->setCurrentIndex(proxy_->mapFromSource(model_->index(row)));
}

}  // namespace moe::ui

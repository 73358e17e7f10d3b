#include "moe/ui/conversation-list-model.hpp"

namespace moe::ui {

ConversationListModel::ConversationListModel(ConversationStore store, QObject* parent)
    : QAbstractListModel(parent), store_(std::move(store)) {}

ConversationStore::LoadResult ConversationListModel::reload() {
  ConversationStore::LoadResult r = store_.loadAll();
  beginResetModel();
  items_ = r.conversations;
  endResetModel();
  return r;
}

int ConversationListModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(items_.size());
}

QVariant ConversationListModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= items_.size()) return {};
  const Conversation& c = items_.at(index.row());
  switch (role) {
    case Qt::DisplayRole:
    case Qt::EditRole: return c.title.isEmpty() ? tr("Untitled") : c.title;
    case Qt::ToolTipRole: return tr("%1 messages · updated %2").arg(c.messages.size()).arg(c.updated.toLocalTime().toString(Qt::TextDate));
    case IdRole: return c.id;
    case UpdatedRole: return c.updated;
    case SearchTextRole: {
      QString text = c.title;
      for (const Message& m : c.messages) text += QLatin1Char('\n') + m.content;
      return text;
    }
    default: return {};
  }
}

int ConversationListModel::rowOf(const QString& id) const {
  for (int i = 0; i < items_.size(); ++i)
    if (items_.at(i).id == id) return i;
  return -1;
}

const Conversation* ConversationListModel::find(const QString& id) const {
  const int row = rowOf(id);
  return row < 0 ? nullptr : &items_.at(row);
}

bool ConversationListModel::persist(const Conversation& c) {
  QString error;
  if (store_.save(c, &error)) return true;
  Q_EMIT saveFailed(tr("Could not save \"%1\": %2").arg(c.title, error));
  return false;
}

QString ConversationListModel::add(Conversation c) {
  beginInsertRows({}, 0, 0);
  items_.prepend(c);
  endInsertRows();
  persist(c);
  return c.id;
}

bool ConversationListModel::update(const Conversation& c, bool touch) {
  const int row = rowOf(c.id);
  if (row < 0) return false;
  Conversation copy = c;
  if (touch) copy.updated = QDateTime::currentDateTimeUtc();
  items_[row] = copy;
  if (touch && row != 0) {
    beginMoveRows({}, row, row, {}, 0);
    items_.move(row, 0);
    endMoveRows();
    Q_EMIT dataChanged(index(0), index(0));
  } else {
    Q_EMIT dataChanged(index(row), index(row));
  }
  return persist(copy);
}

bool ConversationListModel::rename(const QString& id, const QString& title) {
  const Conversation* c = find(id);
  if (!c) return false;
  Conversation copy = *c;
  copy.title = title;
  return update(copy, false);
}

bool ConversationListModel::remove(const QString& id) {
  const int row = rowOf(id);
  if (row < 0) return false;
  beginRemoveRows({}, row, row);
  items_.removeAt(row);
  endRemoveRows();
  return store_.remove(id);
}

}  // namespace moe::ui

#pragma once
// The conversations of the session as a list model (GUI thread only). Every change is saved
// through the ConversationStore right away.
#include "moe/ui/conversation-store.hpp"

#include <QAbstractListModel>

namespace moe::ui {

class ConversationListModel : public QAbstractListModel {
  Q_OBJECT
 public:
  enum Role { IdRole = Qt::UserRole + 1, SearchTextRole, UpdatedRole };
  explicit ConversationListModel(ConversationStore store, QObject* parent = nullptr);

  // Loads everything from disk; returns the problems found (empty when all was intact).
  ConversationStore::LoadResult reload();

  int rowCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;

  int rowOf(const QString& id) const;
  const Conversation* find(const QString& id) const;
  QString add(Conversation c);  // inserted at the top, saved; returns its id
  // Replaces the stored copy and saves it (moving it to the top when `touch`).
  bool update(const Conversation& c, bool touch = true);
  bool rename(const QString& id, const QString& title);
  bool remove(const QString& id);
  const ConversationStore& store() const { return store_; }

 Q_SIGNALS:
  void saveFailed(const QString& message);

 private:
  bool persist(const Conversation& c);
  ConversationStore store_;
  QList<Conversation> items_;
};

}  // namespace moe::ui

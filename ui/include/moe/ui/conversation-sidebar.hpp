#pragma once
// The conversation list: search box, list (filtered by title and message text), and
// New / Rename / Delete.
#include <QWidget>

class QLineEdit;
class QListView;
class QSortFilterProxyModel;
class QToolButton;

namespace moe::ui {

class ConversationListModel;

class ConversationSidebar : public QWidget {
  Q_OBJECT
 public:
  explicit ConversationSidebar(ConversationListModel* model, QWidget* parent = nullptr);
  QLineEdit* searchEdit() const { return search_; }
  QListView* listView() const { return list_; }
  QString currentId() const;
  void selectId(const QString& id);

 Q_SIGNALS:
  void currentChanged(const QString& id);
  void newRequested();
  void renameRequested(const QString& id);
  void deleteRequested(const QString& id);

 private:
  ConversationListModel* model_;
  QSortFilterProxyModel* proxy_;
  QLineEdit* search_;
  QListView* list_;
};

}  // namespace moe::ui

#pragma once
// The main window: conversations on the left, the chat in the centre, inspection panels as
// dock widgets (layout remembered). It owns the engine controller of the loaded model.
#include "moe/ui/app-settings.hpp"
#include "moe/ui/chat-backend.hpp"
#include "moe/ui/conversation.hpp"

#include <QMainWindow>
#include <QPointer>
#include <QString>

#include <memory>
#include <optional>

class QDockWidget;
class QLabel;
class QMenu;
class QProgressBar;
class QToolButton;

namespace moe::ui {

class CachePanel;
class ChatPanel;
class ConversationListModel;
class ConversationSidebar;
class EngineController;
class KernelPanel;
class ModelPanel;
class PlotPanel;
class ReplyRouting;
class RoutingPanel;
class TelemetryHub;
class TokenRoutingView;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  struct Options {
    BackendFactory backendFactory = makeEngineBackend;
    QString conversationDir;     // empty = ConversationStore::defaultDir()
    bool restoreLayout = true;   // window geometry and dock layout from QSettings
  };
  MainWindow();  // the real engine, the user's conversations and layout
  explicit MainWindow(Options options, QWidget* parent = nullptr);
  ~MainWindow() override;

  void openModel(const QString& path);
  bool sendMessage(const QString& text);  // to the current conversation; false if it cannot
  void stopReply();
  QString newConversation();
  void regenerate(int messageIndex);
  void editAndResend(int messageIndex, const QString& newText);
  // What a click on a heatmap cell does: highlight the shown replies' tokens routed to
  // `expert` in `layer` ((-1, -1) clears).
  void highlightExpert(int layer, int expert);
  // What a click on a word does: show the experts of the token at `position` of message
  // `index` per layer; false when that message has no routing record.
  bool selectToken(int index, int position);

  QString modelPath() const { return modelPath_; }
  bool modelLoaded() const;
  bool replying() const { return live_.has_value(); }
  QString currentConversationId() const { return currentId_; }
  const Conversation* currentConversation() const;
  ChatPanel* chatPanel() const { return chat_; }
  ConversationSidebar* sidebar() const { return sidebar_; }
  ConversationListModel* conversations() const { return conversations_; }
  ModelPanel* modelPanel() const { return modelPanel_; }
  QList<PlotPanel*> plotPanels() const;
  TelemetryHub* telemetry() const { return hub_; }
  RoutingPanel* routingPanel() const { return routingPanel_; }
  TokenRoutingView* tokenRoutingView() const { return tokenView_; }
  // Per-token routing of the last reply (null before the first one or on dense models).
  std::shared_ptr<const ReplyRouting> lastReplyRouting() const { return lastRouting_; }
  // Writes the Chrome trace of the last reply to `tracePath` and its routing CSV beside it
  // (<stem>-routing.csv, returned in *csvPath). False with *error set when it cannot.
  bool exportTraceFiles(const QString& tracePath, QString* csvPath, QString* error);
  const ModelSummary& modelSummary() const { return summary_; }
  QStringList startupProblems() const { return startupProblems_; }

 Q_SIGNALS:
  void modelReady(const moe::ui::ModelSummary& summary);
  void modelFailed(const QString& message);
  void replyDone(const moe::ui::ReplyStatsValue& stats);
  void replyFailed(const QString& message);

 protected:
  void closeEvent(QCloseEvent* event) override;
  void dragEnterEvent(QDragEnterEvent* event) override;
  void dropEvent(QDropEvent* event) override;

 private:
  // main-window.cpp: construction, menus, docks, settings.
  void buildMenus();
  QDockWidget* addPanelDock(QWidget* panel, const QString& title, const QString& objectName, Qt::DockWidgetArea area);
  void rebuildRecentMenu();
  void showSettings();
  void applySettings();
  void openModelDialog();
  void findModels();
  void showError(const QString& title, const QString& message);
  void reportSaveFailure(const QString& message);
  void updateActions();

  // main-window-chat.cpp: conversations and the engine.
  void selectConversation(const QString& id);
  void renameConversation(const QString& id);
  void deleteConversation(const QString& id);
  void editConversationSettings();
  void exportConversation();
  void exportTrace();  // Chrome trace + routing CSV of the last reply
  void startReply(Conversation c);
  void connectController(EngineController* c);
  void onModelLoaded(EngineController* c, const ModelSummary& summary);
  void onLoadFailed(EngineController* c, const QString& message, bool cancelled);
  void onToken(quint64 id, const QString& text);
  void onReplyFinished(quint64 id, const ReplyStatsValue& stats);
  void onReplyError(quint64 id, const QString& message);
  void finishRouting();  // attaches the reply's routing record to its message
  void refreshView();

  Options options_;
  AppSettings settings_;
  ChatPanel* chat_ = nullptr;
  ConversationSidebar* sidebar_ = nullptr;
  ConversationListModel* conversations_ = nullptr;
  TelemetryHub* hub_ = nullptr;
  ModelPanel* modelPanel_ = nullptr;
  RoutingPanel* routingPanel_ = nullptr;
  CachePanel* cachePanel_ = nullptr;
  KernelPanel* kernelPanel_ = nullptr;
  TokenRoutingView* tokenView_ = nullptr;
  QList<QDockWidget*> docks_;
  QMenu* recentMenu_ = nullptr;
  QMenu* viewMenu_ = nullptr;
  QLabel* modelLabel_ = nullptr;
  QLabel* isaLabel_ = nullptr;
  QProgressBar* loadBar_ = nullptr;
  QToolButton* cancelLoad_ = nullptr;
  QByteArray defaultState_;

  std::unique_ptr<EngineController> active_;   // the loaded model
  std::unique_ptr<EngineController> pending_;  // a model being loaded
  QString pendingPath_;
  QString modelPath_;
  ModelSummary summary_;
  QString currentId_;
  std::optional<Conversation> live_;  // the conversation whose reply is streaming
  quint64 replyId_ = 0;
  std::shared_ptr<ReplyRouting> liveRouting_;    // being filled while the reply streams
  std::shared_ptr<ReplyRouting> lastRouting_;
  QString routingConversation_;  // whose replies the heatmap's "conversation" window counts
  QStringList startupProblems_;
};

}  // namespace moe::ui

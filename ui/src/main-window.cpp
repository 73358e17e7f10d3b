#include "moe/kernels/dispatch.hpp"
#include "moe/version.hpp"

#include "moe/ui/chat-panel.hpp"
#include "moe/ui/conversation-list-model.hpp"
#include "moe/ui/conversation-sidebar.hpp"
#include "moe/ui/engine-controller.hpp"
#include "moe/ui/main-window.hpp"
#include "moe/ui/message-view.hpp"
#include "moe/ui/model-library-dialog.hpp"
#include "moe/ui/model-panel.hpp"
#include "moe/ui/model-scanner.hpp"
#include "moe/ui/settings-dialogs.hpp"
#include "moe/ui/telemetry-hub.hpp"
#include "moe/ui/token-routing-view.hpp"
#include "moe/ui/telemetry-panels.hpp"
#include "moe/ui/theme.hpp"

#include <QCloseEvent>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QDir>
#include <QFileInfo>
#include <QKeySequence>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QSettings>
#include <QShortcut>
#include <QSplitter>
#include <QStatusBar>
#include <QToolButton>

namespace moe::ui {

MainWindow::MainWindow() : MainWindow(Options{}) {}

MainWindow::MainWindow(Options options, QWidget* parent) : QMainWindow(parent), options_(std::move(options)) {
  registerChatMetaTypes();
  setWindowTitle(QStringLiteral("MoEScope %1").arg(QString::fromLatin1(moe::kVersion)));
  setObjectName(QStringLiteral("mainWindow"));
  setAcceptDrops(true);
  setDockOptions(QMainWindow::AnimatedDocks | QMainWindow::AllowTabbedDocks | QMainWindow::AllowNestedDocks);
  settings_ = AppSettings::load();

  conversations_ = new ConversationListModel(
      ConversationStore(options_.conversationDir.isEmpty() ? ConversationStore::defaultDir() : options_.conversationDir), this);
  const auto loaded = conversations_->reload();
  startupProblems_ = loaded.problems;
  connect(conversations_, &ConversationListModel::saveFailed, this, [this](const QString& m) { reportSaveFailure(m); });

  auto* splitter = new QSplitter(this);
  splitter->setObjectName(QStringLiteral("centralSplitter"));
  sidebar_ = new ConversationSidebar(conversations_, splitter);
  chat_ = new ChatPanel(splitter);
  splitter->addWidget(sidebar_);
  splitter->addWidget(chat_);
  splitter->setStretchFactor(0, 0);
  splitter->setStretchFactor(1, 1);
  splitter->setSizes({230, 700});
  splitter->setChildrenCollapsible(false);
  setCentralWidget(splitter);

  hub_ = new TelemetryHub(this);
  routingPanel_ = new RoutingPanel(hub_, this);
  cachePanel_ = new CachePanel(hub_, this);
  kernelPanel_ = new KernelPanel(hub_, this);
  modelPanel_ = new ModelPanel(this);
  connect(hub_, &TelemetryHub::updated, this, [this](bool routing, bool cache, bool kernels) {
    if (routing) routingPanel_->refresh();
    if (cache) cachePanel_->refresh();
    if (kernels) kernelPanel_->refresh();
  });
  connect(hub_, &TelemetryHub::cleared, this, [this] {
    for (PlotPanel* p : plotPanels()) p->refresh();
  });
  auto* routingDock = addPanelDock(routingPanel_, tr("Expert routing"), QStringLiteral("routingDock"), Qt::RightDockWidgetArea);
  addPanelDock(cachePanel_, tr("Expert cache"), QStringLiteral("cacheDock"), Qt::RightDockWidgetArea);
  tokenView_ = new TokenRoutingView(this);
  auto* kernelDock = addPanelDock(kernelPanel_, tr("Kernel timings"), QStringLiteral("kernelDock"), Qt::BottomDockWidgetArea);
  auto* modelDock = addPanelDock(modelPanel_, tr("Model"), QStringLiteral("modelDock"), Qt::BottomDockWidgetArea);
  splitDockWidget(kernelDock, modelDock, Qt::Horizontal);
  // A selected token's experts share the Model dock's place, so the heatmap and the cache
  // stay in view beside the chat while tokens are inspected.
  auto* tokenDock = addPanelDock(tokenView_, tr("Token routing"), QStringLiteral("tokenDock"), Qt::BottomDockWidgetArea);
  tabifyDockWidget(modelDock, tokenDock);
  modelDock->raise();
  resizeDocks({routingDock}, {470}, Qt::Horizontal);
  resizeDocks({kernelDock}, {300}, Qt::Vertical);
  resizeDocks({kernelDock, modelDock}, {1, 1}, Qt::Horizontal);  // share the bottom evenly

  modelLabel_ = new QLabel(tr("No model"), this);
  modelLabel_->setAccessibleName(tr("Loaded model"));
  loadBar_ = new QProgressBar(this);
  loadBar_->setRange(0, 100);
  loadBar_->setMaximumWidth(220);
  loadBar_->setAccessibleName(tr("Model loading progress"));
  loadBar_->hide();
  cancelLoad_ = new QToolButton(this);
  cancelLoad_->setText(tr("Cancel"));
  cancelLoad_->setAccessibleName(tr("Cancel loading"));
  cancelLoad_->hide();
  connect(cancelLoad_, &QToolButton::clicked, this, [this] {
    if (pending_) pending_->cancelLoad();
  });
  isaLabel_ = new QLabel(tr("Kernels: %1").arg(QString::fromLatin1(std::string(moe::kern::isa_name(moe::kern::best_isa())).c_str())), this);
  statusBar()->addPermanentWidget(loadBar_);
  statusBar()->addPermanentWidget(cancelLoad_);
  statusBar()->addPermanentWidget(modelLabel_);
  statusBar()->addPermanentWidget(isaLabel_);

  buildMenus();

  connect(sidebar_, &ConversationSidebar::currentChanged, this, &MainWindow::selectConversation);
  connect(sidebar_, &ConversationSidebar::newRequested, this, &MainWindow::newConversation);
  connect(sidebar_, &ConversationSidebar::renameRequested, this, &MainWindow::renameConversation);
  connect(sidebar_, &ConversationSidebar::deleteRequested, this, &MainWindow::deleteConversation);
  connect(chat_, &ChatPanel::sendRequested, this, &MainWindow::sendMessage);
  connect(chat_, &ChatPanel::stopRequested, this, &MainWindow::stopReply);
  connect(chat_, &ChatPanel::settingsRequested, this, &MainWindow::editConversationSettings);
  connect(chat_->view(), &MessageView::regenerateRequested, this, &MainWindow::regenerate);
  // The edited text replaces message i and everything after it.
  connect(chat_->view(), &MessageView::editSubmitted, this, &MainWindow::editAndResend);
  // Heatmap cell <-> highlighted tokens; a clicked token -> its experts in every layer.
  connect(routingPanel_, &RoutingPanel::cellSelected, this, &MainWindow::highlightExpert);
  connect(chat_->view(), &MessageView::highlightCleared, this, [this] {
    routingPanel_->setSelectedCell(-1, -1);
    tokenView_->setMarkedCell(-1, -1);
  });
  connect(chat_->view(), &MessageView::tokenSelected, this, &MainWindow::selectToken);
  connect(chat_->view(), &MessageView::copied, this, [this](const QString& what) { statusBar()->showMessage(tr("Copied the %1.").arg(what), 3000); });

  defaultState_ = saveState();
  resize(1400, 900);
  if (options_.restoreLayout) {
    QSettings s;
    restoreGeometry(s.value(QStringLiteral("ui/geometry")).toByteArray());
    restoreState(s.value(QStringLiteral("ui/windowState")).toByteArray());
  }

  if (conversations_->rowCount() == 0) newConversation();
  else sidebar_->selectId(conversations_->index(0).data(ConversationListModel::IdRole).toString());
  updateActions();
  if (!startupProblems_.isEmpty()) {
    const QString msg = tr("Some saved conversations could not be read and were set aside:\n%1").arg(startupProblems_.join(QLatin1Char('\n')));
    statusBar()->showMessage(tr("%n conversation file(s) damaged — kept as .corrupt copies; the rest loaded.", nullptr,
                                static_cast<int>(startupProblems_.size())));
    showError(tr("Damaged conversations"), msg);
  } else {
    statusBar()->showMessage(tr("Open a model to start (Ctrl+O), or drop a .gguf file here."));
  }
}

MainWindow::~MainWindow() {
  // Keep what a reply streamed so far, marked as cut short.
  if (live_) {
    live_->messages.last().stats.stopReason = QStringLiteral("cancelled");
    conversations_->update(*live_);
    live_.reset();
  }
  // Cancel first, then join the worker threads (EngineController's destructor).
  pending_.reset();
  active_.reset();
}

void MainWindow::highlightExpert(int layer, int expert) {
  if (layer < 0 || expert < 0) layer = expert = -1;
  if (routingPanel_->selectedLayer() != layer || routingPanel_->selectedExpert() != expert) routingPanel_->setSelectedCell(layer, expert);
  chat_->view()->setHighlight(layer, expert);
  tokenView_->setMarkedCell(layer, expert);
  if (layer < 0) return;
  const int n = static_cast<int>(chat_->view()->highlightedSpans().size());
  statusBar()->showMessage(n > 0 ? tr("%n token(s) of the shown replies went to expert %1 in layer %2.", nullptr, n).arg(expert).arg(layer)
                                 : tr("No token of the shown replies went to expert %1 in layer %2.").arg(expert).arg(layer), 6000);
}

bool MainWindow::selectToken(int index, int position) {
  const Conversation& shown = chat_->view()->conversation();
  if (index < 0 || index >= shown.messages.size() || !shown.messages.at(index).routing) {
    chat_->view()->selectToken(-1, -1);
    tokenView_->clear();
    return false;
  }
  if (chat_->view()->selectedMessage() != index || chat_->view()->selectedPosition() != position)
    chat_->view()->selectToken(index, position);
  tokenView_->showToken(shown.messages.at(index).routing, position);
  if (auto* dock = findChild<QDockWidget*>(QStringLiteral("tokenDock"))) {
    dock->show();
    dock->raise();
  }
  return true;
}

QList<PlotPanel*> MainWindow::plotPanels() const { return {routingPanel_, cachePanel_, kernelPanel_}; }

QDockWidget* MainWindow::addPanelDock(QWidget* panel, const QString& title, const QString& objectName, Qt::DockWidgetArea area) {
  auto* dock = new QDockWidget(title, this);
  dock->setObjectName(objectName);
  dock->setWidget(panel);
  dock->setAccessibleName(title);
  dock->setFeatures(QDockWidget::DockWidgetClosable | QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
  addDockWidget(area, dock);
  docks_ << dock;
  return dock;
}

void MainWindow::buildMenus() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  QAction* open = file->addAction(tr("&Open Model…"), this, &MainWindow::openModelDialog);
  open->setShortcut(QKeySequence::Open);
  recentMenu_ = file->addMenu(tr("Open &Recent"));
  rebuildRecentMenu();
  file->addAction(tr("&Find Models on This Computer…"), this, &MainWindow::findModels);
  file->addSeparator();
  file->addAction(tr("&Export Conversation as Markdown…"), this, &MainWindow::exportConversation);
  file->addAction(tr("Export &Trace of Last Reply…"), this, &MainWindow::exportTrace);
  file->addSeparator();
  QAction* prefs = file->addAction(tr("&Settings…"), this, &MainWindow::showSettings);
  prefs->setShortcut(QKeySequence::Preferences);
  file->addSeparator();
  QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
  quit->setShortcut(QKeySequence::Quit);

  QMenu* chat = menuBar()->addMenu(tr("&Chat"));
  QAction* add = chat->addAction(tr("&New Conversation"), this, &MainWindow::newConversation);
  add->setShortcut(QKeySequence::New);
  QAction* rename = chat->addAction(tr("&Rename…"), this, [this] { renameConversation(currentId_); });
  rename->setShortcut(Qt::Key_F2);
  chat->addAction(tr("&Delete"), this, [this] { deleteConversation(currentId_); });
  chat->addAction(tr("System Prompt && &Sampling…"), this, &MainWindow::editConversationSettings);
  chat->addSeparator();
  QAction* send = chat->addAction(tr("S&end"), chat_, &ChatPanel::triggerSend);
  send->setShortcuts({QKeySequence(Qt::CTRL | Qt::Key_Return), QKeySequence(Qt::CTRL | Qt::Key_Enter)});
  QAction* stop = chat->addAction(tr("S&top"), this, &MainWindow::stopReply);
  stop->setShortcut(Qt::Key_Escape);
  chat->addAction(tr("Re&generate Last Reply"), this, [this] {
    if (const Conversation* c = currentConversation(); c && !c->messages.isEmpty())
      regenerate(static_cast<int>(c->messages.size()) - (c->messages.last().role == QLatin1String("assistant") ? 1 : 0));
  });
  QAction* find = chat->addAction(tr("&Find Conversation"), this, [this] {
    sidebar_->searchEdit()->setFocus();
    sidebar_->searchEdit()->selectAll();
  });
  find->setShortcut(QKeySequence::Find);

  viewMenu_ = menuBar()->addMenu(tr("&View"));
  for (QDockWidget* d : docks_) viewMenu_->addAction(d->toggleViewAction());
  viewMenu_->addSeparator();
  viewMenu_->addAction(tr("&Reset Panel Layout"), this, [this] {
    restoreState(defaultState_);
    for (QDockWidget* d : docks_) d->show();
  });

  QMenu* help = menuBar()->addMenu(tr("&Help"));
  help->addAction(tr("&About MoEScope"), this, [this] {
    QMessageBox::about(this, tr("About MoEScope"),
                       tr("<b>MoEScope %1</b><p>Run Mixture-of-Experts language models locally and watch the experts work.</p>")
                           .arg(QString::fromLatin1(moe::kVersion)));
  });
}

void MainWindow::rebuildRecentMenu() {
  recentMenu_->clear();
  const QStringList recent = RecentModels::list();
  for (const QString& path : recent) recentMenu_->addAction(QFileInfo(path).fileName(), this, [this, path] { openModel(path); })->setToolTip(path);
  if (recent.isEmpty()) recentMenu_->addAction(tr("(none yet)"))->setEnabled(false);
  else {
    recentMenu_->addSeparator();
    recentMenu_->addAction(tr("Clear List"), this, [this] {
      RecentModels::clear();
      rebuildRecentMenu();
    });
  }
}

void MainWindow::openModelDialog() {
  const QString dir = modelPath_.isEmpty() ? QDir::homePath() : QFileInfo(modelPath_).absolutePath();
  const QString path = QFileDialog::getOpenFileName(this, tr("Open Model"), dir, tr("GGUF models (*.gguf);;All files (*)"));
  if (!path.isEmpty()) openModel(path);
}

void MainWindow::findModels() {
  auto* dialog = new ModelLibraryDialog(this);
  dialog->setAttribute(Qt::WA_DeleteOnClose);
  connect(dialog, &ModelLibraryDialog::modelChosen, this, &MainWindow::openModel);
  dialog->open();
}

void MainWindow::showSettings() {
  SettingsDialog dialog(settings_, this);
  if (dialog.exec() != QDialog::Accepted) return;
  const AppSettings before = settings_;
  settings_ = dialog.settings();
  settings_.save();
  applySettings();
  if (modelLoaded() && (before.threads != settings_.threads || before.contextSize != settings_.contextSize || before.kvType != settings_.kvType))
    statusBar()->showMessage(tr("Engine settings apply the next time a model is loaded."), 8000);
}

void MainWindow::applySettings() {
  moe::ui::applyTheme(settings_.theme);
  for (PlotPanel* p : plotPanels()) p->applyTheme();
  refreshView();
}

void MainWindow::showError(const QString& title, const QString& message) {
  // Non-modal: the window stays usable and tests are never blocked by a dialog.
  auto* box = new QMessageBox(QMessageBox::Warning, title, message, QMessageBox::Ok, this);
  box->setAttribute(Qt::WA_DeleteOnClose);
  box->setObjectName(QStringLiteral("errorBox"));
  box->open();
}

void MainWindow::reportSaveFailure(const QString& message) {
  // The status line keeps the latest failure until something else is shown; the box (one at a
  // time, so a full disk does not stack a dialog per message) says that nothing was lost yet.
  statusBar()->showMessage(message);
  const QString title = tr("Could not save the conversation");
  for (const QMessageBox* b : findChildren<QMessageBox*>(QStringLiteral("errorBox")))
    if (b->isVisible() && b->windowTitle() == title) return;
  showError(title, tr("%1\n\nThe conversation stays open in this window and is saved again with the next "
                      "change; the copy on disk is the last one that was saved.")
                       .arg(message));
}

void MainWindow::updateActions() {
  const bool loaded = modelLoaded();
  chat_->setCanSend(loaded, tr("Open a model first (Ctrl+O)"));
  chat_->setBusy(replying());
  modelLabel_->setText(loaded ? tr("Model: %1").arg(summary_.name.isEmpty() ? QFileInfo(modelPath_).fileName() : summary_.name) : tr("No model"));
}

void MainWindow::closeEvent(QCloseEvent* event) {
  QSettings s;
  s.setValue(QStringLiteral("ui/geometry"), saveGeometry());
  s.setValue(QStringLiteral("ui/windowState"), saveState());
  if (active_) active_->stop();
  QMainWindow::closeEvent(event);
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
  const auto urls = event->mimeData()->urls();
  if (urls.size() == 1 && urls.first().isLocalFile()) {
    const QString path = urls.first().toLocalFile();
    if (path.endsWith(QLatin1String(".gguf"), Qt::CaseInsensitive) || isGgufFile(path)) event->acceptProposedAction();
  }
}

void MainWindow::dropEvent(QDropEvent* event) {
  const auto urls = event->mimeData()->urls();
  if (urls.isEmpty()) return;
  openModel(urls.first().toLocalFile());
  event->acceptProposedAction();
}

}  // namespace moe::ui

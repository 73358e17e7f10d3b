// The main window with a scripted backend: model loading, streaming into the conversation,
// keyboard, stop, regenerate / edit, errors reaching the user, persistence, layout.
#include "moe/telemetry/hub.hpp"
#include "moe/version.hpp"
#include "moe/ui/chat-panel.hpp"
#include "moe/ui/conversation-list-model.hpp"
#include "moe/ui/conversation-sidebar.hpp"
#include "moe/ui/main-window.hpp"
#include "moe/ui/markdown.hpp"
#include "moe/ui/message-view.hpp"
#include "moe/ui/model-panel.hpp"
#include "moe/ui/plot-panel.hpp"
#include "moe/ui/telemetry-hub.hpp"
#include "moe/ui/telemetry-panels.hpp"
#include "moe/ui/theme.hpp"

#include "fake-backend.hpp"
#include "file-size-limit.hpp"

#include <QClipboard>
#include <QDockWidget>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRandomGenerator>
#include <QSettings>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QtTest>

#include <cerrno>
#include <cstring>

using namespace moe::ui;

namespace {
const QString kModel = QStringLiteral(MOE_SHARED_DIR "/conformance/models/qwen2moe-q8_0.gguf");

struct Script {
  QStringList tokens{QStringLiteral("Hello"), QStringLiteral(", "), QStringLiteral("**world**"), QStringLiteral("!")};
  int delayMs = 2;
  QString loadError;
  QString generateError;
};

MainWindow::Options options(const QString& dir, Script s = {}) {
  MainWindow::Options o;
  o.conversationDir = dir;
  o.restoreLayout = false;
  o.backendFactory = [s]() -> std::unique_ptr<ChatBackend> {
    auto b = std::make_unique<ScriptedBackend>();
    b->tokens = s.tokens;
    b->tokenDelayMs = s.delayMs;
    b->loadError = s.loadError;
    b->generateError = s.generateError;
    return b;
  };
  return o;
}

QMessageBox* errorBox(QWidget& w) { return w.findChild<QMessageBox*>(QStringLiteral("errorBox")); }
}  // namespace

class TestMainWindow : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("MoEScopeTest"));
    QCoreApplication::setApplicationName(QStringLiteral("test-ui-main-window"));
    QSettings().clear();
    if (!QFile::exists(kModel)) QFAIL(qPrintable(QStringLiteral("conformance model missing: ") + kModel));
  }

  void titleStatusAndNoModel() {
    QTemporaryDir dir;
    MainWindow w(options(dir.path()));
    QVERIFY(w.windowTitle().contains(QString::fromLatin1(moe::kVersion)));
    bool kernels = false;
    for (QLabel* l : w.statusBar()->findChildren<QLabel*>()) kernels |= l->text().startsWith(QStringLiteral("Kernels: "));
    QVERIFY(kernels);
    QVERIFY(!w.modelLoaded());
    QVERIFY(!w.chatPanel()->sendButton()->isEnabled());
    QVERIFY(w.chatPanel()->sendButton()->toolTip().contains(QStringLiteral("Open a model")));
    QVERIFY(!w.sendMessage(QStringLiteral("hello")));
    QVERIFY(w.statusBar()->currentMessage().contains(QStringLiteral("Open a model")));
    QCOMPARE(w.conversations()->rowCount(), 1);  // a fresh start has one empty conversation
    for (PlotPanel* p : w.plotPanels()) QVERIFY2(!p->placeholder().isEmpty(), "empty panels say what they wait for");
  }

  void streamsReplyAndSaves() {
    QTemporaryDir dir;
    MainWindow w(options(dir.path()));
    w.show();
    QSignalSpy ready(&w, &MainWindow::modelReady);
    w.openModel(kModel);
    QVERIFY(ready.wait(5000));
    QVERIFY(w.modelLoaded());
    QVERIFY(w.modelPanel()->hasData());  // read from the GGUF file itself
    QCOMPARE(w.modelPanel()->overview().nExpert, 8);

    QSignalSpy done(&w, &MainWindow::replyDone);
    QTest::keyClicks(w.chatPanel()->composer(), QStringLiteral("What is an expert?"));
    QTest::keyClick(w.chatPanel()->composer(), Qt::Key_Return, Qt::ControlModifier);
    QVERIFY(w.replying());
    QVERIFY(w.chatPanel()->stopButton()->isEnabled());
    QVERIFY(done.wait(5000));
    QVERIFY(w.chatPanel()->composer()->toPlainText().isEmpty());
    const Conversation* c = w.currentConversation();
    QVERIFY(c);
    QCOMPARE(c->messages.size(), 2);
    QCOMPARE(c->messages[0].content, QStringLiteral("What is an expert?"));
    QCOMPARE(c->messages[1].content, QStringLiteral("Hello, **world**!"));
    QCOMPARE(c->messages[1].stats.stopReason, QStringLiteral("eos"));
    QCOMPARE(c->title, QStringLiteral("What is an expert?"));
    const QString shown = w.chatPanel()->view()->toPlainText();
    QVERIFY2(shown.contains(QStringLiteral("Hello, world!")), qPrintable(shown));  // Markdown rendered, not raw
    QVERIFY(shown.contains(QStringLiteral("decode 4 tok")));
    QVERIFY(shown.contains(QStringLiteral("stop: eos")));
    QVERIFY(w.chatPanel()->view()->toHtml().contains(QStringLiteral("act:regen:1")));

    // Persisted after the message: a fresh store sees it.
    ConversationStore store(dir.path());
    const auto loaded = store.loadAll();
    QCOMPARE(loaded.conversations.size(), 1);
    QCOMPARE(loaded.conversations.first().messages.size(), 2);
    QCOMPARE(loaded.conversations.first().messages[1].content, QStringLiteral("Hello, **world**!"));

    // The kernel panel got the token steps the backend recorded in the engine's rings (or,
    // with telemetry compiled out, says so).
    auto* kernel = qobject_cast<KernelPanel*>(w.plotPanels().at(2));
    if (moe::tel::kCompiledIn) {
      QTRY_VERIFY_WITH_TIMEOUT(kernel->hasData(), 2000);
      QTRY_VERIFY_WITH_TIMEOUT(kernel->placeholder().isEmpty(), 2000);
    } else {
      QVERIFY(kernel->placeholder().contains(QStringLiteral("compiled out")));
    }

    // Regenerate replaces the reply; edit-and-resend replaces the question and the reply.
    w.regenerate(1);
    QVERIFY(done.wait(5000));
    QCOMPARE(w.currentConversation()->messages.size(), 2);
    w.editAndResend(0, QStringLiteral("Changed question"));
    QVERIFY(done.wait(5000));
    QCOMPARE(w.currentConversation()->messages.size(), 2);
    QCOMPARE(w.currentConversation()->messages[0].content, QStringLiteral("Changed question"));
  }

  void stopWithEscape() {
    QTemporaryDir dir;
    Script s;
    s.delayMs = 20;
    for (int i = 0; i < 300; ++i) s.tokens << QStringLiteral(" x");
    MainWindow w(options(dir.path(), s));
    w.show();
    QSignalSpy ready(&w, &MainWindow::modelReady);
    w.openModel(kModel);
    QVERIFY(ready.wait(5000));
    QSignalSpy done(&w, &MainWindow::replyDone);
    QVERIFY(w.sendMessage(QStringLiteral("go on forever")));
    QTest::qWait(100);
    QTest::keyClick(w.chatPanel()->composer(), Qt::Key_Escape);
    QVERIFY(done.wait(2000));
    QCOMPARE(done.first().at(0).value<ReplyStatsValue>().stopReason, QStringLiteral("cancelled"));
    QVERIFY(w.currentConversation()->messages[1].content.size() < 300 * 2);
    QVERIFY(!w.replying());
  }

  void switchingModelOrQuittingMidReplyIsSafe() {
    QTemporaryDir dir;
    Script s;
    s.delayMs = 20;
    for (int i = 0; i < 300; ++i) s.tokens << QStringLiteral(" x");
    auto w = std::make_unique<MainWindow>(options(dir.path(), s));
    QSignalSpy ready(w.get(), &MainWindow::modelReady);
    w->openModel(kModel);
    QVERIFY(ready.wait(5000));
    QVERIFY(w->sendMessage(QStringLiteral("long story please")));
    QTest::qWait(100);
    const QString other = QStringLiteral(MOE_SHARED_DIR "/conformance/models/mixtral-q8_0.gguf");
    w->openModel(other);
    QVERIFY(ready.wait(5000));
    QCOMPARE(w->modelPath(), other);
    QVERIFY(!w->replying());
    const Message& cut = w->currentConversation()->messages.last();
    QCOMPARE(cut.stats.stopReason, QStringLiteral("cancelled"));
    QVERIFY(!cut.content.isEmpty());
    QCOMPARE(w->modelPanel()->overview().architecture, QStringLiteral("llama"));

    QVERIFY(w->sendMessage(QStringLiteral("and again")));  // the new model answers
    QTest::qWait(100);
    QElapsedTimer t;
    t.start();
    w.reset();  // quitting mid-reply cancels, then joins the worker
    QVERIFY2(t.elapsed() < 1000, qPrintable(QString::number(t.elapsed())));
    ConversationStore store(dir.path());
    const Conversation saved = store.loadAll().conversations.first();
    QCOMPARE(saved.messages.size(), 4);  // saved as far as it got
    QVERIFY(saved.messages[3].content.startsWith(QStringLiteral("Hello")));  // the scripted reply so far
    QCOMPARE(saved.messages[3].stats.stopReason, QStringLiteral("cancelled"));
  }

  void errorsReachTheUser() {
    QTemporaryDir dir;
    Script bad;
    bad.loadError = QStringLiteral("broken.gguf: tensor 'blk.0.attn_q.weight' has an unknown type 99");
    MainWindow w(options(dir.path(), bad));
    QSignalSpy failed(&w, &MainWindow::modelFailed);
    w.openModel(kModel);
    QVERIFY(failed.wait(5000));
    QVERIFY(errorBox(w));
    QCOMPARE(errorBox(w)->text(), bad.loadError);
    QVERIFY(!w.modelLoaded());
    QVERIFY(w.conversations()->rowCount() >= 1);  // still usable

    QTemporaryDir dir2;
    Script s;
    s.generateError = QStringLiteral("context is full (4096 tokens)");
    MainWindow w2(options(dir2.path(), s));
    QSignalSpy ready(&w2, &MainWindow::modelReady);
    w2.openModel(kModel);
    QVERIFY(ready.wait(5000));
    QSignalSpy replyFailed(&w2, &MainWindow::replyFailed);
    QVERIFY(w2.sendMessage(QStringLiteral("hi")));
    QVERIFY(replyFailed.wait(5000));
    QCOMPARE(w2.currentConversation()->messages[1].error, s.generateError);
    QVERIFY(w2.chatPanel()->view()->toPlainText().contains(s.generateError));
    QVERIFY(w2.statusBar()->currentMessage().contains(s.generateError));

    // A file that is not GGUF: the reader's own message is shown by the model panel.
    QFile junk(dir.filePath(QStringLiteral("junk.gguf")));
    QVERIFY(junk.open(QIODevice::WriteOnly));
    junk.write(QByteArray(256, 'z'));
    junk.close();
    QString why;
    QVERIFY(!w.modelPanel()->setModelFile(junk.fileName(), &why));
    QVERIFY2(why.contains(QStringLiteral("junk.gguf")), qPrintable(why));
  }

  void damagedConversationAtStartup() {
    QTemporaryDir dir;
    {
      ConversationStore store(dir.path());
      store.save(Conversation::create(QStringLiteral("intact"), {}));
    }
    QFile bad(dir.filePath(QStringLiteral("damaged.json")));
    QVERIFY(bad.open(QIODevice::WriteOnly));
    bad.write("{ not json");
    bad.close();
    MainWindow w(options(dir.path()));
    QCOMPARE(w.startupProblems().size(), 1);
    QVERIFY(w.conversations()->find(w.conversations()->index(0).data(ConversationListModel::IdRole).toString()));
    QCOMPARE(w.conversations()->index(0).data().toString(), QStringLiteral("intact"));
    QVERIFY(w.statusBar()->currentMessage().contains(QStringLiteral("damaged")));
    QVERIFY(errorBox(w) && errorBox(w)->text().contains(QStringLiteral("damaged.json")));
    QCOMPARE(QDir(dir.path()).entryList({QStringLiteral("damaged.json.corrupt-*")}).size(), 1);
  }

  // The disk fills up during a chat: one box (not one per failed save) names the conversation and
  // the system's reason, the file on disk stays the last good one, and the chat goes on.
  void diskFullWhileSavingReachesTheUser() {
    QTemporaryDir dir;
    MainWindow w(options(dir.path()));
    QSignalSpy ready(&w, &MainWindow::modelReady);
    w.openModel(kModel);
    QVERIFY(ready.wait(5000));
    const QString path = w.conversations()->store().pathFor(w.currentConversation()->id);
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray before = f.readAll();
    f.close();

    QSignalSpy done(&w, &MainWindow::replyDone);
    {
      FileSizeLimit full(static_cast<rlim_t>(before.size()) + 16);
      QVERIFY(full.ok());
      QVERIFY(w.sendMessage(QStringLiteral("a question that no longer fits on the disk")));
      QVERIFY(done.wait(5000));  // two failed saves: the question, then the reply
    }
    int boxes = 0;
    for (QMessageBox* b : w.findChildren<QMessageBox*>(QStringLiteral("errorBox"))) {
      if (b->windowTitle() != QStringLiteral("Could not save the conversation")) continue;
      ++boxes;
      QVERIFY(b->isVisible());
      QVERIFY2(b->text().contains(QString::fromLocal8Bit(std::strerror(EFBIG)), Qt::CaseInsensitive), qPrintable(b->text()));
      QVERIFY(b->text().contains(QStringLiteral("Could not save \"")));
    }
    QCOMPARE(boxes, 1);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), before);
    f.close();
    QCOMPARE(w.currentConversation()->messages.size(), 2);  // nothing lost in the window

    QVERIFY(w.sendMessage(QStringLiteral("and now?")));  // space again: the next save writes all
    QVERIFY(done.wait(5000));
    const auto loaded = ConversationStore(dir.path()).loadAll();
    QCOMPARE(loaded.conversations.size(), 1);
    QCOMPARE(loaded.conversations.first().messages.size(), 4);
  }

  void searchFiltersConversations() {
    QTemporaryDir dir;
    MainWindow w(options(dir.path()));
    Conversation a = Conversation::create(QStringLiteral("Rust lifetimes"), {});
    Conversation b = Conversation::create(QStringLiteral("Cooking"), {});
    b.messages.push_back({QStringLiteral("user"), QStringLiteral("how long to boil an egg"), {}, {}, {}});
    w.conversations()->add(a);
    w.conversations()->add(b);
    QListView* list = w.sidebar()->listView();
    const int all = list->model()->rowCount();
    QCOMPARE(all, 3);
    QTest::keyClick(&w, Qt::Key_F, Qt::ControlModifier);
    QTest::keyClicks(w.sidebar()->searchEdit(), QStringLiteral("EGG"));  // message text, any case
    QCOMPARE(list->model()->rowCount(), 1);
    QCOMPARE(list->model()->index(0, 0).data().toString(), QStringLiteral("Cooking"));
    w.sidebar()->searchEdit()->clear();
    QCOMPARE(list->model()->rowCount(), all);
    QTest::keyClick(&w, Qt::Key_N, Qt::ControlModifier);  // Ctrl+N reuses the empty one at the top
    QCOMPARE(w.conversations()->rowCount(), 3);
  }

  void dockLayoutIsRemembered() {
    QTemporaryDir dir;
    MainWindow::Options o = options(dir.path());
    o.restoreLayout = true;
    {
      MainWindow w(o);
      w.show();
      auto* dock = w.findChild<QDockWidget*>(QStringLiteral("cacheDock"));
      QVERIFY(dock && dock->isVisible());
      dock->close();
      w.close();  // saves the state
    }
    MainWindow again(o);
    again.show();
    QVERIFY(!again.findChild<QDockWidget*>(QStringLiteral("cacheDock"))->isVisible());
    QVERIFY(again.findChild<QDockWidget*>(QStringLiteral("routingDock"))->isVisible());
  }

  void markdownReplyScreenshot_data() {
    QTest::addColumn<QString>("theme");
    QTest::newRow("light") << QStringLiteral("light");
    QTest::newRow("dark") << QStringLiteral("dark");
  }
  void markdownReplyScreenshot() {
    QFETCH(QString, theme);
    applyTheme(themeFromName(theme));
    QTemporaryDir dir;
    Script s;
    s.delayMs = 0;
    s.tokens = {QStringLiteral("## Mixture of experts\n\nA **router** picks the top-k experts per token:\n\n"),
                QStringLiteral("1. score every expert\n2. keep the best *k*\n3. mix their outputs\n\n"),
                QStringLiteral("```cpp\nauto ids = top_k(softmax(router(x)), k);\nfor (int e : ids) y += w[e] * expert[e](x);\n```\n"),
                QStringLiteral("Only `k` of the experts run, so compute stays small.")};
    MainWindow w(options(dir.path(), s));
    w.resize(1600, 1000);
    w.show();
    QSignalSpy ready(&w, &MainWindow::modelReady);
    w.openModel(kModel);
    QVERIFY(ready.wait(5000));
    QSignalSpy done(&w, &MainWindow::replyDone);
    QVERIFY(w.sendMessage(QStringLiteral("How does a mixture-of-experts layer work? Show code.")));
    QVERIFY(done.wait(5000));
    const QString html = w.chatPanel()->view()->toHtml();
    QVERIFY(html.contains(QStringLiteral("copy:1:0")));  // the code block's copy link
    w.chatPanel()->view()->anchorClicked(QUrl(QStringLiteral("copy:1:0")));
    QCOMPARE(QGuiApplication::clipboard()->text(), QStringLiteral("auto ids = top_k(softmax(router(x)), k);\nfor (int e : ids) y += w[e] * expert[e](x);"));
    QTest::qWait(100);
    QDir().mkpath(QStringLiteral(MOE_BINARY_DIR "/screenshots"));
    QVERIFY(w.grab().save(QStringLiteral(MOE_BINARY_DIR "/screenshots/chat-markdown-%1.png").arg(theme)));
    applyTheme(Theme::light);
  }

  void panelsDrawSyntheticTelemetry() {
    // What the panels show for a reply: engine records fed by hand, where the engine puts them.
    if (!moe::tel::kCompiledIn) QSKIP("telemetry compiled out (MOESCOPE_METRICS=OFF): the panels get no records");
    moe::tel::Hub::instance().set_enabled(true);
    QTemporaryDir dir;
    MainWindow w(options(dir.path()));
    w.resize(1600, 1000);
    w.show();
    const int layers = 24, experts = 60;
    w.telemetry()->reset(layers, experts);
    QRandomGenerator rng(7);
    uint64_t t = moe::tel::now_ns();
    auto cache = [&](moe::tel::CacheAction a, int layer, int expert) {
      moe::tel::Event e{};
      e.kind = moe::tel::EventKind::cache;
      e.cache = moe::tel::CacheEvent{t, 0, 0, static_cast<uint16_t>(layer), static_cast<uint16_t>(expert), a};
      moe::tel::Hub::instance().record(e);
    };
    auto span = [&](moe::tel::OpKind op, double us) {
      const auto d = static_cast<uint64_t>(us * 1000.0);
      moe::tel::record_span(op, 0, t, t + d);
      t += d;
    };
    for (uint32_t pos = 0; pos < 96; ++pos) {
      const uint64_t start = t;
      for (uint16_t l = 0; l < layers; ++l) {
        int32_t picked[4];
        const float weights[4] = {0.25f, 0.25f, 0.25f, 0.25f};
        for (int i = 0; i < 4; ++i) {
          // A few popular experts per layer, like real routers.
          picked[i] = rng.bounded(4) == 0 ? rng.bounded(experts) : (l * 7 + i * 3 + rng.bounded(3)) % experts;
          ++t;
          cache(rng.bounded(10) < 7 + std::min(static_cast<int>(pos) / 40, 2) ? moe::tel::CacheAction::hit : moe::tel::CacheAction::miss, l, picked[i]);
        }
        moe::tel::record_routing(pos, l, picked, weights, 4, 0, 0);
        if (rng.bounded(5) == 0) cache(moe::tel::CacheAction::eviction, l, rng.bounded(experts));
      }
      span(moe::tel::OpKind::attention, 900.0 + rng.bounded(200));
      span(moe::tel::OpKind::router, 60.0);
      span(moe::tel::OpKind::expert_ffn, 2500.0 + rng.bounded(900));
      span(moe::tel::OpKind::shared_expert, 400.0);
      span(moe::tel::OpKind::norm, 50.0);
      span(moe::tel::OpKind::output_head, 300.0);
      moe::tel::record_token(pos, 1, false, 1, start, t);
      t += 1000;
    }
    w.telemetry()->drainNow();
    QCOMPARE(w.telemetry()->routing()->n_layers(), layers);
    QCOMPARE(w.telemetry()->kernels().rows().size(), size_t(96));
    for (PlotPanel* p : w.plotPanels()) {
      QVERIFY2(p->hasData(), qPrintable(p->title()));
      QVERIFY(p->placeholder().isEmpty());
    }
    QTest::qWait(100);
    QDir().mkpath(QStringLiteral(MOE_BINARY_DIR "/screenshots"));
    QVERIFY(w.grab().save(QStringLiteral(MOE_BINARY_DIR "/screenshots/panels-synthetic-telemetry.png")));
  }

  void markdownRendering() {
    const ThemeColors c = themeColors();
    const QString md = QStringLiteral("# Title\nSome **bold** and `code`.\n\n- one\n- two\n\n```python\nprint('<hi>')\n```\ntail");
    const QString html = markdownToHtml(md, QStringLiteral("3"), c);
    QVERIFY(html.contains(QStringLiteral("<b>bold</b>")));
    QVERIFY(html.contains(QStringLiteral("<li>one</li>")));
    QVERIFY(html.contains(QStringLiteral("print(&#39;&lt;hi&gt;&#39;)")) || html.contains(QStringLiteral("print('&lt;hi&gt;')")));
    QVERIFY(html.contains(QStringLiteral("href=\"copy:3:0\"")));
    QVERIFY(html.contains(QStringLiteral(">python<")));
    QCOMPARE(codeBlocks(md), QStringList{QStringLiteral("print('<hi>')")});
    QCOMPARE(codeBlocks(QStringLiteral("```\nstreaming")), QStringList{QStringLiteral("streaming")});
  }
};

QTEST_MAIN(TestMainWindow)
#include "test-ui-main-window.moc"

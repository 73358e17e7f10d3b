// Per-token routing in the window, with known routing events fed where the engine records
// them: a heatmap click highlights exactly the tokens routed to that cell, a click on a word
// shows its experts per layer, the trace CSV carries token texts, and inline editing
// replaces the history and saves it.
#include "moe/telemetry/hub.hpp"
#include "moe/ui/chat-panel.hpp"
#include "moe/ui/conversation-store.hpp"
#include "moe/ui/main-window.hpp"
#include "moe/ui/message-view.hpp"
#include "moe/ui/reply-routing.hpp"
#include "moe/ui/telemetry-hub.hpp"
#include "moe/ui/telemetry-panels.hpp"
#include "moe/ui/theme.hpp"
#include "moe/ui/token-routing-view.hpp"

#include "fake-backend.hpp"

#include <QDockWidget>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

#include <map>
#include <set>

using namespace moe::ui;

namespace {
const QString kModel = QStringLiteral(MOE_SHARED_DIR "/conformance/models/qwen2moe-q8_0.gguf");

// The scripted backend's model has 2 layers x 4 experts, top-2. One user message makes
// prompt position 0; the reply's tokens are positions 1..4.
const QStringList kTokens{QStringLiteral("Alpha"), QStringLiteral(" \"be,ta\""), QStringLiteral(" gamma"), QStringLiteral(" delta")};
struct Pick { int experts[2]; float weights[2]; };
// routing[position][layer]
const std::map<int, std::array<Pick, 2>> kRouting{
    {0, {{{{2, 3}, {0.5f, 0.5f}}, {{0, 1}, {0.5f, 0.5f}}}}},
    {1, {{{{0, 1}, {0.75f, 0.25f}}, {{2, 3}, {0.625f, 0.375f}}}}},
    {2, {{{{2, 3}, {0.5f, 0.5f}}, {{0, 3}, {0.875f, 0.125f}}}}},
    {3, {{{{2, 0}, {0.75f, 0.25f}}, {{1, 2}, {0.5f, 0.5f}}}}},
    {4, {{{{1, 3}, {0.5f, 0.5f}}, {{0, 2}, {0.5f, 0.5f}}}}},
};

void recordRouting(int position) {
  const auto it = kRouting.find(position);
  if (it == kRouting.end()) return;
  for (uint16_t layer = 0; layer < 2; ++layer) {
    const Pick& p = it->second[layer];
    const int32_t experts[2] = {p.experts[0], p.experts[1]};
    moe::tel::record_routing(static_cast<uint32_t>(position), layer, experts, p.weights, 2, 0, 0);
  }
}

MainWindow::Options options(const QString& dir) {
  MainWindow::Options o;
  o.conversationDir = dir;
  o.restoreLayout = false;
  o.backendFactory = []() -> std::unique_ptr<ChatBackend> {
    auto b = std::make_unique<ScriptedBackend>();
    b->tokens = kTokens;
    b->tokenDelayMs = 2;
    b->beforeToken = [](int position) {
      if (position == 1) recordRouting(0);  // the prompt's routing comes first, as in prefill
      recordRouting(position);
    };
    return b;
  };
  return o;
}

// Loads the scripted model and sends one message; returns when the reply is done.
bool chatOnce(MainWindow& w, const QString& text) {
  if (!w.modelLoaded()) {
    QSignalSpy ready(&w, &MainWindow::modelReady);
    w.openModel(kModel);
    if (!ready.wait(5000)) return false;
  }
  QSignalSpy done(&w, &MainWindow::replyDone);
  if (!w.sendMessage(text)) return false;
  if (!done.wait(5000)) return false;
  w.telemetry()->drainNow();
  return true;
}

// Routing reaches the window only through the engine's telemetry stream.
#define REQUIRE_TELEMETRY() \
  if (!moe::tel::kCompiledIn) QSKIP("telemetry compiled out (MOESCOPE_METRICS=OFF): no routing is recorded")

// The document text of each extra selection with the given background.
QStringList marked(const MessageView* v, const QColor& background) {
  QStringList out;
  for (const auto& sel : v->extraSelections()) {
    if (sel.format.background().color() == background) out << sel.cursor.selectedText();
  }
  return out;
}

QPoint wordCenter(MessageView* v, const QString& word) {
  const QTextCursor found = v->document()->find(word);
  QTextCursor mid(v->document());
  mid.setPosition(found.selectionStart() + 1);
  return v->cursorRect(mid).center();
}
}  // namespace

class TestTokenRouting : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("MoEScopeTest"));
    QCoreApplication::setApplicationName(QStringLiteral("test-ui-token-routing"));
    QSettings().clear();
    if (!QFile::exists(kModel)) QFAIL(qPrintable(QStringLiteral("conformance model missing: ") + kModel));
    moe::tel::Hub::instance().set_enabled(true);
  }

  void replyRoutingRecord() {
    ReplyRouting r(2, 4);
    r.setPromptTexts({QStringLiteral("Hi")});
    r.addSpans({{1, 0, 5}, {2, 5, 8}, {3, 13, 0}, {4, 13, 6}});  // position 3 released no text
    r.setReplyText(QStringLiteral("Alpha \"be,ta\" gamma"));
    moe::tel::RoutingEvent e{};
    e.position = 2;
    e.layer = 1;
    e.k = 2;
    e.experts[0] = 3;
    e.experts[1] = 0;
    e.weights[0] = 0.25f;
    e.weights[1] = 0.75f;
    r.addRouting(e);
    QCOMPARE(r.tokenText(0), QStringLiteral("Hi"));
    QCOMPARE(r.tokenText(2), QStringLiteral(" \"be,ta\""));
    QCOMPARE(r.tokenText(4), QStringLiteral(" gamma"));
    QCOMPARE(r.tokenText(9), QString());
    QCOMPARE(r.spanAt(0)->position, 1);
    QCOMPARE(r.spanAt(12)->position, 2);
    QCOMPARE(r.spanAt(13)->position, 4);  // not the empty span at the same offset
    QVERIFY(!r.spanAt(19));
    QCOMPARE(r.spansRoutedTo(1, 0), QList<TokenSpan>({{2, 5, 8}}));
    QVERIFY(r.spansRoutedTo(0, 0).isEmpty());
    const auto picks = r.picksAt(2);
    QCOMPARE(picks.size(), 1);
    QCOMPARE(picks[0].layer, 1);
    QCOMPARE(picks[0].experts[0].first, 0);  // heaviest first
    QCOMPARE(picks[0].experts[0].second, 0.75f);
  }

  void heatmapClickHighlightsRoutedTokens_data() {
    QTest::addColumn<QString>("theme");
    QTest::newRow("light") << QStringLiteral("light");
    QTest::newRow("dark") << QStringLiteral("dark");
  }
  void heatmapClickHighlightsRoutedTokens() {
    REQUIRE_TELEMETRY();
    QFETCH(QString, theme);
    applyTheme(themeFromName(theme));
    QTemporaryDir dir;
    MainWindow w(options(dir.path()));
    w.resize(1600, 1000);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QVERIFY(chatOnce(w, QStringLiteral("Name four letters")));
    QVERIFY(w.lastReplyRouting());
    RoutingPanel* panel = w.routingPanel();
    panel->refresh();
    QVERIFY(panel->hasData());
        MessageView* view = w.chatPanel()->view();
    const QColor routed = themeColors().routedToken;

    // Hovering tells the count and share: expert 0 took 2 of layer 0's 10 picks (5 positions, top-2).
    QVERIFY2(panel->toolTipAt(panel->cellCenter(0, 0)).startsWith(QStringLiteral("Layer 0, expert 0: chosen 2 times (20.0% of the layer's picks")),
             qPrintable(panel->toolTipAt(panel->cellCenter(0, 0))));
    // Layer 0, expert 0: positions 1 ("Alpha") and 3 (" gamma").
    QSignalSpy cells(panel, &RoutingPanel::cellSelected);
    QTest::mouseClick(panel->plotWidget(), Qt::LeftButton, {}, panel->cellCenter(0, 0));
    QCOMPARE(cells.size(), 1);
    QCOMPARE(cells.last().at(0).toInt(), 0);
    QCOMPARE(cells.last().at(1).toInt(), 0);
    QCOMPARE(marked(view, routed), QStringList({QStringLiteral("Alpha"), QStringLiteral(" gamma")}));
    QList<int> positions;
    for (const auto& [index, span] : view->highlightedSpans()) positions << span.position;
    QCOMPARE(positions, QList<int>({1, 3}));

    // Layer 1, expert 0: positions 2 (" "be,ta"") and 4 (" delta"); the prompt's pick is no reply token.
    QTest::mouseClick(panel->plotWidget(), Qt::LeftButton, {}, panel->cellCenter(1, 0));
    QCOMPARE(marked(view, routed), QStringList({QStringLiteral(" \"be,ta\""), QStringLiteral(" delta")}));

    // The selection shows while both marks are on, in light and dark.
    QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, wordCenter(view, QStringLiteral("delta")));
    QTest::qWait(50);
    QDir().mkpath(QStringLiteral(MOE_BINARY_DIR "/screenshots"));
    QVERIFY(w.grab().save(QStringLiteral(MOE_BINARY_DIR "/screenshots/token-routing-%1.png").arg(theme)));

    // Clicking the selected cell again clears.
    QTest::mouseClick(panel->plotWidget(), Qt::LeftButton, {}, panel->cellCenter(1, 0));
    QCOMPARE(cells.last().at(0).toInt(), -1);
    QVERIFY(marked(view, routed).isEmpty());
    QCOMPARE(panel->selectedLayer(), -1);

    // A click in the chat beside every token clears the highlight and the heatmap's cell.
    QTest::mouseClick(panel->plotWidget(), Qt::LeftButton, {}, panel->cellCenter(0, 2));
    QCOMPARE(marked(view, routed), QStringList({QStringLiteral(" \"be,ta\""), QStringLiteral(" gamma")}));
    QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, QPoint(view->viewport()->width() - 5, view->viewport()->height() - 5));
    QVERIFY(marked(view, routed).isEmpty());
    QCOMPARE(panel->selectedLayer(), -1);
    applyTheme(Theme::light);
  }

  void tokenClickShowsExpertsPerLayer() {
    REQUIRE_TELEMETRY();
    QTemporaryDir dir;
    MainWindow w(options(dir.path()));
    w.resize(1600, 1000);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QVERIFY(chatOnce(w, QStringLiteral("Name four letters")));
    MessageView* view = w.chatPanel()->view();
    QSignalSpy selected(view, &MessageView::tokenSelected);
    QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, wordCenter(view, QStringLiteral("gamma")));
    QCOMPARE(selected.size(), 1);
    QCOMPARE(selected.last().at(1).toInt(), 3);
    QCOMPARE(marked(view, themeColors().selectedToken), QStringList({QStringLiteral(" gamma")}));
    TokenRoutingView* tv = w.tokenRoutingView();
    QVERIFY(tv->isVisible());  // its dock was raised
    QCOMPARE(tv->position(), 3);
    QVERIFY(tv->header()->text().contains(QStringLiteral("gamma")));
    QTableWidget* t = tv->table();
    QCOMPARE(t->rowCount(), 2);
    // Position 3: layer 0 -> 2 (0.75), 0 (0.25); layer 1 -> 1 (0.5), 2 (0.5), heaviest first.
    QCOMPARE(t->item(0, 0)->text(), QStringLiteral("0"));
    QCOMPARE(t->item(0, 1)->text(), QStringLiteral("E2  0.750"));
    QCOMPARE(t->item(0, 2)->text(), QStringLiteral("E0  0.250"));
    QCOMPARE(t->item(1, 0)->text(), QStringLiteral("1"));
    QCOMPARE(t->item(1, 1)->text(), QStringLiteral("E1  0.500"));
    QCOMPARE(t->item(1, 2)->text(), QStringLiteral("E2  0.500"));

    // Another word, then a click beside the text clears the selection and the table.
    QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, wordCenter(view, QStringLiteral("Alpha")));
    QCOMPARE(selected.last().at(1).toInt(), 1);
    QCOMPARE(t->item(0, 1)->text(), QStringLiteral("E0  0.750"));
    QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, QPoint(view->viewport()->width() - 5, view->viewport()->height() - 5));
    QCOMPARE(selected.last().at(0).toInt(), -1);
    QCOMPARE(t->rowCount(), 0);
    QVERIFY(marked(view, themeColors().selectedToken).isEmpty());
  }

  void traceCsvHasTokenTexts() {
    REQUIRE_TELEMETRY();
    QTemporaryDir dir;
    MainWindow w(options(dir.path()));
    QVERIFY(chatOnce(w, QStringLiteral("Name four letters")));
    QString csvPath, error;
    QVERIFY2(w.exportTraceFiles(dir.filePath(QStringLiteral("t.json")), &csvPath, &error), qPrintable(error));
    QCOMPARE(csvPath, dir.filePath(QStringLiteral("t-routing.csv")));
    QFile f(csvPath);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QStringList lines = QString::fromUtf8(f.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(lines.value(0), QStringLiteral("position,layer,token,experts,weights"));
    QCOMPARE(lines.size(), 1 + 5 * 2);  // positions 0..4 x 2 layers
    // The prompt token is the user's message (the scripted backend's prompt piece); quotes
    // are doubled inside a quoted field, so the comma in the token does not split it.
    QVERIFY(lines.contains(QStringLiteral("0,0,\"Name four letters\",2;3,0.5;0.5")));
    QVERIFY(lines.contains(QStringLiteral("1,0,\"Alpha\",0;1,0.75;0.25")));
    QVERIFY(lines.contains(QStringLiteral("1,1,\"Alpha\",2;3,0.625;0.375")));
    QVERIFY2(lines.contains(QStringLiteral("2,1,\" \"\"be,ta\"\"\",0;3,0.875;0.125")), qPrintable(lines.join(QLatin1Char('\n'))));
    QVERIFY(lines.contains(QStringLiteral("4,1,\" delta\",0;2,0.5;0.5")));
  }

  void inlineEditReplacesHistoryAndSaves() {
    QTemporaryDir dir;
    MainWindow w(options(dir.path()));
    w.resize(1400, 900);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QVERIFY(chatOnce(w, QStringLiteral("First question")));
    QVERIFY(chatOnce(w, QStringLiteral("Second question")));
    QCOMPARE(w.currentConversation()->messages.size(), 4);
    MessageView* view = w.chatPanel()->view();

    // "Edit and resend" on the first message: a text box in place, no dialog.
    view->anchorClicked(QUrl(QStringLiteral("act:edit:0")));
    QCOMPARE(view->editingIndex(), 0);
    auto* frame = view->viewport()->findChild<QWidget*>(QStringLiteral("inlineEditor"));
    QVERIFY(frame && frame->isVisible());
    QCOMPARE(view->editor()->toPlainText(), QStringLiteral("First question"));
    QVERIFY(QApplication::activeModalWidget() == nullptr);
    // It sits where the first message is: below the "You" header, above the first reply.
    const QTextCursor you = view->document()->find(QStringLiteral("You"));
    const QTextCursor reply = view->document()->find(QStringLiteral("Alpha"));
    QVERIFY(frame->geometry().top() >= view->cursorRect(you).bottom());
    QVERIFY(frame->geometry().bottom() <= view->cursorRect(reply).top());
    QVERIFY(!view->toPlainText().contains(QStringLiteral("First question")));
    QTest::qWait(50);
    QCOMPARE(view->toPlainText().count(QStringLiteral("Second question")), 1);  // rendered once
    QDir().mkpath(QStringLiteral(MOE_BINARY_DIR "/screenshots"));
    QVERIFY(w.grab().save(QStringLiteral(MOE_BINARY_DIR "/screenshots/inline-edit.png")));

    // Cancel (Esc) keeps the message as it was.
    QTest::keyClick(view->editor(), Qt::Key_Escape);
    QCOMPARE(view->editingIndex(), -1);
    QVERIFY(!frame->isVisible());
    QVERIFY(view->toPlainText().contains(QStringLiteral("First question")));
    QCOMPARE(w.currentConversation()->messages.size(), 4);

    // Edit again and send: later messages are dropped, a new reply follows, all saved.
    view->anchorClicked(QUrl(QStringLiteral("act:edit:0")));
    view->editor()->selectAll();
    QTest::keyClicks(view->editor(), QStringLiteral("Changed question"));
    QSignalSpy done(&w, &MainWindow::replyDone);
    QTest::mouseClick(frame->findChild<QPushButton*>(QStringLiteral("inlineEditorSend")), Qt::LeftButton);
    QVERIFY(done.wait(5000));
    const Conversation* c = w.currentConversation();
    QCOMPARE(c->messages.size(), 2);
    QCOMPARE(c->messages[0].content, QStringLiteral("Changed question"));
    QCOMPARE(c->messages[1].content, kTokens.join(QString()));
    QVERIFY(!frame->isVisible());
    ConversationStore store(dir.path());
    const auto loaded = store.loadAll();
    QCOMPARE(loaded.conversations.size(), 1);
    QCOMPARE(loaded.conversations[0].messages.size(), 2);
    QCOMPARE(loaded.conversations[0].messages[0].content, QStringLiteral("Changed question"));
  }

  void inlineEditWithoutModelKeepsTheEdit() {
    QTemporaryDir dir;
    Conversation saved = Conversation::create(QStringLiteral("Saved"), SamplingSettings{});
    saved.messages.push_back({QStringLiteral("user"), QStringLiteral("Old question"), {}, {}, {}});
    saved.messages.push_back({QStringLiteral("assistant"), QStringLiteral("Old answer"), {}, {}, {}});
    QVERIFY(ConversationStore(dir.path()).save(saved));
    MainWindow w(options(dir.path()));
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    MessageView* view = w.chatPanel()->view();
    QCOMPARE(view->conversation().messages.size(), 2);
    view->anchorClicked(QUrl(QStringLiteral("act:edit:0")));
    view->editor()->selectAll();
    QTest::keyClicks(view->editor(), QStringLiteral("New question"));
    QTest::keyClick(view->editor(), Qt::Key_Return, Qt::ControlModifier);  // Ctrl+Enter sends
    // No model to answer: the edit stays open with the text, the history is untouched.
    QCOMPARE(view->editingIndex(), 0);
    QCOMPARE(view->editor()->toPlainText(), QStringLiteral("New question"));
    QCOMPARE(w.currentConversation()->messages.size(), 2);
    QCOMPARE(w.currentConversation()->messages[0].content, QStringLiteral("Old question"));
  }
};

QTEST_MAIN(TestTokenRouting)
#include "test-ui-token-routing.moc"

// moescope: the desktop app. `--screenshot OUT.png` and `--selftest` run one reply unattended.
#include "moe/version.hpp"

#include "moe/ui/app-icon.hpp"
#include "moe/ui/app-settings.hpp"
#include "moe/ui/auto-run.hpp"
#include "moe/ui/main-window.hpp"
#include "moe/ui/theme.hpp"

#include <QApplication>
#include <QCoreApplication>
#include <QCommandLineParser>
#include <QFileInfo>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdio>

namespace {

// Beside the executable (share/ next to bin/: the .deb and the portable .tar.gz), then the
// source tree, then the configured install prefix.
QString defaultModelPath() {
  const QString beside = QCoreApplication::applicationDirPath() + QStringLiteral("/../share/moescope/models/") +
                         QFileInfo(QString::fromUtf8(MOESCOPE_DEFAULT_MODEL_INSTALLED)).fileName();
  if (QFileInfo::exists(beside)) return QFileInfo(beside).canonicalFilePath();
  for (const char* candidate : {MOESCOPE_DEFAULT_MODEL_SOURCE, MOESCOPE_DEFAULT_MODEL_INSTALLED}) {
    const QString p = QString::fromUtf8(candidate);
    if (QFileInfo::exists(p)) return p;
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  // --version must work without a display.
  for (int i = 1; i < argc; ++i) {
    if (qstrcmp(argv[i], "--version") == 0) {
      std::printf("moescope %s\n", moe::kVersion);
      return 0;
    }
  }
  QApplication::setHighDpiScaleFactorRoundingPolicy(Qt::HighDpiScaleFactorRoundingPolicy::PassThrough);
  QApplication app(argc, argv);
  QApplication::setApplicationName(QStringLiteral("MoEScope"));
  QApplication::setOrganizationName(QStringLiteral("MoEScope"));
  QApplication::setApplicationVersion(QString::fromLatin1(moe::kVersion));
  QApplication::setWindowIcon(moe::ui::appIcon());

  QCommandLineParser parser;
  parser.setApplicationDescription(QStringLiteral("Chat with Mixture-of-Experts models and watch the experts work"));
  parser.addHelpOption();
  parser.addVersionOption();
  parser.addPositionalArgument(QStringLiteral("model"), QStringLiteral("GGUF model to open"));
  const QCommandLineOption modelOpt(QStringLiteral("model"), QStringLiteral("GGUF model for --screenshot/--selftest (default: the bundled demo model)"), QStringLiteral("path"));
  const QCommandLineOption shotOpt(QStringLiteral("screenshot"), QStringLiteral("Load the model, run one reply, save a picture of the window, exit"), QStringLiteral("out.png"));
  const QCommandLineOption selftestOpt(QStringLiteral("selftest"), QStringLiteral("Same as --screenshot without saving; exit 0 on success"));
  const QCommandLineOption promptOpt(QStringLiteral("prompt"), QStringLiteral("Prompt for --screenshot/--selftest"), QStringLiteral("text"));
  const QCommandLineOption maxTokensOpt(QStringLiteral("max-tokens"), QStringLiteral("Reply length for --screenshot/--selftest (default 48)"), QStringLiteral("n"));
  const QCommandLineOption themeOpt(QStringLiteral("theme"), QStringLiteral("light, dark or system (overrides the setting for this run)"), QStringLiteral("name"));
  const QCommandLineOption highlightOpt(
      QStringLiteral("highlight"),
      QStringLiteral("For --screenshot: highlight the reply's tokens routed to EXPERT in LAYER (EXPERT 'top': the busiest one)"),
      QStringLiteral("layer,expert"));
  const QCommandLineOption selectTokenOpt(QStringLiteral("select-token"),
                                          QStringLiteral("For --screenshot: select the reply's n-th word token (0 = first) and show its experts"),
                                          QStringLiteral("n"));
  parser.addOptions({modelOpt, shotOpt, selftestOpt, promptOpt, maxTokensOpt, themeOpt, highlightOpt, selectTokenOpt});
  parser.process(app);

  const bool automatic = parser.isSet(shotOpt) || parser.isSet(selftestOpt);
  const QStringList args = parser.positionalArguments();
  QString model = parser.value(modelOpt);
  if (model.isEmpty() && !args.isEmpty()) model = args.first();
  if (model.isEmpty()) model = defaultModelPath();  // the bundled demo model

  moe::ui::Theme theme = moe::ui::AppSettings::load().theme;
  if (parser.isSet(themeOpt)) theme = moe::ui::themeFromName(parser.value(themeOpt));
  moe::ui::applyTheme(theme);

  // Unattended runs keep their conversation out of the user's history and use the default layout.
  QTemporaryDir scratch;
  moe::ui::MainWindow::Options options;
  if (automatic) {
    options.conversationDir = scratch.path();
    options.restoreLayout = false;
  }
  moe::ui::MainWindow window(options);

  if (automatic) {
    if (model.isEmpty()) {
      std::fprintf(stderr, "moescope: no model given and the bundled demo model was not found\n");
      return 2;
    }
    window.resize(1600, 1000);
    window.show();
    moe::ui::AutoRun::Options ao;
    ao.modelPath = model;
    ao.screenshotPath = parser.value(shotOpt);
    if (parser.isSet(promptOpt)) ao.prompt = parser.value(promptOpt);
    if (parser.isSet(maxTokensOpt)) ao.maxTokens = std::max(1, parser.value(maxTokensOpt).toInt());
    if (parser.isSet(highlightOpt)) {
      const QStringList cell = parser.value(highlightOpt).split(QLatin1Char(','));
      bool okLayer = false, okExpert = false;
      ao.highlightLayer = cell.value(0).toInt(&okLayer);
      ao.highlightExpert = cell.value(1) == QLatin1String("top") ? (okExpert = true, -2) : cell.value(1).toInt(&okExpert);
      if (!okLayer || !okExpert || ao.highlightLayer < 0 || ao.highlightExpert < -2) {
        std::fprintf(stderr, "moescope: --highlight wants LAYER,EXPERT (e.g. 3,top or 3,17)\n");
        return 2;
      }
    }
    if (parser.isSet(selectTokenOpt)) ao.selectToken = std::max(0, parser.value(selectTokenOpt).toInt());
    moe::ui::AutoRun run(&window, ao);
    int code = 1;
    QObject::connect(&run, &moe::ui::AutoRun::finished, &app, [&code](int exitCode, const QString& message) {
      code = exitCode;
      std::fprintf(exitCode == 0 ? stdout : stderr, "moescope: %s\n", message.toUtf8().constData());
      QApplication::exit(exitCode);
    });
    run.start();
    QApplication::exec();
    return code;
  }

  window.show();
  if (!model.isEmpty()) window.openModel(model);
  return QApplication::exec();
}

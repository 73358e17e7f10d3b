// moescope: the desktop app.
#include "moe/version.hpp"
#include "moe/ui/main-window.hpp"

#include <QApplication>
#include <QCommandLineParser>
#include <QFileInfo>

#include <cstdio>

namespace {

QString defaultModelPath() {
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
  QApplication app(argc, argv);
  QApplication::setApplicationName(QStringLiteral("MoEScope"));
  QApplication::setOrganizationName(QStringLiteral("MoEScope"));
  QApplication::setApplicationVersion(QString::fromLatin1(moe::kVersion));

  QCommandLineParser parser;
  parser.setApplicationDescription(QStringLiteral("Chat with Mixture-of-Experts models and watch the experts work"));
  parser.addHelpOption();
  parser.addVersionOption();
  parser.addPositionalArgument(QStringLiteral("model"), QStringLiteral("GGUF model to open (default: the bundled demo model)"));
  parser.process(app);

  moe::ui::MainWindow window;
  const QStringList args = parser.positionalArguments();
  window.setModelPath(args.isEmpty() ? defaultModelPath() : args.first());
  window.show();
  return QApplication::exec();
}

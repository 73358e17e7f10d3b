#include "moe/ui/model-scanner.hpp"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QThread>

namespace moe::ui {

bool isGgufFile(const QString& path) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) return false;
  return f.read(4) == QByteArrayLiteral("GGUF");
}

QStringList defaultModelRoots() {
  const QString home = QDir::homePath();
  QStringList out;
  for (const QString& rel : {QStringLiteral(".lmstudio/models"), QStringLiteral(".cache/lm-studio/models"),
                             QStringLiteral(".ollama/models/blobs"), QStringLiteral("models")}) {
    const QString p = home + QLatin1Char('/') + rel;
    if (QFileInfo(p).isDir()) out.push_back(p);
  }
  return out;
}

namespace {

// Ollama names blobs by digest; its manifests map "model:tag" to the model layer's digest.
QHash<QString, QString> ollamaNames(const QString& blobsDir) {
  QHash<QString, QString> names;
  const QString manifests = QFileInfo(blobsDir).dir().filePath(QStringLiteral("manifests"));
  QDirIterator it(manifests, QDir::Files, QDirIterator::Subdirectories);
  while (it.hasNext()) {
    const QString path = it.next();
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly) || f.size() > (1 << 20)) continue;
    const QJsonObject doc = QJsonDocument::fromJson(f.readAll()).object();
    const QFileInfo fi(path);
    const QString name = fi.dir().dirName() + QLatin1Char(':') + fi.fileName();
    for (const QJsonValue& layer : doc.value(QStringLiteral("layers")).toArray()) {
      const QJsonObject l = layer.toObject();
      if (l.value(QStringLiteral("mediaType")).toString() == QLatin1String("application/vnd.ollama.image.model"))
        names.insert(l.value(QStringLiteral("digest")).toString().replace(QLatin1Char(':'), QLatin1Char('-')), name);
    }
  }
  return names;
}

}  // namespace

QList<FoundModel> scanModelFolders(const QStringList& roots, const std::atomic<bool>* cancel) {
  QList<FoundModel> out;
  QStringList seen;
  for (const QString& root : roots) {
    const QHash<QString, QString> ollama = root.endsWith(QLatin1String("/blobs")) ? ollamaNames(root) : QHash<QString, QString>{};
    QDirIterator it(root, QDir::Files | QDir::Readable, QDirIterator::Subdirectories);
    while (it.hasNext()) {
      if (cancel && cancel->load()) return out;
      const QString path = it.next();
      const QFileInfo fi = it.fileInfo();
      // Cheap filter before opening: GGUF files by name, or extension-less blobs.
      const bool candidate = fi.suffix().compare(QLatin1String("gguf"), Qt::CaseInsensitive) == 0 || fi.suffix().isEmpty() ||
                             fi.fileName().startsWith(QLatin1String("sha256"));
      if (!candidate || fi.size() < 32 || !isGgufFile(path)) continue;
      const QString canonical = fi.canonicalFilePath();
      if (seen.contains(canonical)) continue;
      seen.push_back(canonical);
      FoundModel m;
      m.path = path;
      m.displayName = ollama.value(fi.fileName(), fi.fileName());
      m.source = root;
      m.bytes = fi.size();
      out.push_back(m);
    }
  }
  return out;
}

ModelScanner::ModelScanner(QObject* parent) : QObject(parent) { qRegisterMetaType<QList<FoundModel>>(); }

ModelScanner::~ModelScanner() {
  if (thread_) {
    cancel_ = true;
    thread_->wait();
    delete thread_;
  }
}

void ModelScanner::start(const QStringList& roots) {
  if (thread_) return;
  cancel_ = false;
  thread_ = QThread::create([this, roots] {
    QList<FoundModel> found = scanModelFolders(roots, &cancel_);
    // Delivered on the GUI thread, where the scanner lives.
    QMetaObject::invokeMethod(this, [this, found] {
      thread_->wait();
      delete thread_;
      thread_ = nullptr;
      Q_EMIT finished(found);
    }, Qt::QueuedConnection);
  });
  thread_->start();
}

}  // namespace moe::ui

#pragma once
// Finds GGUF models where people keep them (LM Studio, Ollama's blob store, ~/models). Files
// are recognised by the 4-byte magic "GGUF", so Ollama's extension-less blobs are found too.
// The scan runs on its own short-lived QThread; results arrive as a queued signal.
#include <QList>
#include <QMetaType>
#include <QObject>
#include <QString>
#include <QStringList>

#include <atomic>

class QThread;

namespace moe::ui {

struct FoundModel {
  QString path;
  QString displayName;  // file name, or the Ollama model:tag that names the blob
  QString source;       // the scan root it came from
  qint64 bytes = 0;
};

bool isGgufFile(const QString& path);
QStringList defaultModelRoots();  // existing folders only
// Blocking scan (call it off the GUI thread); stops early when *cancel becomes true.
QList<FoundModel> scanModelFolders(const QStringList& roots, const std::atomic<bool>* cancel = nullptr);

class ModelScanner : public QObject {
  Q_OBJECT
 public:
  explicit ModelScanner(QObject* parent = nullptr);
  ~ModelScanner() override;  // cancels and joins a running scan
  void start(const QStringList& roots = defaultModelRoots());
  bool running() const { return thread_ != nullptr; }

 Q_SIGNALS:
  void finished(const QList<moe::ui::FoundModel>& models);

 private:
  QThread* thread_ = nullptr;
  std::atomic<bool> cancel_{false};
};

}  // namespace moe::ui

Q_DECLARE_METATYPE(moe::ui::FoundModel)

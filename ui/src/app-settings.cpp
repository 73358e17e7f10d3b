#include "moe/ui/app-settings.hpp"

#include "moe/ui/conversation.hpp"

#include <QFileInfo>
#include <QJsonDocument>
#include <QSettings>

namespace moe::ui {

QString themeName(Theme t) {
  switch (t) {
    case Theme::light: return QStringLiteral("light");
    case Theme::dark: return QStringLiteral("dark");
    case Theme::followSystem: break;
  }
  return QStringLiteral("system");
}

Theme themeFromName(const QString& name) {
  if (name == QLatin1String("light")) return Theme::light;
  if (name == QLatin1String("dark")) return Theme::dark;
  return Theme::followSystem;
}

AppSettings AppSettings::load() {
  QSettings s;
  AppSettings a;
  a.threads = s.value(QStringLiteral("engine/threads"), a.threads).toInt();
  a.contextSize = s.value(QStringLiteral("engine/contextSize"), a.contextSize).toInt();
  a.kvType = s.value(QStringLiteral("engine/kvType"), a.kvType).toString();
  a.expertBudgetMiB = s.value(QStringLiteral("experts/budgetMiB"), a.expertBudgetMiB).toInt();
  a.cachePolicy = s.value(QStringLiteral("experts/cachePolicy"), a.cachePolicy).toString();
  a.awareMarginPercent = s.value(QStringLiteral("experts/awareMarginPercent"), a.awareMarginPercent).toInt();
  a.prefetch = s.value(QStringLiteral("experts/prefetch"), a.prefetch).toBool();
  a.theme = themeFromName(s.value(QStringLiteral("ui/theme")).toString());
  const QJsonDocument doc = QJsonDocument::fromJson(s.value(QStringLiteral("sampling/defaults")).toByteArray());
  a.sampling = samplingFromJson(doc.object(), a.sampling);
  return a;
}

void AppSettings::save() const {
  QSettings s;
  s.setValue(QStringLiteral("engine/threads"), threads);
  s.setValue(QStringLiteral("engine/contextSize"), contextSize);
  s.setValue(QStringLiteral("engine/kvType"), kvType);
  s.setValue(QStringLiteral("experts/budgetMiB"), expertBudgetMiB);
  s.setValue(QStringLiteral("experts/cachePolicy"), cachePolicy);
  s.setValue(QStringLiteral("experts/awareMarginPercent"), awareMarginPercent);
  s.setValue(QStringLiteral("experts/prefetch"), prefetch);
  s.setValue(QStringLiteral("ui/theme"), themeName(theme));
  s.setValue(QStringLiteral("sampling/defaults"), QJsonDocument(samplingToJson(sampling)).toJson(QJsonDocument::Compact));
  s.sync();
}

QStringList RecentModels::list() {
  QStringList out;
  for (const QString& p : QSettings().value(QStringLiteral("models/recent")).toStringList())
    if (QFileInfo::exists(p)) out.push_back(p);
  return out;
}

void RecentModels::add(const QString& path) {
  QSettings s;
  QStringList l = s.value(QStringLiteral("models/recent")).toStringList();
  const QString abs = QFileInfo(path).absoluteFilePath();
  l.removeAll(abs);
  l.prepend(abs);
  while (l.size() > kMaxRecent) l.removeLast();
  s.setValue(QStringLiteral("models/recent"), l);
}

void RecentModels::clear() { QSettings().remove(QStringLiteral("models/recent")); }

}  // namespace moe::ui

#pragma once
// Application settings kept in QSettings. The expert-cache settings (budget, policy, prefetch)
// apply to the next model load; 0 / empty means the engine's recommended configuration.
#include "moe/ui/chat-types.hpp"

#include <QString>
#include <QStringList>

namespace moe::ui {

enum class Theme { followSystem, light, dark };

struct AppSettings {
  int threads = 0;         // 0 = the engine's default (physical cores)
  int contextSize = 4096;  // 0 = the model's training context
  QString kvType = QStringLiteral("f16");  // f16, f32, q8_0
  SamplingSettings sampling;               // defaults for new conversations
  int expertBudgetMiB = 0;                 // 0 = every expert resident
  QString cachePolicy;                     // lru, lfu, arc, least-stale; empty = recommended (lfu)
  int awareMarginPercent = 50;               // memory-aware routing margin, % of a pick's probability
  bool prefetch = false;                   // measured: no gain when the file is in the page cache
  Theme theme = Theme::followSystem;

  static AppSettings load();  // from the application's QSettings
  void save() const;
  bool operator==(const AppSettings&) const = default;
};

// Most recently opened models, newest first (at most kMaxRecent, missing files dropped on read).
class RecentModels {
 public:
  static constexpr int kMaxRecent = 10;
  static QStringList list();
  static void add(const QString& path);
  static void clear();
};

QString themeName(Theme t);
Theme themeFromName(const QString& name);

}  // namespace moe::ui

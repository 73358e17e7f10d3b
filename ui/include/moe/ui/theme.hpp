#pragma once
// Light / dark / follow-system palettes (Fusion style, so both read the same on every
// platform) and the few derived colours the chat view and plots need.
#include "moe/ui/app-settings.hpp"

#include <QColor>

namespace moe::ui {

void applyTheme(Theme theme);  // call after QApplication exists; remembers the system palette
bool isDarkTheme();            // judged from the palette actually in use

struct ThemeColors {
  QColor text, mutedText, base, userBubble, assistantBubble, codeBackground, link, error, accent, grid;
  // Token backgrounds in the chat: routed to the expert picked in the heatmap / the selected token.
  QColor routedToken, selectedToken;
};
ThemeColors themeColors();

}  // namespace moe::ui

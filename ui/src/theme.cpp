#include "moe/ui/theme.hpp"

#include <QApplication>
#include <QPalette>
#include <QStyle>

namespace moe::ui {
namespace {

QPalette darkPalette() {
  QPalette p;
  const QColor window(0x2b, 0x2d, 0x31), base(0x1f, 0x21, 0x24), text(0xe8, 0xea, 0xed);
  p.setColor(QPalette::Window, window);
  p.setColor(QPalette::WindowText, text);
  p.setColor(QPalette::Base, base);
  p.setColor(QPalette::AlternateBase, window);
  p.setColor(QPalette::ToolTipBase, base);
  p.setColor(QPalette::ToolTipText, text);
  p.setColor(QPalette::PlaceholderText, QColor(0x9a, 0xa0, 0xa6));
  p.setColor(QPalette::Text, text);
  p.setColor(QPalette::Button, QColor(0x35, 0x37, 0x3c));
  p.setColor(QPalette::ButtonText, text);
  p.setColor(QPalette::BrightText, Qt::white);
  p.setColor(QPalette::Link, QColor(0x8a, 0xb4, 0xf8));
  p.setColor(QPalette::Highlight, QColor(0x3d, 0x7b, 0xd9));
  p.setColor(QPalette::HighlightedText, Qt::white);
  p.setColor(QPalette::Mid, QColor(0x4a, 0x4d, 0x52));
  p.setColor(QPalette::Dark, QColor(0x18, 0x19, 0x1b));
  for (auto role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText})
    p.setColor(QPalette::Disabled, role, QColor(0x7f, 0x84, 0x8a));
  return p;
}

QPalette lightPalette() {
  QPalette p = QApplication::style()->standardPalette();  // Fusion is set first
  p.setColor(QPalette::Link, QColor(0x1a, 0x5f, 0xb4));
  return p;
}

QPalette& systemPalette() {
  static QPalette palette = QApplication::palette();
  return palette;
}

QColor mix(const QColor& a, const QColor& b, double t) {
  return QColor::fromRgbF(static_cast<float>(a.redF() * (1 - t) + b.redF() * t),
                          static_cast<float>(a.greenF() * (1 - t) + b.greenF() * t),
                          static_cast<float>(a.blueF() * (1 - t) + b.blueF() * t));
}

}  // namespace

void applyTheme(Theme theme) {
  (void)systemPalette();  // capture before the first change
  QApplication::setStyle(QStringLiteral("Fusion"));
  switch (theme) {
    case Theme::dark: QApplication::setPalette(darkPalette()); break;
    case Theme::light: QApplication::setPalette(lightPalette()); break;
    case Theme::followSystem: QApplication::setPalette(systemPalette()); break;
  }
}

bool isDarkTheme() {
  const QPalette p = QApplication::palette();
  return p.color(QPalette::Window).lightnessF() < p.color(QPalette::WindowText).lightnessF();
}

ThemeColors themeColors() {
  const QPalette p = QApplication::palette();
  const bool dark = isDarkTheme();
  ThemeColors c;
  c.text = p.color(QPalette::Text);
  c.base = p.color(QPalette::Base);
  c.mutedText = mix(c.text, c.base, 0.45);
  c.accent = p.color(QPalette::Highlight);
  c.userBubble = mix(c.base, c.accent, dark ? 0.22 : 0.10);
  c.assistantBubble = mix(c.base, c.text, dark ? 0.06 : 0.04);
  c.codeBackground = mix(c.base, c.text, dark ? 0.12 : 0.07);
  c.link = p.color(QPalette::Link);
  c.error = dark ? QColor(0xf2, 0x8b, 0x82) : QColor(0xb3, 0x26, 0x1e);
  c.grid = mix(c.base, c.text, 0.15);
  // Amber and blue stay apart from the bubbles and keep the text's contrast in both themes.
  c.routedToken = dark ? QColor(0x8a, 0x63, 0x00) : QColor(0xff, 0xd8, 0x6b);
  c.selectedToken = dark ? QColor(0x2f, 0x6b, 0xc8) : QColor(0x7d, 0xb7, 0xff);
  return c;
}

}  // namespace moe::ui

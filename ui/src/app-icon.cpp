#include "moe/ui/app-icon.hpp"

#include <QPainter>
#include <QPixmap>

namespace moe::ui {

QIcon appIcon() {
  QIcon icon;
  for (int size : {16, 24, 32, 48, 64, 128, 256}) {
    QPixmap pm(size, size);
    pm.fill(Qt::transparent);
    QPainter p(&pm);
    p.setRenderHint(QPainter::Antialiasing);
    const qreal s = size;
    p.setPen(Qt::NoPen);
    p.setBrush(QColor(0x1f, 0x3a, 0x5f));
    p.drawRoundedRect(QRectF(0, 0, s, s), s * 0.18, s * 0.18);
    const qreal cell = s * 0.22, gap = s * 0.06, origin = (s - 3 * cell - 2 * gap) / 2;
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) {
        const bool routed = (r == 0 && c == 2) || (r == 2 && c == 1);
        p.setBrush(routed ? QColor(0xf4, 0xb4, 0x00) : QColor(0x5b, 0x8d, 0xd6));
        p.drawRoundedRect(QRectF(origin + c * (cell + gap), origin + r * (cell + gap), cell, cell), cell * 0.2, cell * 0.2);
      }
    p.end();
    icon.addPixmap(pm);
  }
  return icon;
}

}  // namespace moe::ui

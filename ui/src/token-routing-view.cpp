#include "moe/ui/token-routing-view.hpp"

#include "moe/ui/reply-routing.hpp"
#include "moe/ui/theme.hpp"

#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>

namespace moe::ui {
namespace {

// Whitespace a token starts or ends with matters (" the" vs "the"): make it visible.
QString visibleToken(QString text) {
  text.replace(QLatin1Char('\n'), QChar(0x23CE));
  text.replace(QLatin1Char('\t'), QChar(0x21E5));
  text.replace(QLatin1Char(' '), QChar(0x2423));
  return text;
}

}  // namespace

TokenRoutingView::TokenRoutingView(QWidget* parent) : QWidget(parent) {
  setObjectName(QStringLiteral("tokenRoutingView"));
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(6, 6, 6, 6);
  header_ = new QLabel(this);
  header_->setWordWrap(true);
  header_->setTextFormat(Qt::PlainText);
  layout->addWidget(header_);
  table_ = new QTableWidget(this);
  table_->setObjectName(QStringLiteral("tokenRoutingTable"));
  table_->setAccessibleName(tr("Experts and weights of the selected token per layer"));
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->setSelectionMode(QAbstractItemView::NoSelection);
  table_->setAlternatingRowColors(true);
  table_->verticalHeader()->hide();
  table_->horizontalHeader()->setStretchLastSection(false);
  layout->addWidget(table_, 1);
  clear();
}

void TokenRoutingView::showToken(std::shared_ptr<const ReplyRouting> routing, int position) {
  routing_ = std::move(routing);
  position_ = routing_ ? position : -1;
  fill();
}

void TokenRoutingView::setMarkedCell(int layer, int expert) {
  markLayer_ = layer;
  markExpert_ = expert;
  fill();
}

void TokenRoutingView::fill() {
  table_->clear();
  if (!routing_ || position_ < 0) {
    header_->setText(tr("Click a word of a reply to see the experts its token was routed to in every layer."));
    table_->setRowCount(0);
    table_->setColumnCount(0);
    return;
  }
  const QList<ReplyRouting::LayerPicks> picks = routing_->picksAt(position_);
  header_->setText(tr("Token \u201c%1\u201d at position %2: experts (router weight) per layer")
                       .arg(visibleToken(routing_->tokenText(position_)))
                       .arg(position_));
  qsizetype k = 0;
  for (const auto& lp : picks) k = std::max(k, lp.experts.size());
  table_->setRowCount(static_cast<int>(picks.size()));
  table_->setColumnCount(static_cast<int>(k) + 1);
  QStringList headers{tr("Layer")};
  for (qsizetype i = 0; i < k; ++i) headers << tr("#%1").arg(i + 1);
  table_->setHorizontalHeaderLabels(headers);
  const ThemeColors colors = themeColors();
  for (int row = 0; row < picks.size(); ++row) {
    const auto& lp = picks.at(row);
    auto* layer = new QTableWidgetItem(QString::number(lp.layer));
    layer->setTextAlignment(Qt::AlignCenter);
    table_->setItem(row, 0, layer);
    for (int i = 0; i < lp.experts.size(); ++i) {
      const auto [expert, weight] = lp.experts.at(i);
      auto* item = new QTableWidgetItem(tr("E%1  %2").arg(expert).arg(static_cast<double>(weight), 0, 'f', 3));
      item->setToolTip(tr("Layer %1: expert %2, router weight %3").arg(lp.layer).arg(expert).arg(static_cast<double>(weight), 0, 'f', 4));
      if (lp.layer == markLayer_ && expert == markExpert_) {
        item->setBackground(colors.routedToken);
        item->setForeground(colors.text);
        QFont f = item->font();
        f.setBold(true);
        item->setFont(f);
      }
      table_->setItem(row, i + 1, item);
    }
  }
  table_->resizeColumnsToContents();
}

}  // namespace moe::ui

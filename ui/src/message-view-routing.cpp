// MessageView: the reply tokens routed to one expert (highlight) and the token under a click.
// A reply's Markdown is rendered, so its text offsets and the document's positions differ
// (markers dropped, whitespace collapsed, list numbers and copy links added): each shown
// reply's source is aligned to its rendered text once, and marks are laid with extra
// selections, which leave the document itself untouched.
#include "moe/ui/message-view.hpp"
#include "moe/ui/reply-routing.hpp"
#include "moe/ui/theme.hpp"

#include <QAbstractTextDocumentLayout>
#include <QMouseEvent>
#include <QScrollBar>
#include <QTextBlock>
#include <QTextFrame>
#include <QTextTable>

namespace moe::ui {
namespace {

bool isMarkup(QChar c) {
  switch (c.unicode()) {
    case '*': case '_': case '`': case '#': case '>': case '-': case '+': case '[': case ']': case '(': case ')':
    case '|': case '~': return true;
    default: return false;
  }
}

// Greedy alignment of `src` with the document's characters in [from, to]: equal characters
// map; whitespace matches any whitespace; Markdown markers the renderer dropped are skipped
// on the source side, and text the renderer added (a "Copy" link, list numbers) on the
// document side, found by looking a little ahead for the next source character.
std::vector<int> align(const QString& src, const QTextDocument* doc, int from, int to) {
  std::vector<int> map(static_cast<size_t>(src.size()), -1);
  constexpr int kLookahead = 24;
  qsizetype i = 0;
  int j = from;
  while (i < src.size() && j <= to) {
    const QChar s = src.at(i), d = doc->characterAt(j);
    if (s == d || (s.isSpace() && d.isSpace())) {
      map[static_cast<size_t>(i++)] = j++;
      continue;
    }
    if (d.isSpace() || d.category() == QChar::Other_PrivateUse || d.unicode() == QChar::ObjectReplacementCharacter ||
        d.unicode() == 0xFDD0 || d.unicode() == 0xFDD1) {  // frame boundaries of code blocks
      ++j;
      continue;
    }
    if (s.isSpace() || isMarkup(s)) {
      ++i;
      continue;
    }
    int k = 1;
    while (k <= kLookahead && j + k <= to && doc->characterAt(j + k) != s) ++k;
    if (k <= kLookahead && j + k <= to) j += k;  // the document added text here
    else ++i;                                   // the source has text the document hides
  }
  return map;
}

}  // namespace

void MessageView::locateMessages() {
  bodies_.assign(static_cast<size_t>(conversation_.messages.size()), BodyRange{});
  size_t index = 0;
  // Every message is one top-level table; code blocks are nested inside them.
  for (QTextFrame* frame : document()->rootFrame()->childFrames()) {
    auto* table = qobject_cast<QTextTable*>(frame);
    if (!table || index >= bodies_.size()) continue;
    const QTextTableCell cell = table->cellAt(0, 0);
    const QTextBlock header = document()->findBlock(cell.firstPosition());  // "You" / "Assistant"
    bodies_[index++] = {header.next().position(), cell.lastPosition()};
  }
  maps_.assign(bodies_.size(), {});
  mapsValid_ = true;
}

const std::vector<int>& MessageView::sourceMap(int index) {
  if (!mapsValid_) locateMessages();
  auto& map = maps_[static_cast<size_t>(index)];
  const BodyRange r = bodies_[static_cast<size_t>(index)];
  if (map.empty() && r.first >= 0) map = align(conversation_.messages.at(index).content, document(), r.first, r.last);
  return map;
}

void MessageView::setHighlight(int layer, int expert) {
  hlLayer_ = layer;
  hlExpert_ = expert;
  applyRoutingMarks();
}

void MessageView::selectToken(int index, int position) {
  selMessage_ = index;
  selPosition_ = index < 0 ? -1 : position;
  applyRoutingMarks();
}

void MessageView::applyRoutingMarks() {
  highlighted_.clear();
  QList<QTextEdit::ExtraSelection> marks;
  const ThemeColors colors = themeColors();
  auto mark = [&](int index, const TokenSpan& span, const QColor& background, bool selected) {
    const std::vector<int>& map = sourceMap(index);
    int first = -1, last = -1;
    for (int o = span.start; o < span.start + span.length && o < static_cast<int>(map.size()); ++o) {
      const int p = map[static_cast<size_t>(o)];
      if (p < 0) continue;
      if (first < 0) first = p;
      last = p;
    }
    if (first < 0) return;  // the token's text is not shown (Markdown markup)
    QTextEdit::ExtraSelection sel;
    sel.cursor = QTextCursor(document());
    sel.cursor.setPosition(first);
    sel.cursor.setPosition(last + 1, QTextCursor::KeepAnchor);
    sel.format.setBackground(background);
    sel.format.setForeground(colors.text);
    if (selected) {  // told apart from a highlight it may sit inside of
      sel.format.setFontUnderline(true);
      sel.format.setUnderlineColor(colors.text);
    }
    marks.append(sel);
  };
  for (int i = 0; i < conversation_.messages.size(); ++i) {
    const auto& routing = conversation_.messages.at(i).routing;
    if (!routing || i == editIndex_) continue;
    if (hlLayer_ >= 0 && hlExpert_ >= 0) {
      for (const TokenSpan& s : routing->spansRoutedTo(hlLayer_, hlExpert_)) {
        highlighted_.append({i, s});
        mark(i, s, colors.routedToken, false);
      }
    }
    if (i == selMessage_) {
      for (const TokenSpan& s : routing->spans())
        if (s.position == selPosition_) mark(i, s, colors.selectedToken, true);
    }
  }
  setExtraSelections(marks);
}

bool MessageView::selectTokenAt(const QPoint& viewportPos) {
  const QPoint docPos = viewportPos + QPoint(horizontalScrollBar()->value(), verticalScrollBar()->value());
  const int p = document()->documentLayout()->hitTest(docPos, Qt::ExactHit);
  if (p >= 0) {
    if (!mapsValid_) locateMessages();
    for (int i = 0; i < static_cast<int>(bodies_.size()); ++i) {
      const BodyRange r = bodies_[static_cast<size_t>(i)];
      const auto& routing = conversation_.messages.at(i).routing;
      if (!routing || p < r.first || p > r.last) continue;
      const std::vector<int>& map = sourceMap(i);
      // The source character shown at (or just before) the clicked position.
      int offset = -1;
      for (int o = 0; o < static_cast<int>(map.size()); ++o) {
        if (map[static_cast<size_t>(o)] > p) break;
        if (map[static_cast<size_t>(o)] >= 0) offset = o;
      }
      const TokenSpan* span = offset >= 0 ? routing->spanAt(offset) : nullptr;
      if (span && map[static_cast<size_t>(offset)] >= p - 1) {
        selectToken(i, span->position);
        Q_EMIT tokenSelected(i, span->position);
        return true;
      }
    }
  }
  return false;
}

void MessageView::mouseReleaseEvent(QMouseEvent* event) {
  QTextBrowser::mouseReleaseEvent(event);
  // A plain click (no drag-selection, no link) picks a token or clears the marks.
  if (event->button() != Qt::LeftButton || textCursor().hasSelection() || !anchorAt(event->pos()).isEmpty()) return;
  if (selectTokenAt(event->pos())) return;
  const bool hadMarks = selMessage_ >= 0 || hlLayer_ >= 0;
  if (!hadMarks) return;
  hlLayer_ = hlExpert_ = -1;
  selectToken(-1, -1);
  Q_EMIT tokenSelected(-1, -1);
  Q_EMIT highlightCleared();
}

}  // namespace moe::ui

#include "moe/ui/reply-routing.hpp"

#include <algorithm>

namespace moe::ui {

// The reply covers whole conversation windows: the histogram's last-n window is never read.
ReplyRouting::ReplyRouting(int nLayers, int nExperts) : picks_(nLayers, nExperts, 1) {}

QList<TokenSpan> ReplyRouting::spansRoutedTo(int layer, int expert) const {
  QList<TokenSpan> out;
  if (layer < 0 || expert < 0) return out;
  std::vector<uint32_t> positions = picks_.positions_of(layer, expert);
  std::sort(positions.begin(), positions.end());
  for (const TokenSpan& s : spans_)
    if (s.position >= 0 && std::binary_search(positions.begin(), positions.end(), static_cast<uint32_t>(s.position)))
      out.append(s);
  return out;
}

const TokenSpan* ReplyRouting::spanAt(int offset) const {
  // Spans are in reply order and do not overlap; empty ones (a token that released no
  // text yet) hold no offset.
  auto it = std::upper_bound(spans_.begin(), spans_.end(), offset, [](int o, const TokenSpan& s) { return o < s.start; });
  while (it != spans_.begin()) {
    --it;
    if (offset < it->start + it->length) return &*it;
    if (it->length > 0) break;
  }
  return nullptr;
}

QList<ReplyRouting::LayerPicks> ReplyRouting::picksAt(int position) const {
  QList<LayerPicks> out;
  if (position < 0) return out;
  std::vector<tel::RoutingHistogram::Pick> picks = picks_.picks_at(static_cast<uint32_t>(position));
  std::stable_sort(picks.begin(), picks.end(), [](const auto& a, const auto& b) {
    return a.layer != b.layer ? a.layer < b.layer : a.weight > b.weight;
  });
  for (const auto& p : picks) {
    if (out.isEmpty() || out.last().layer != p.layer) out.append(LayerPicks{p.layer, {}});
    out.last().experts.append({p.expert, p.weight});
  }
  return out;
}

QString ReplyRouting::tokenText(int position) const {
  if (position >= 0 && position < prompt_.size()) return prompt_.at(position);
  // Generated positions grow along the reply.
  auto it = std::lower_bound(spans_.begin(), spans_.end(), position, [](const TokenSpan& s, int p) { return s.position < p; });
  return it != spans_.end() && it->position == position ? reply_.mid(it->start, it->length) : QString();
}

}  // namespace moe::ui

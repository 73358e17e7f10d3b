#pragma once
// What the engine's router did for each token of one reply: where every generated token's
// text lies in the reply, the prompt's token texts, and (in the engine's own routing
// histogram) the experts and weights each position got in every layer. Built on the GUI
// thread from the worker's token spans and the drained telemetry; read by the message view
// (highlighting, token selection) and the trace export (token texts of the CSV).
#include "moe/telemetry/aggregators.hpp"
#include "moe/ui/chat-types.hpp"

#include <QList>
#include <QString>
#include <QStringList>

#include <vector>

namespace moe::ui {

class ReplyRouting {
 public:
  ReplyRouting(int nLayers, int nExperts);

  void setPromptTexts(QStringList texts) { prompt_ = std::move(texts); }
  void addSpans(const QList<TokenSpan>& spans) { spans_.append(spans); }
  void setReplyText(const QString& text) { reply_ = text; }
  // Routing events of this reply's positions (prompt and generated alike).
  void addRouting(const tel::RoutingEvent& r) { picks_.add(r); }

  int layers() const { return picks_.n_layers(); }
  int experts() const { return picks_.n_experts(); }
  const QList<TokenSpan>& spans() const { return spans_; }
  const QString& replyText() const { return reply_; }

  // The generated tokens routed to `expert` in `layer`, in reply order.
  QList<TokenSpan> spansRoutedTo(int layer, int expert) const;
  // The generated token whose text holds UTF-16 offset `offset` of the reply (nullptr: none).
  const TokenSpan* spanAt(int offset) const;
  // Experts and weights of one position, per layer (layer-major, heaviest first).
  struct LayerPicks {
    int layer = 0;
    QList<QPair<int, float>> experts;  // (expert, weight)
  };
  QList<LayerPicks> picksAt(int position) const;
  // The text of the token at a context position: a prompt token's or a generated one's.
  QString tokenText(int position) const;

 private:
  tel::RoutingHistogram picks_;
  QStringList prompt_;
  QList<TokenSpan> spans_;
  QString reply_;
};

}  // namespace moe::ui

#include "moe/telemetry/trace.hpp"

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

namespace moe::tel {
namespace {

using nlohmann::json;

double us(uint64_t ns) { return static_cast<double>(ns) / 1000.0; }

json span(const char* name, const char* cat, size_t tid, uint64_t t0, uint64_t t1, json args) {
  return json{{"name", name}, {"cat", cat}, {"ph", "X"}, {"pid", 1}, {"tid", tid},
              {"ts", us(t0)}, {"dur", us(t1 >= t0 ? t1 - t0 : 0)}, {"args", std::move(args)}};
}

json counter(const char* name, uint64_t t, json values) {
  return json{{"name", name}, {"ph", "C"}, {"pid", 1}, {"tid", 0}, {"ts", us(t)}, {"args", std::move(values)}};
}

}  // namespace

void write_chrome_trace(std::ostream& out, const std::vector<TracedEvent>& events, const TraceInfo& info) {
  // Timestamps start at the first event so the viewer opens at zero.
  uint64_t t_min = UINT64_MAX;
  size_t max_producer = 0;
  for (const TracedEvent& te : events) {
    max_producer = std::max(max_producer, te.producer);
    const Event& e = te.event;
    switch (e.kind) {
      case EventKind::token_step: t_min = std::min(t_min, e.token.t_start_ns); break;
      case EventKind::kernel_span: t_min = std::min(t_min, e.span.t_start_ns); break;
      case EventKind::cache: t_min = std::min(t_min, e.cache.t_ns); break;
      default: break;
    }
  }
  if (t_min == UINT64_MAX) t_min = 0;
  auto rel = [&](uint64_t t) { return t >= t_min ? t - t_min : 0; };

  out << "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n";
  bool first = true;
  auto emit = [&](const json& j) {
    out << (first ? "" : ",\n") << j.dump();
    first = false;
  };
  emit(json{{"name", "process_name"}, {"ph", "M"}, {"pid", 1}, {"args", {{"name", info.process_name}}}});
  for (size_t p = 0; p <= max_producer && !events.empty(); ++p) {
    const std::string name = p < info.thread_names.size() ? info.thread_names[p] : "engine thread " + std::to_string(p);
    emit(json{{"name", "thread_name"}, {"ph", "M"}, {"pid", 1}, {"tid", p}, {"args", {{"name", name}}}});
  }

  uint64_t hits = 0, misses = 0;
  for (const TracedEvent& te : events) {
    const Event& e = te.event;
    switch (e.kind) {
      case EventKind::token_step: {
        const TokenStepEvent& t = e.token;
        const std::string name = t.prefill ? "prompt (" + std::to_string(t.n_tokens) + " tokens)"
                                           : "token " + std::to_string(t.position);
        emit(span(name.c_str(), "token", te.producer, rel(t.t_start_ns), rel(t.t_end_ns),
                  {{"position", t.position}, {"token", t.token}, {"prefill", t.prefill != 0}}));
        if (!t.prefill && t.t_end_ns > t.t_start_ns)
          emit(counter("tokens/s", rel(t.t_end_ns), {{"tok/s", 1e9 / static_cast<double>(t.t_end_ns - t.t_start_ns)}}));
        break;
      }
      case EventKind::kernel_span: {
        const KernelSpanEvent& s = e.span;
        json args{{"layer", s.layer == kNoLayer ? -1 : static_cast<int>(s.layer)}};
        if (s.bytes) args["bytes"] = s.bytes;
        if (s.flops) args["flops"] = s.flops;
        const std::string name = s.op == OpKind::layer ? "layer " + std::to_string(s.layer) : op_name(s.op);
        emit(span(name.c_str(), s.op == OpKind::layer ? "layer" : "kernel", te.producer, rel(s.t_start_ns),
                  rel(s.t_end_ns), std::move(args)));
        break;
      }
      case EventKind::cache: {
        const CacheEvent& c = e.cache;
        if (c.action == CacheAction::hit) ++hits;
        if (c.action == CacheAction::miss) ++misses;
        if (c.action != CacheAction::hit)
          emit(json{{"name", cache_action_name(c.action)}, {"cat", "cache"}, {"ph", "i"}, {"s", "t"}, {"pid", 1},
                    {"tid", te.producer}, {"ts", us(rel(c.t_ns))},
                    {"args", {{"layer", c.layer}, {"expert", c.expert}, {"bytes", c.bytes}, {"latency_ns", c.latency_ns}}}});
        if (hits + misses > 0 && (c.action == CacheAction::hit || c.action == CacheAction::miss))
          emit(counter("expert cache hit rate", rel(c.t_ns),
                       {{"hit rate", static_cast<double>(hits) / static_cast<double>(hits + misses)}}));
        break;
      }
      case EventKind::memory: {
        const MemoryEvent& m = e.memory;
        emit(counter("memory (bytes)", 0, {{"KV cache", m.kv_bytes}, {"expert pool", m.expert_pool_bytes},
                                           {"RSS", m.rss_bytes}}));
        break;
      }
      default: break;  // routing and reply records have their own exports
    }
  }
  out << "\n]}\n";
}

void write_routing_csv(std::ostream& out, const std::vector<TracedEvent>& events,
                       const std::function<std::string(uint32_t)>& token_text) {
  // Gather the (possibly split) top-k of each (position, layer) first.
  std::map<std::pair<uint32_t, uint16_t>, std::vector<std::pair<uint16_t, float>>> rows;
  for (const TracedEvent& te : events) {
    if (te.event.kind != EventKind::routing) continue;
    const RoutingEvent& r = te.event.routing;
    auto& row = rows[{r.position, r.layer}];
    for (int i = 0; i < r.k; ++i) row.emplace_back(r.experts[i], r.weights[i]);
  }
  auto quoted = [](const std::string& s) {
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  };
  out << "position,layer,token,experts,weights\n";
  for (const auto& [key, picks] : rows) {
    out << key.first << ',' << key.second << ',' << quoted(token_text ? token_text(key.first) : std::string()) << ',';
    for (size_t i = 0; i < picks.size(); ++i) out << (i ? ";" : "") << picks[i].first;
    out << ',';
    for (size_t i = 0; i < picks.size(); ++i) out << (i ? ";" : "") << picks[i].second;
    out << '\n';
  }
}

}  // namespace moe::tel

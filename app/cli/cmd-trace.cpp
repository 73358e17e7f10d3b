// moescope-cli trace: generates from a prompt with telemetry on and writes a Chrome trace
// (token steps > layers > kernel spans, cache instants, counters) and optionally the routing
// CSV (one row per position and layer, with the token's text).
#include <cstdio>
#include <fstream>
#include <map>

#include "cli-args.hpp"
#include "moe/engine.hpp"
#include "moe/telemetry/hub.hpp"
#include "moe/telemetry/trace.hpp"

using namespace moe;

int cmd_trace(int argc, char** argv) {
  try {
    cli::Args a(argc, argv);
    std::string model_path, prompt, out_path, csv_path;
    int n_predict = 32;
    bool no_cache = false;
    LoadOptions lo;
    GenerateRequest req;
    req.sampling.temperature = 0.0f;
    MoeOptions opt;
    bool budget_set = false, margin_set = false;
    while (a.next()) {
      if (a.is("-p", "--prompt")) prompt = a.value();
      else if (a.is("-n")) n_predict = a.int_value();
      else if (a.is("-o", "--out")) out_path = a.value();
      else if (a.is("--routing-csv")) csv_path = a.value();
      else if (a.is("-t", "--threads")) lo.n_threads = a.int_value();
      else if (a.is("--temp")) req.sampling.temperature = a.float_value();
      else if (a.is("--seed")) req.sampling.seed = static_cast<uint64_t>(a.int_value());
      else if (a.is("--budget-experts")) { opt.cache.budget_experts_per_layer = a.int_value(); budget_set = true; }
      else if (a.is("--aware-margin")) { opt.aware_margin = a.float_value(); margin_set = true; }
      else if (a.is("--no-cache")) no_cache = true;
      else if (a.cur().starts_with("-")) throw cli::UsageError("unknown option " + std::string(a.cur()));
      else if (model_path.empty()) model_path = std::string(a.cur());
      else throw cli::UsageError("unexpected argument " + std::string(a.cur()));
    }
    if (model_path.empty()) model_path = cli::default_model().string();
    if (prompt.empty()) throw cli::UsageError("-p PROMPT is required");
    if (out_path.empty()) throw cli::UsageError("-o trace.json is required");
    if (!tel::kCompiledIn) throw std::runtime_error("this build has telemetry compiled out (MOESCOPE_METRICS=OFF)");

    auto model = load_model(model_path, lo);
    const ModelInfo& info = model_info(*model);
    auto session = create_session(model);
    if (info.n_expert > 0 && !no_cache) {
      // The GUI's defaults unless overridden.
      const MoeOptions rec = recommended_moe_options(info);
      if (!budget_set) opt.cache = rec.cache;
      else {
        opt.cache.policy = rec.cache.policy;
        opt.cache.prefetch = rec.cache.prefetch;
      }
      if (!margin_set) opt.aware_margin = rec.aware_margin;
      session->set_moe_options(opt);
    }

    tel::Hub& hub = tel::Hub::instance();
    hub.set_enabled(true);
    std::vector<tel::TracedEvent> events;
    auto drain = [&] { hub.drain([&](size_t p, const tel::Event& e) { events.push_back({p, e}); }); };
    hub.drain([](size_t, const tel::Event&) {});  // whatever an earlier run left

    const std::vector<int32_t> prompt_ids = tokenize(*model, prompt, true, true);
    std::map<uint32_t, int32_t> token_at;  // position -> token id
    for (size_t i = 0; i < prompt_ids.size(); ++i) token_at[static_cast<uint32_t>(i)] = prompt_ids[i];
    req.max_tokens = n_predict;
    const uint64_t dropped0 = hub.dropped();
    const ReplyStats st = session->generate_tokens(prompt_ids, req, [&](const TokenEvent& ev) {
      token_at[static_cast<uint32_t>(ev.position)] = ev.token;
      drain();  // keep the rings from wrapping on long generations
      return true;
    });
    drain();
    const uint64_t dropped = hub.dropped() - dropped0;

    std::ofstream out(out_path, std::ios::binary);
    if (!out) throw std::runtime_error("cannot write " + out_path);
    tel::TraceInfo ti;
    ti.process_name = "moescope " + info.name;
    ti.thread_names.assign(events.empty() ? 0 : 1, "session thread");
    tel::write_chrome_trace(out, events, ti);
    if (!out) throw std::runtime_error("writing " + out_path + " failed");
    if (!csv_path.empty()) {
      std::ofstream csv(csv_path, std::ios::binary);
      if (!csv) throw std::runtime_error("cannot write " + csv_path);
      tel::write_routing_csv(csv, events, [&](uint32_t pos) {
        const auto it = token_at.find(pos);
        return it == token_at.end() ? std::string() : detokenize(*model, std::span<const int32_t>(&it->second, 1));
      });
    }
    std::printf("trace: %zu events (%llu dropped) -> %s%s%s\n", events.size(), static_cast<unsigned long long>(dropped),
                out_path.c_str(), csv_path.empty() ? "" : ", routing -> ", csv_path.c_str());
    std::printf("prompt %d tokens, generated %d tokens, %.1f tok/s decode\n", st.prompt_tokens, st.generated_tokens,
                st.decode_tok_s);
    return 0;
  } catch (const cli::UsageError& e) {
    std::fprintf(stderr,
                 "trace: %s\nusage: moescope-cli trace MODEL -p PROMPT [-n N] -o trace.json [--routing-csv FILE] "
                 "[--budget-experts N] [--aware-margin X] [--no-cache] [--temp T] [--seed S] [-t N]\n",
                 e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "trace: %s\n", e.what());
    return 1;
  }
}

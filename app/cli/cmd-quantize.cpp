// moescope-cli quantize IN.gguf OUT.gguf TYPE [-t THREADS]: requantize a model with
// llama-quantize's recipes (moe::quantize_model). Progress goes to stderr, a summary to stdout.
// Errors propagate to main(), which prints "moescope-cli quantize: error: <file>: <problem>".
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "cli-args.hpp"
#include "moe/errors.hpp"
#include "moe/quantize.hpp"

namespace {

constexpr const char* kUsage = "IN.gguf OUT.gguf TYPE [-t THREADS]";

std::string type_list() {
  std::string s;
  for (std::string_view n : moe::quant_target_names()) {
    if (!s.empty()) s += ", ";
    s += n;
  }
  return s + " (Q3_K, Q4_K, Q5_K = the _M mixes)";
}

}  // namespace

int cmd_quantize(int argc, char** argv) {
  using moe::cli::Args;
  using moe::cli::UsageError;
  std::vector<std::string> pos;
  moe::QuantizeOptions opts;
  try {
    Args a(argc, argv);
    while (a.next()) {
      if (a.is("-h", "--help")) throw UsageError("");
      if (a.is("-t", "--threads")) opts.n_threads = a.int_value();
      else if (a.cur().size() > 1 && a.cur()[0] == '-') throw UsageError("unknown option " + std::string(a.cur()));
      else pos.emplace_back(a.cur());
    }
    if (pos.size() != 3) throw UsageError("expected IN.gguf OUT.gguf TYPE");
    if (opts.n_threads < 0) throw UsageError("-t: must be >= 0");
  } catch (const UsageError& e) {
    return moe::cli::usage_exit("quantize", kUsage, e);
  }

  const auto target = moe::find_quant_target(pos[2]);
  if (!target) throw moe::ConfigError("unknown TYPE '" + pos[2] + "'; known: " + type_list());
  const std::filesystem::path in = pos[0], out = pos[1];
  if (!std::filesystem::exists(in)) throw moe::IoError(in.string() + ": no such file");
  const auto parent = out.has_parent_path() ? out.parent_path() : std::filesystem::path(".");
  if (!std::filesystem::is_directory(parent))
    throw moe::IoError(out.string() + ": cannot write: folder " + parent.string() + " does not exist");
  if (std::filesystem::exists(out) && std::filesystem::equivalent(in, out))
    throw moe::IoError(out.string() + ": output would overwrite the input");

  std::fprintf(stderr, "quantize: %s -> %s (%s, file type %u)\n", in.c_str(), out.c_str(),
               std::string(target->name).c_str(), target->ftype);
  opts.progress = [](size_t i, size_t n, const moe::TensorQuantPlan& p) {
    std::fprintf(stderr, "[%4zu/%4zu] %-36s %6s -> %-6s%s\n", i + 1, n, p.name.c_str(),
                 std::string(moe::kern::type_name(p.from)).c_str(), std::string(moe::kern::type_name(p.to)).c_str(),
                 p.fallback ? " (fallback: row length)" : "");
    return true;
  };
  const auto t0 = std::chrono::steady_clock::now();
  const moe::QuantizeStats st = moe::quantize_model(in, out, *target, opts);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("quantized %zu tensors (%zu converted, %zu fallback) %.2f MiB -> %.2f MiB in %.2f s: %s\n",
              st.n_tensors, st.n_converted, st.n_fallback, static_cast<double>(st.bytes_in) / 1048576.0,
              static_cast<double>(st.bytes_out) / 1048576.0, secs, out.c_str());
  return 0;
}

// moescope-cli tokenize MODEL (--text STR | --file F) [--no-add-special] [--no-parse-special] [--ids]
#include <cstdio>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli-args.hpp"
#include "moe/errors.hpp"
#include "moe/tokenizer.hpp"

namespace {

void usage(std::FILE* to) {
  std::fprintf(to,
               "usage: moescope-cli tokenize MODEL (--text STR | --file F) [--no-add-special] [--no-parse-special] [--ids]\n"
               "  --text STR           text to tokenize\n"
               "  --file F             tokenize the file's bytes exactly as they are\n"
               "  --no-add-special     do not add BOS/EOS (added by default as the model's metadata says)\n"
               "  --no-parse-special   tokenize special-token texts as plain text\n"
               "  --ids                print only the ids, space separated, on one line\n");
}

// One line per token: bytes that would break the line or the terminal are escaped.
std::string printable(std::string_view piece) {
  std::string out;
  for (const char c : piece) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c == '\r') out += "\\r";
    else if (c == '\\') out += "\\\\";
    else if (u < 0x20 || u == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

int cmd_tokenize(int argc, char** argv) {
  std::optional<std::string> model, text, file;
  bool add_special = true, parse_special = true, ids_only = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--help" || a == "-h") {
      usage(stdout);
      return 0;
    } else if (a == "--text" && i + 1 < argc) {
      text = argv[++i];
    } else if (a == "--file" && i + 1 < argc) {
      file = argv[++i];
    } else if (a == "--no-add-special") {
      add_special = false;
    } else if (a == "--no-parse-special") {
      parse_special = false;
    } else if (a == "--ids") {
      ids_only = true;
    } else if (!a.starts_with("--") && !model) {
      model = std::string(a);
    } else {
      std::fprintf(stderr, "moescope-cli tokenize: unexpected argument '%s'\n", argv[i]);
      usage(stderr);
      return 2;
    }
  }
  if (!model || text.has_value() == file.has_value()) {
    usage(stderr);
    return 2;
  }
  if (file) {
    text = moe::cli::read_file(*file);
  }
  const auto tok = moe::Tokenizer::load(*model);
  const std::vector<moe::TokenId> ids = tok->tokenize(*text, add_special, parse_special);
  if (ids_only) {
    for (size_t i = 0; i < ids.size(); ++i) std::printf(i ? " %d" : "%d", ids[i]);
    std::printf("\n");
    return 0;
  }
  for (const moe::TokenId id : ids)
    std::printf("%6d '%s'\n", id, printable(tok->token_to_piece(id, true)).c_str());
  return 0;
}

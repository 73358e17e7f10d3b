#pragma once
// Jinja2 lexer with the Hugging Face settings: trim_blocks, lstrip_blocks, `-`/`+` whitespace
// modifiers, comments and raw blocks. Text data comes out already stripped, so the parser
// never deals with whitespace control.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace moe::tmpl {

enum class Tok : uint8_t {
  Data,        // literal template text
  VarBegin,    // {{
  VarEnd,      // }}
  BlockBegin,  // {%
  BlockEnd,    // %}
  Name,
  String,  // text holds the unescaped value
  Integer,
  Float,
  Op,  // text holds the operator
  Eof,
};

struct Token {
  Tok kind;
  std::string text;
  int line = 1;
  int column = 1;
};

// Source position → (line, column), both 1-based, column counted in bytes.
class SourceMap {
 public:
  explicit SourceMap(std::string_view src);
  void locate(size_t offset, int& line, int& column) const;

 private:
  std::vector<size_t> line_starts_;
};

// Python's str.splitlines() + "\n".join(): normalises newlines and drops one trailing newline
// (Jinja2's keep_trailing_newline=False).
std::string normalize_template_source(std::string_view src);

// Throws moe::TemplateError naming origin, line and column on malformed input.
std::vector<Token> tokenize(std::string_view normalized_src, std::string_view origin);

}  // namespace moe::tmpl

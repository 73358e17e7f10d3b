#include "lexer.hpp"

#include <algorithm>

#include "moe/errors.hpp"

namespace moe::tmpl {

namespace {

// ASCII part of Python's str.isspace(); the non-ASCII spaces never occur around tags in
// real templates.
bool is_space(char c) {
  auto u = static_cast<unsigned char>(c);
  return u == ' ' || (u >= 0x09 && u <= 0x0d) || (u >= 0x1c && u <= 0x1f);
}
bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Lexer {
 public:
  Lexer(std::string_view src, std::string_view origin) : src_(src), origin_(origin), map_(src) {}

  std::vector<Token> run() {
    size_t pos = 0;
    bool line_starting = true;
    while (pos < src_.size()) {
      size_t tag = find_tag(pos);
      std::string_view text = src_.substr(pos, (tag == std::string_view::npos ? src_.size() : tag) - pos);
      if (tag == std::string_view::npos) {
        emit_data(text, pos);
        break;
      }
      char kind = src_[tag + 1];
      char mod = tag + 2 < src_.size() ? src_[tag + 2] : '\0';
      if (mod == '-') {
        size_t n = text.size();
        while (n > 0 && is_space(text[n - 1])) --n;
        text = text.substr(0, n);
      } else if (mod != '+' && kind != '{') {
        // lstrip_blocks: drop indentation before a block or comment tag that starts a line.
        size_t l_pos = text.rfind('\n');
        l_pos = l_pos == std::string_view::npos ? 0 : l_pos + 1;
        if (l_pos > 0 || line_starting) {
          bool all_space = l_pos < text.size() &&
                           std::all_of(text.begin() + static_cast<std::ptrdiff_t>(l_pos), text.end(), is_space);
          if (all_space) text = text.substr(0, l_pos);
        }
      }
      emit_data(text, pos);
      size_t inner = tag + 2 + ((mod == '-' || mod == '+') ? 1 : 0);
      if (kind == '#') {
        pos = lex_comment(tag, inner);
      } else if (kind == '%' && is_raw_open(inner)) {
        pos = lex_raw(tag, inner);
      } else {
        pos = lex_tag(tag, inner, kind == '{');
      }
      line_starting = pos > 0 && src_[pos - 1] == '\n';
    }
    Token eof{Tok::Eof, {}, 0, 0};
    map_.locate(src_.size(), eof.line, eof.column);
    tokens_.push_back(std::move(eof));
    return std::move(tokens_);
  }

 private:
  [[noreturn]] void fail(size_t offset, const std::string& msg) const {
    int line = 0, col = 0;
    map_.locate(offset, line, col);
    throw TemplateError("chat template '" + std::string(origin_) + "', line " + std::to_string(line) + ", column " +
                        std::to_string(col) + ": " + msg);
  }

  size_t find_tag(size_t pos) const {
    while (true) {
      size_t p = src_.find('{', pos);
      if (p == std::string_view::npos || p + 1 >= src_.size()) return std::string_view::npos;
      char c = src_[p + 1];
      if (c == '{' || c == '%' || c == '#') return p;
      pos = p + 1;
    }
  }

  void emit_data(std::string_view text, size_t offset) {
    if (text.empty()) return;
    push(Tok::Data, std::string(text), offset);
  }

  void push(Tok kind, std::string text, size_t offset) {
    Token t{kind, std::move(text), 0, 0};
    map_.locate(offset, t.line, t.column);
    tokens_.push_back(std::move(t));
  }

  // After a block/comment end: `-` eats all following whitespace, `+` nothing, otherwise
  // trim_blocks eats one newline.
  size_t after_end(size_t end, char mod) const {
    if (mod == '-') {
      while (end < src_.size() && is_space(src_[end])) ++end;
    } else if (mod != '+' && end < src_.size() && src_[end] == '\n') {
      ++end;
    }
    return end;
  }

  size_t lex_comment(size_t tag, size_t inner) const {
    size_t close = src_.find("#}", inner);
    if (close == std::string_view::npos) fail(tag, "missing end of comment tag");
    char mod = (close > inner && src_[close - 1] == '-') ? '-' : '\0';
    return after_end(close + 2, mod);
  }

  // `{% raw %}` / `{%- raw -%}` opener; `inner` points after the optional modifier.
  bool is_raw_open(size_t inner) const {
    size_t p = inner;
    while (p < src_.size() && is_space(src_[p])) ++p;
    if (src_.substr(p, 3) != "raw" || (p + 3 < src_.size() && is_name_char(src_[p + 3]))) return false;
    return true;
  }

  size_t lex_raw(size_t tag, size_t inner) {
    size_t p = src_.find("raw", inner) + 3;
    while (p < src_.size() && is_space(src_[p])) ++p;
    char mod = '\0';
    if (p < src_.size() && (src_[p] == '-' || src_[p] == '+')) mod = src_[p++];
    if (src_.substr(p, 2) != "%}") fail(p, "expected end of raw block tag");
    size_t body = after_end(p + 2, mod);
    size_t search = body;
    while (true) {
      size_t open = src_.find("{%", search);
      if (open == std::string_view::npos) fail(tag, "missing endraw tag");
      size_t q = open + 2;
      char omod = '\0';
      if (q < src_.size() && (src_[q] == '-' || src_[q] == '+')) omod = src_[q++];
      while (q < src_.size() && is_space(src_[q])) ++q;
      if (src_.substr(q, 6) != "endraw") {
        search = open + 2;
        continue;
      }
      q += 6;
      while (q < src_.size() && is_space(src_[q])) ++q;
      char cmod = '\0';
      if (q < src_.size() && (src_[q] == '-' || src_[q] == '+')) cmod = src_[q++];
      if (src_.substr(q, 2) != "%}") fail(q, "expected end of endraw tag");
      std::string_view text = src_.substr(body, open - body);
      if (omod == '-') {
        size_t n = text.size();
        while (n > 0 && is_space(text[n - 1])) --n;
        text = text.substr(0, n);
      }
      emit_data(text, body);
      return after_end(q + 2, cmod);
    }
  }

  size_t lex_tag(size_t tag, size_t p, bool is_var) {
    push(is_var ? Tok::VarBegin : Tok::BlockBegin, {}, tag);
    int balance = 0;
    while (true) {
      while (p < src_.size() && is_space(src_[p])) ++p;
      if (p >= src_.size())
        fail(tag, is_var ? "unexpected end of template, expected '}}'" : "unexpected end of template, expected '%}'");
      if (balance == 0) {
        const char* end = is_var ? "}}" : "%}";
        char mod = src_[p];
        if ((mod == '-' || (mod == '+' && !is_var)) && src_.substr(p + 1, 2) == end) {
          push(is_var ? Tok::VarEnd : Tok::BlockEnd, {}, p);
          return is_var ? after_end(p + 3, mod == '-' ? '-' : '+') : after_end(p + 3, mod);
        }
        if (src_.substr(p, 2) == end) {
          push(is_var ? Tok::VarEnd : Tok::BlockEnd, {}, p);
          return is_var ? p + 2 : after_end(p + 2, '\0');
        }
      }
      p = lex_token(p, balance);
    }
  }

  size_t lex_token(size_t p, int& balance) {
    char c = src_[p];
    if (is_name_start(c)) {
      size_t e = p;
      while (e < src_.size() && is_name_char(src_[e])) ++e;
      push(Tok::Name, std::string(src_.substr(p, e - p)), p);
      return e;
    }
    if (is_digit(c)) return lex_number(p);
    if (c == '\'' || c == '"') return lex_string(p);
    static constexpr std::string_view two[] = {"//", "**", "==", "!=", "<=", ">="};
    for (auto op : two) {
      if (src_.substr(p, 2) == op) {
        push(Tok::Op, std::string(op), p);
        return p + 2;
      }
    }
    static constexpr std::string_view one = "+-*/%~<>=()[]{},.:|";
    if (one.find(c) == std::string_view::npos) fail(p, std::string("unexpected character '") + c + "'");
    if (c == '(' || c == '[' || c == '{') ++balance;
    if (c == ')' || c == ']' || c == '}') {
      if (balance == 0) fail(p, std::string("unexpected '") + c + "'");
      --balance;
    }
    push(Tok::Op, std::string(1, c), p);
    return p + 1;
  }

  size_t lex_number(size_t p) {
    size_t e = p;
    auto digits = [&] {
      while (e < src_.size() && (is_digit(src_[e]) || (src_[e] == '_' && e + 1 < src_.size() && is_digit(src_[e + 1]))))
        ++e;
    };
    digits();
    bool is_float = false;
    if (e + 1 < src_.size() && src_[e] == '.' && is_digit(src_[e + 1])) {
      is_float = true;
      ++e;
      digits();
    }
    if (e < src_.size() && (src_[e] == 'e' || src_[e] == 'E')) {
      size_t q = e + 1;
      if (q < src_.size() && (src_[q] == '+' || src_[q] == '-')) ++q;
      if (q < src_.size() && is_digit(src_[q])) {
        is_float = true;
        e = q;
        digits();
      }
    }
    std::string text;
    for (char ch : src_.substr(p, e - p))
      if (ch != '_') text += ch;
    push(is_float ? Tok::Float : Tok::Integer, std::move(text), p);
    return e;
  }

  // Python unicode-escape semantics, as Jinja2 applies to string literals.
  size_t lex_string(size_t p) {
    char q = src_[p];
    std::string out;
    size_t i = p + 1;
    while (true) {
      if (i >= src_.size()) fail(p, "unterminated string literal");
      char c = src_[i];
      if (c == q) break;
      if (c != '\\' || i + 1 >= src_.size()) {
        out += c;
        ++i;
        continue;
      }
      char e = src_[i + 1];
      i += 2;
      switch (e) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'v': out += '\v'; break;
        case 'a': out += '\a'; break;
        case '\\': out += '\\'; break;
        case '\'': out += '\''; break;
        case '"': out += '"'; break;
        case '\n': break;
        case 'x':
        case 'u':
        case 'U': {
          size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          uint32_t cp = 0;
          for (size_t k = 0; k < n; ++k) {
            int h = i + k < src_.size() ? hex_value(src_[i + k]) : -1;
            if (h < 0) fail(i - 2, "truncated \\" + std::string(1, e) + " escape in string literal");
            cp = cp * 16 + static_cast<uint32_t>(h);
          }
          if (cp > 0x10ffff) fail(i - 2, "illegal Unicode character in string literal");
          append_utf8(out, cp);
          i += n;
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            uint32_t cp = static_cast<uint32_t>(e - '0');
            for (int k = 0; k < 2 && i < src_.size() && src_[i] >= '0' && src_[i] <= '7'; ++k, ++i)
              cp = cp * 8 + static_cast<uint32_t>(src_[i] - '0');
            append_utf8(out, cp);
          } else {
            out += '\\';
            out += e;
          }
      }
    }
    push(Tok::String, std::move(out), p);
    return i + 1;
  }

  std::string_view src_;
  std::string_view origin_;
  SourceMap map_;
  std::vector<Token> tokens_;
};

}  // namespace

SourceMap::SourceMap(std::string_view src) {
  line_starts_.push_back(0);
  for (size_t i = 0; i < src.size(); ++i)
    if (src[i] == '\n') line_starts_.push_back(i + 1);
}

void SourceMap::locate(size_t offset, int& line, int& column) const {
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  size_t idx = static_cast<size_t>(it - line_starts_.begin()) - 1;
  line = static_cast<int>(idx + 1);
  column = static_cast<int>(offset - line_starts_[idx] + 1);
}

std::string normalize_template_source(std::string_view src) {
  std::string out;
  out.reserve(src.size());
  for (size_t i = 0; i < src.size(); ++i) {
    auto c = static_cast<unsigned char>(src[i]);
    if (c == '\r') {
      if (i + 1 < src.size() && src[i + 1] == '\n') ++i;
      out += '\n';
    } else if (c == '\v' || c == '\f' || c == 0x1c || c == 0x1d || c == 0x1e) {
      out += '\n';
    } else if (c == 0xc2 && i + 1 < src.size() && static_cast<unsigned char>(src[i + 1]) == 0x85) {
      out += '\n';
      ++i;
    } else if (c == 0xe2 && i + 2 < src.size() && static_cast<unsigned char>(src[i + 1]) == 0x80 &&
               (static_cast<unsigned char>(src[i + 2]) == 0xa8 || static_cast<unsigned char>(src[i + 2]) == 0xa9)) {
      out += '\n';
      i += 2;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::vector<Token> tokenize(std::string_view normalized_src, std::string_view origin) {
  return Lexer(normalized_src, origin).run();
}

}  // namespace moe::tmpl

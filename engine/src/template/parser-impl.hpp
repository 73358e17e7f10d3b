#pragma once
// The recursive-descent parser, shared by parser.cpp (statements) and parser-expressions.cpp.

#include <algorithm>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "moe/errors.hpp"
#include "parser.hpp"

namespace moe::tmpl {

class Parser {
 public:
  Parser(const std::vector<Token>& toks, std::string_view origin) : t_(toks), origin_(origin) {}

  Body parse_all();

 private:
  struct DepthGuard {
    Parser& p;
    DepthGuard(Parser& parser, const Token& at) : p(parser) {
      if (++p.depth_ > kMaxParseDepth) p.fail(at, "template nesting too deep");
    }
    ~DepthGuard() { --p.depth_; }
  };

  [[noreturn]] void fail(const Token& at, const std::string& msg) const {
    throw TemplateError("chat template '" + std::string(origin_) + "', line " + std::to_string(at.line) + ", column " +
                        std::to_string(at.column) + ": " + msg);
  }

  const Token& cur() const { return t_[pos_]; }
  const Token& peek(size_t n = 1) const { return t_[std::min(pos_ + n, t_.size() - 1)]; }
  const Token& next() {
    const Token& t = t_[pos_];
    if (pos_ + 1 < t_.size()) ++pos_;
    return t;
  }
  bool is_op(std::string_view op) const { return cur().kind == Tok::Op && cur().text == op; }
  bool is_name(std::string_view n) const { return cur().kind == Tok::Name && cur().text == n; }
  bool accept_op(std::string_view op) {
    if (!is_op(op)) return false;
    next();
    return true;
  }
  bool accept_name(std::string_view n) {
    if (!is_name(n)) return false;
    next();
    return true;
  }
  static std::string describe(const Token& t) {
    switch (t.kind) {
      case Tok::Eof: return "end of template";
      case Tok::BlockEnd: return "end of statement block";
      case Tok::VarEnd: return "end of print statement";
      case Tok::Data: return "template data";
      default: return "'" + t.text + "'";
    }
  }
  void expect_op(std::string_view op) {
    if (!accept_op(op)) fail(cur(), "expected '" + std::string(op) + "', got " + describe(cur()));
  }
  std::string expect_name() {
    if (cur().kind != Tok::Name) fail(cur(), "expected a name, got " + describe(cur()));
    return next().text;
  }
  void expect_block_end() {
    if (cur().kind != Tok::BlockEnd) fail(cur(), "expected end of statement block, got " + describe(cur()));
    next();
  }

  ExprPtr make(Expr::K k, const Token& at) {
    auto e = std::make_unique<Expr>();
    e->k = k;
    e->line = at.line;
    e->column = at.column;
    return e;
  }
  NodePtr make_node(Node::K k, const Token& at) {
    auto n = std::make_unique<Node>();
    n->k = k;
    n->line = at.line;
    n->column = at.column;
    return n;
  }

  // Parses until `{% <one of ends>`; leaves the position on that name token.
  Body parse_body(std::initializer_list<std::string_view> ends);

  NodePtr parse_statement();

  NodePtr parse_if(const Token& at);

  std::vector<std::string> parse_targets();

  NodePtr parse_for(const Token& at);

  NodePtr parse_set(const Token& at);

  std::vector<MacroParam> parse_params();

  NodePtr parse_macro(const Token& at);

  NodePtr parse_call_block(const Token& at);

  NodePtr parse_filter_block(const Token& at);

  NodePtr parse_with(const Token& at);

  // ---- expressions ----

  ExprPtr parse_tuple(bool with_condexpr);

  ExprPtr parse_expression(bool with_condexpr);

  ExprPtr parse_condexpr();

  ExprPtr parse_binary_chain(Expr::K k, std::string_view kw, ExprPtr (Parser::*sub)());
  ExprPtr parse_or();
  ExprPtr parse_and();

  ExprPtr parse_not();

  ExprPtr parse_compare();

  ExprPtr parse_left_assoc(std::initializer_list<std::string_view> ops, ExprPtr (Parser::*sub)());
  ExprPtr parse_math1();
  ExprPtr parse_math2();
  ExprPtr parse_pow();

  ExprPtr parse_concat();

  ExprPtr parse_unary_filtered();

  ExprPtr parse_unary(bool with_filter);

  ExprPtr parse_primary();

  ExprPtr parse_postfix(ExprPtr e);

  ExprPtr parse_subscript(ExprPtr target, const Token& at);

  void parse_call_args(Expr& e);

  ExprPtr parse_call(ExprPtr callee);

  // `| name(args) | name ...`; `input` null for filter blocks and `{% set x | f %}`.
  ExprPtr parse_filter_chain(ExprPtr input, bool leading_pipe = true);

  ExprPtr parse_filter_expr(ExprPtr e);

  ExprPtr parse_test(ExprPtr e);

  const std::vector<Token>& t_;
  std::string_view origin_;
  size_t pos_ = 0;
  int depth_ = 0;
  int loop_depth_ = 0;
};

}  // namespace moe::tmpl

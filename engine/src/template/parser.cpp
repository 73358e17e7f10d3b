// Statements: the template body, tags and their blocks.
#include "parser-impl.hpp"

namespace moe::tmpl {

Body Parser::parse_all() {
  Body body = parse_body({});
  if (cur().kind != Tok::Eof) fail(cur(), "unexpected '" + cur().text + "'");
  return body;
}

Body Parser::parse_body(std::initializer_list<std::string_view> ends) {
  Body body;
  while (true) {
    const Token& t = cur();
    if (t.kind == Tok::Eof) {
      if (ends.size() != 0) {
        std::string expected;
        for (auto e : ends) expected += (expected.empty() ? "'" : " or '") + std::string(e) + "'";
        fail(t, "unexpected end of template, expected " + expected);
      }
      return body;
    }
    if (t.kind == Tok::Data) {
      auto n = make_node(Node::K::Text, t);
      n->text = t.text;
      body.push_back(std::move(n));
      next();
    } else if (t.kind == Tok::VarBegin) {
      next();
      auto n = make_node(Node::K::Output, t);
      n->expr = parse_tuple(true);
      if (cur().kind != Tok::VarEnd) fail(cur(), "expected end of print statement, got " + describe(cur()));
      next();
      body.push_back(std::move(n));
    } else if (t.kind == Tok::BlockBegin) {
      const Token& name = peek();
      if (name.kind == Tok::Name) {
        for (auto e : ends)
          if (name.text == e) {
            next();
            return body;
          }
      }
      next();
      body.push_back(parse_statement());
    } else {
      fail(t, "unexpected " + describe(t));
    }
  }
}

NodePtr Parser::parse_statement() {
  const Token& t = cur();
  DepthGuard guard(*this, t);
  if (t.kind != Tok::Name) fail(t, "expected a statement name, got " + describe(t));
  std::string kw = next().text;
  if (kw == "if") return parse_if(t);
  if (kw == "for") return parse_for(t);
  if (kw == "set") return parse_set(t);
  if (kw == "macro") return parse_macro(t);
  if (kw == "call") return parse_call_block(t);
  if (kw == "filter") return parse_filter_block(t);
  if (kw == "with") return parse_with(t);
  if (kw == "generation") {
    auto n = make_node(Node::K::Scope, t);
    expect_block_end();
    n->body = parse_body({"endgeneration"});
    next();
    expect_block_end();
    return n;
  }
  if (kw == "break" || kw == "continue") {
    if (loop_depth_ == 0) fail(t, "'" + kw + "' outside of a loop");
    expect_block_end();
    return make_node(kw == "break" ? Node::K::Break : Node::K::Continue, t);
  }
  if (kw == "include" || kw == "import" || kw == "from" || kw == "extends" || kw == "block")
    fail(t, "tag '" + kw + "' is not allowed in chat templates (no template loading)");
  fail(t, "unknown tag '" + kw + "'");
}

NodePtr Parser::parse_if(const Token& at) {
  auto n = make_node(Node::K::If, at);
  n->conds.push_back(parse_tuple(true));
  expect_block_end();
  n->bodies.push_back(parse_body({"elif", "else", "endif"}));
  while (true) {
    std::string kw = next().text;
    if (kw == "elif") {
      n->conds.push_back(parse_tuple(true));
      expect_block_end();
      n->bodies.push_back(parse_body({"elif", "else", "endif"}));
    } else if (kw == "else") {
      expect_block_end();
      n->else_body = parse_body({"endif"});
      next();
      break;
    } else {
      break;
    }
  }
  expect_block_end();
  return n;
}

std::vector<std::string> Parser::parse_targets() {
  std::vector<std::string> names;
  bool paren = accept_op("(");
  names.push_back(expect_name());
  while (accept_op(",")) {
    if (cur().kind != Tok::Name) break;
    names.push_back(expect_name());
  }
  if (paren) expect_op(")");
  return names;
}

NodePtr Parser::parse_for(const Token& at) {
  auto n = make_node(Node::K::For, at);
  n->targets = parse_targets();
  if (!accept_name("in")) fail(cur(), "expected 'in', got " + describe(cur()));
  n->expr = parse_tuple(false);
  if (accept_name("if")) n->cond = parse_expression(true);
  if (accept_name("recursive")) n->recursive = true;
  expect_block_end();
  ++loop_depth_;
  n->body = parse_body({"endfor", "else"});
  --loop_depth_;
  if (next().text == "else") {
    expect_block_end();
    n->else_body = parse_body({"endfor"});
    next();
  }
  expect_block_end();
  return n;
}

NodePtr Parser::parse_set(const Token& at) {
  if (cur().kind == Tok::Name && peek().kind == Tok::Op && peek().text == ".") {
    auto n = make_node(Node::K::Set, at);
    n->attr_of = next().text;
    next();
    n->attr = expect_name();
    expect_op("=");
    n->expr = parse_tuple(true);
    expect_block_end();
    return n;
  }
  auto targets = parse_targets();
  if (accept_op("=")) {
    auto n = make_node(Node::K::Set, at);
    n->targets = std::move(targets);
    n->expr = parse_tuple(true);
    expect_block_end();
    return n;
  }
  auto n = make_node(Node::K::SetBlock, at);
  n->targets = std::move(targets);
  if (is_op("|")) n->expr = parse_filter_chain(nullptr);
  expect_block_end();
  n->body = parse_body({"endset"});
  next();
  expect_block_end();
  return n;
}

std::vector<MacroParam> Parser::parse_params() {
  std::vector<MacroParam> params;
  expect_op("(");
  while (!is_op(")")) {
    if (!params.empty()) expect_op(",");
    if (is_op(")")) break;
    MacroParam p;
    p.name = expect_name();
    if (accept_op("=")) p.default_value = parse_expression(true);
    params.push_back(std::move(p));
  }
  next();
  return params;
}

NodePtr Parser::parse_macro(const Token& at) {
  auto n = make_node(Node::K::Macro, at);
  n->name = expect_name();
  n->params = parse_params();
  expect_block_end();
  int saved = loop_depth_;
  loop_depth_ = 0;
  n->body = parse_body({"endmacro"});
  loop_depth_ = saved;
  next();
  if (cur().kind == Tok::Name) next();
  expect_block_end();
  return n;
}

NodePtr Parser::parse_call_block(const Token& at) {
  auto n = make_node(Node::K::CallBlock, at);
  if (is_op("(")) n->params = parse_params();
  n->expr = parse_expression(true);
  if (n->expr->k != Expr::K::Call) fail(at, "expected a call expression in call block");
  expect_block_end();
  n->body = parse_body({"endcall"});
  next();
  expect_block_end();
  return n;
}

NodePtr Parser::parse_filter_block(const Token& at) {
  auto n = make_node(Node::K::FilterBlock, at);
  n->expr = parse_filter_chain(nullptr, /*leading_pipe=*/false);
  expect_block_end();
  n->body = parse_body({"endfilter"});
  next();
  expect_block_end();
  return n;
}

NodePtr Parser::parse_with(const Token& at) {
  auto n = make_node(Node::K::With, at);
  while (cur().kind != Tok::BlockEnd) {
    if (!n->targets.empty()) expect_op(",");
    n->targets.push_back(expect_name());
    expect_op("=");
    n->values.push_back(parse_expression(true));
  }
  expect_block_end();
  n->body = parse_body({"endwith"});
  next();
  expect_block_end();
  return n;
}

Body parse_template(const std::vector<Token>& tokens, std::string_view origin) {
  return Parser(tokens, origin).parse_all();
}

}  // namespace moe::tmpl

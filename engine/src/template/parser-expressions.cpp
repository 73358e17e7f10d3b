// Expressions, with Jinja2's precedence: conditional, or, and, not, comparisons, + -, ~,
// * / // %, **, unary, then postfix (attribute, subscript, call) and filters/tests.
#include <cerrno>
#include <cstdlib>

#include "parser-impl.hpp"

namespace moe::tmpl {

ExprPtr Parser::parse_tuple(bool with_condexpr) {
  const Token& at = cur();
  ExprPtr first = parse_expression(with_condexpr);
  if (!is_op(",")) return first;
  auto tup = make(Expr::K::Tuple, at);
  tup->args.push_back(std::move(first));
  while (accept_op(",")) {
    if (cur().kind == Tok::BlockEnd || cur().kind == Tok::VarEnd || is_op(")")) break;
    tup->args.push_back(parse_expression(with_condexpr));
  }
  return tup;
}

ExprPtr Parser::parse_expression(bool with_condexpr) {
  DepthGuard guard(*this, cur());
  return with_condexpr ? parse_condexpr() : parse_or();
}

ExprPtr Parser::parse_condexpr() {
  const Token& at = cur();
  ExprPtr e = parse_or();
  while (accept_name("if")) {
    auto c = make(Expr::K::Cond, at);
    c->args.push_back(parse_or());
    c->args.push_back(std::move(e));
    c->args.push_back(accept_name("else") ? parse_condexpr() : nullptr);
    e = std::move(c);
  }
  return e;
}

ExprPtr Parser::parse_binary_chain(Expr::K k, std::string_view kw, ExprPtr (Parser::*sub)()) {
  const Token& at = cur();
  ExprPtr e = (this->*sub)();
  while (is_name(kw)) {
    next();
    auto b = make(k, at);
    b->args.push_back(std::move(e));
    b->args.push_back((this->*sub)());
    e = std::move(b);
  }
  return e;
}

ExprPtr Parser::parse_not() {
  if (is_name("not")) {
    const Token& at = next();
    DepthGuard guard(*this, at);
    auto n = make(Expr::K::Not, at);
    n->args.push_back(parse_not());
    return n;
  }
  return parse_compare();
}

ExprPtr Parser::parse_compare() {
  const Token& at = cur();
  ExprPtr e = parse_math1();
  ExprPtr cmp;
  while (true) {
    std::string op;
    if (cur().kind == Tok::Op && (cur().text == "==" || cur().text == "!=" || cur().text == "<" || cur().text == "<=" ||
                                  cur().text == ">" || cur().text == ">=")) {
      op = next().text;
    } else if (is_name("in")) {
      next();
      op = "in";
    } else if (is_name("not") && peek().kind == Tok::Name && peek().text == "in") {
      next();
      next();
      op = "not in";
    } else {
      break;
    }
    if (!cmp) {
      cmp = make(Expr::K::Compare, at);
      cmp->args.push_back(std::move(e));
    }
    cmp->ops.push_back(op);
    cmp->args.push_back(parse_math1());
  }
  return cmp ? std::move(cmp) : std::move(e);
}

ExprPtr Parser::parse_left_assoc(std::initializer_list<std::string_view> ops, ExprPtr (Parser::*sub)()) {
  const Token& at = cur();
  ExprPtr e = (this->*sub)();
  while (cur().kind == Tok::Op) {
    bool match = false;
    for (auto op : ops) match = match || cur().text == op;
    if (!match) break;
    auto b = make(Expr::K::Binary, at);
    b->name = next().text;
    b->args.push_back(std::move(e));
    b->args.push_back((this->*sub)());
    e = std::move(b);
  }
  return e;
}

ExprPtr Parser::parse_concat() {
  const Token& at = cur();
  ExprPtr e = parse_math2();
  if (!is_op("~")) return e;
  auto c = make(Expr::K::Concat, at);
  c->args.push_back(std::move(e));
  while (accept_op("~")) c->args.push_back(parse_math2());
  return c;
}

ExprPtr Parser::parse_unary(bool with_filter) {
  const Token& at = cur();
  DepthGuard guard(*this, at);
  ExprPtr e;
  if (is_op("-") || is_op("+")) {
    auto u = make(cur().text == "-" ? Expr::K::Neg : Expr::K::Pos, at);
    next();
    u->args.push_back(parse_unary(false));
    e = std::move(u);
  } else {
    e = parse_postfix(parse_primary());
  }
  return with_filter ? parse_filter_expr(std::move(e)) : std::move(e);
}

ExprPtr Parser::parse_primary() {
  const Token& t = cur();
  switch (t.kind) {
    case Tok::Name: {
      next();
      auto lit = [&](Value v) {
        auto e = make(Expr::K::Literal, t);
        e->literal = std::move(v);
        return e;
      };
      if (t.text == "true" || t.text == "True") return lit(Value(true));
      if (t.text == "false" || t.text == "False") return lit(Value(false));
      if (t.text == "none" || t.text == "None") return lit(Value::none());
      auto e = make(Expr::K::Name, t);
      e->name = t.text;
      return e;
    }
    case Tok::String: {
      std::string s;
      while (cur().kind == Tok::String) s += next().text;
      auto e = make(Expr::K::Literal, t);
      e->literal = Value(std::move(s));
      return e;
    }
    case Tok::Integer: {
      next();
      errno = 0;
      long long v = std::strtoll(t.text.c_str(), nullptr, 10);
      if (errno == ERANGE) fail(t, "integer literal out of range");
      auto e = make(Expr::K::Literal, t);
      e->literal = Value(static_cast<int64_t>(v));
      return e;
    }
    case Tok::Float: {
      next();
      auto e = make(Expr::K::Literal, t);
      e->literal = Value(std::strtod(t.text.c_str(), nullptr));
      return e;
    }
    case Tok::Op:
      if (t.text == "(") {
        next();
        if (accept_op(")")) return make(Expr::K::Tuple, t);
        ExprPtr e = parse_tuple(true);
        expect_op(")");
        return e;
      }
      if (t.text == "[") {
        next();
        auto e = make(Expr::K::List, t);
        while (!is_op("]")) {
          if (!e->args.empty()) expect_op(",");
          if (is_op("]")) break;
          e->args.push_back(parse_expression(true));
        }
        next();
        return e;
      }
      if (t.text == "{") {
        next();
        auto e = make(Expr::K::Dict, t);
        while (!is_op("}")) {
          if (!e->args.empty()) expect_op(",");
          if (is_op("}")) break;
          e->args.push_back(parse_expression(true));
          expect_op(":");
          e->args.push_back(parse_expression(true));
        }
        next();
        return e;
      }
      break;
    default: break;
  }
  fail(t, "unexpected " + describe(t));
}

ExprPtr Parser::parse_postfix(ExprPtr e) {
  while (true) {
    const Token& at = cur();
    if (accept_op(".")) {
      if (cur().kind == Tok::Name) {
        auto g = make(Expr::K::GetAttr, at);
        g->name = next().text;
        g->args.push_back(std::move(e));
        e = std::move(g);
      } else if (cur().kind == Tok::Integer) {
        auto g = make(Expr::K::GetItem, at);
        auto idx = make(Expr::K::Literal, cur());
        idx->literal = Value(static_cast<int64_t>(std::strtoll(next().text.c_str(), nullptr, 10)));
        g->args.push_back(std::move(e));
        g->args.push_back(std::move(idx));
        e = std::move(g);
      } else {
        fail(cur(), "expected an attribute name after '.'");
      }
    } else if (accept_op("[")) {
      e = parse_subscript(std::move(e), at);
    } else if (is_op("(")) {
      e = parse_call(std::move(e));
    } else {
      return e;
    }
  }
}

ExprPtr Parser::parse_subscript(ExprPtr target, const Token& at) {
  ExprPtr parts[3];
  int colons = 0;
  while (!is_op("]")) {
    if (accept_op(":")) {
      if (++colons > 2) fail(cur(), "invalid slice");
      continue;
    }
    if (parts[colons]) fail(cur(), "expected ']' or ':'");
    parts[colons] = parse_expression(true);
  }
  next();
  if (colons == 0) {
    if (!parts[0]) fail(at, "empty subscript");
    auto g = make(Expr::K::GetItem, at);
    g->args.push_back(std::move(target));
    g->args.push_back(std::move(parts[0]));
    return g;
  }
  auto s = make(Expr::K::Slice, at);
  s->args.push_back(std::move(target));
  for (auto& p : parts) s->args.push_back(std::move(p));
  return s;
}

void Parser::parse_call_args(Expr& e) {
  expect_op("(");
  size_t count = 0;
  while (!is_op(")")) {
    if (count++ > 0) {
      expect_op(",");
      if (is_op(")")) break;
    }
    if (is_op("*") || is_op("**")) fail(cur(), "argument unpacking is not supported");
    if (cur().kind == Tok::Name && peek().kind == Tok::Op && peek().text == "=") {
      std::string key = next().text;
      next();
      e.kwargs.emplace_back(std::move(key), parse_expression(true));
    } else {
      if (!e.kwargs.empty()) fail(cur(), "positional argument after keyword argument");
      e.args.push_back(parse_expression(true));
    }
  }
  next();
}

ExprPtr Parser::parse_call(ExprPtr callee) {
  auto c = make(Expr::K::Call, cur());
  c->args.push_back(std::move(callee));
  parse_call_args(*c);
  return c;
}

ExprPtr Parser::parse_filter_chain(ExprPtr input, bool leading_pipe) {
  bool first = true;
  while (leading_pipe || !first ? accept_op("|") : true) {
    first = false;
    const Token& at = cur();
    auto f = make(Expr::K::Filter, at);
    f->name = expect_name();
    while (is_op(".") && peek().kind == Tok::Name) {
      next();
      f->name += "." + next().text;
    }
    f->args.push_back(std::move(input));
    if (is_op("(")) parse_call_args(*f);
    input = std::move(f);
  }
  return input;
}

ExprPtr Parser::parse_filter_expr(ExprPtr e) {
  while (true) {
    if (is_op("|")) {
      e = parse_filter_chain(std::move(e));
    } else if (is_name("is")) {
      e = parse_test(std::move(e));
    } else if (is_op("(")) {
      e = parse_call(std::move(e));
    } else {
      return e;
    }
  }
}

ExprPtr Parser::parse_test(ExprPtr e) {
  const Token& at = next();
  auto t = make(Expr::K::Test, at);
  t->negated = accept_name("not");
  t->name = expect_name();
  while (is_op(".") && peek().kind == Tok::Name) {
    next();
    t->name += "." + next().text;
  }
  t->args.push_back(std::move(e));
  const Token& c = cur();
  if (is_op("(")) {
    parse_call_args(*t);
  } else if ((c.kind == Tok::Name || c.kind == Tok::String || c.kind == Tok::Integer || c.kind == Tok::Float ||
              is_op("[") || is_op("{")) &&
             !(c.kind == Tok::Name && (c.text == "else" || c.text == "or" || c.text == "and"))) {
    if (is_name("is")) fail(c, "you cannot chain multiple tests with is");
    t->args.push_back(parse_postfix(parse_primary()));
  }
  return t;
}

ExprPtr Parser::parse_or() { return parse_binary_chain(Expr::K::Or, "or", &Parser::parse_and); }

ExprPtr Parser::parse_and() { return parse_binary_chain(Expr::K::And, "and", &Parser::parse_not); }

ExprPtr Parser::parse_math1() { return parse_left_assoc({"+", "-"}, &Parser::parse_concat); }

ExprPtr Parser::parse_math2() { return parse_left_assoc({"*", "/", "//", "%"}, &Parser::parse_pow); }

ExprPtr Parser::parse_pow() { return parse_left_assoc({"**"}, &Parser::parse_unary_filtered); }

ExprPtr Parser::parse_unary_filtered() { return parse_unary(true); }
}  // namespace moe::tmpl

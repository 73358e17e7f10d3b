#pragma once
// Syntax tree of a parsed template. Nodes are immutable after parsing; the evaluator walks them.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "value.hpp"

namespace moe::tmpl {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  enum class K {
    Literal,  // value
    Name,     // name
    GetAttr,  // args[0].name
    GetItem,  // args[0][args[1]]
    Slice,    // args[0][args[1]:args[2]:args[3]] (null children = omitted)
    Call,     // args[0](args[1..], kwargs)
    Filter,   // args[0] | name(args[1..], kwargs); args[0] null inside filter blocks
    Test,     // args[0] is [not] name(args[1..]); negated
    Neg,      // -args[0]
    Pos,      // +args[0]
    Not,      // not args[0]
    Binary,   // args[0] op args[1]: + - * / // % **
    Concat,   // args joined with ~
    Compare,  // args[0] ops[0] args[1] ops[1] args[2] ...
    And,
    Or,
    Cond,  // args[1] if args[0] else args[2] (args[2] may be null)
    List,
    Tuple,
    Dict,  // args = k0, v0, k1, v1...
  };
  K k;
  int line = 0;
  int column = 0;
  Value literal;
  std::string name;
  bool negated = false;
  std::vector<std::string> ops;
  std::vector<ExprPtr> args;
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
};

struct Node;
using NodePtr = std::unique_ptr<Node>;
using Body = std::vector<NodePtr>;

struct MacroParam {
  std::string name;
  ExprPtr default_value;  // null: required
};

struct Node {
  enum class K {
    Text,         // text
    Output,       // {{ expr }}
    If,           // conds[i] → bodies[i]; else_body
    For,          // targets in expr [if cond] body else_body
    Set,          // targets = expr, or attr_of.attr = expr
    SetBlock,     // targets[0] = rendered body (| filter chain in expr, input null)
    Macro,        // name(params) body
    CallBlock,    // {% call(params) expr %} body: `caller` is a macro over body
    FilterBlock,  // expr (filter chain with null input) applied to rendered body
    With,         // set targets[i] = values[i] in a new scope, body
    Break,
    Continue,
    Scope,  // body in place (generation blocks)
  };
  K k;
  int line = 0;
  int column = 0;
  std::string text;
  ExprPtr expr;
  ExprPtr cond;
  std::vector<ExprPtr> conds;
  std::vector<Body> bodies;
  Body body;
  Body else_body;
  std::vector<std::string> targets;
  std::vector<ExprPtr> values;
  std::string attr_of;  // set ns.attr: the namespace variable
  std::string attr;
  std::string name;
  std::vector<MacroParam> params;
  bool recursive = false;
};

}  // namespace moe::tmpl

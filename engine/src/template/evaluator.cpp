#include "evaluator.hpp"

#include <exception>

#include "moe/chat-template.hpp"
#include "moe/errors.hpp"

namespace moe::tmpl {

Value CallArgs::get(size_t i, std::string_view name) const {
  if (i < pos.size()) return pos[i];
  for (const auto& [k, v] : kw)
    if (k == name) return v;
  return Value::undefined();
}

bool CallArgs::has(size_t i, std::string_view name) const {
  if (i < pos.size()) return true;
  for (const auto& kv : kw)
    if (kv.first == name) return true;
  return false;
}

namespace {

// Restores the error location after a child finished normally, so a failure in the parent
// names the parent; on an exception the innermost location stays.
struct LocationScope {
  int& line;
  int& column;
  int saved_line, saved_column;
  int exceptions = std::uncaught_exceptions();
  LocationScope(int& l, int& c, int nl, int nc) : line(l), column(c), saved_line(l), saved_column(c) {
    if (nl > 0) {
      line = nl;
      column = nc;
    }
  }
  ~LocationScope() {
    if (std::uncaught_exceptions() == exceptions) {
      line = saved_line;
      column = saved_column;
    }
  }
};

}  // namespace

Evaluator::Evaluator(std::string origin, Limits limits) : origin_(std::move(origin)), limits_(limits) {}

void Evaluator::fail(const std::string& msg) const {
  throw TemplateError("chat template '" + origin_ + "', line " + std::to_string(line_) + ", column " +
                      std::to_string(column_) + ": " + msg);
}

void Evaluator::fail_undefined(const Value& v) const {
  fail(v.hint().empty() ? std::string("value is undefined") : std::string(v.hint()));
}

void Evaluator::charge(uint64_t units) {
  work_ += units;
  if (work_ > limits_.max_work) fail("template exceeded its evaluation budget");
}

void Evaluator::check_container_size(size_t n) {
  if (n > limits_.max_container_items) fail("value too large (" + std::to_string(n) + " items)");
  charge(n / 16);
}

std::string Evaluator::render(const Body& body) {
  frames_.clear();
  frames_.push_back(Frame{});
  std::string out;
  exec_body(body, out);
  return out;
}

void Evaluator::emit(std::string& out, std::string_view s) {
  output_bytes_ += s.size();
  if (output_bytes_ > limits_.max_output_bytes)
    fail("template output exceeds " + std::to_string(limits_.max_output_bytes) + " bytes");
  charge(s.size() / 16);
  out += s;
}

Evaluator::Flow Evaluator::exec_body(const Body& body, std::string& out) {
  for (const auto& n : body) {
    Flow f = exec(*n, out);
    if (f != Flow::Normal) return f;
  }
  return Flow::Normal;
}

Evaluator::Flow Evaluator::exec(const Node& n, std::string& out) {
  LocationScope loc(line_, column_, n.line, n.column);
  switch (n.k) {
    case Node::K::Text: emit(out, n.text); break;
    case Node::K::Output: {
      Value v = eval(*n.expr);
      if (!v.is_undefined()) emit(out, v.to_str());
      break;
    }
    case Node::K::If:
      for (size_t i = 0; i < n.conds.size(); ++i)
        if (eval(*n.conds[i]).truthy()) return exec_body(n.bodies[i], out);
      return exec_body(n.else_body, out);
    case Node::K::For: exec_for(n, out); break;
    case Node::K::Set: exec_set(n, eval(*n.expr)); break;
    case Node::K::SetBlock: {
      std::string text;
      frames_.push_back(Frame{});
      try {
        exec_body(n.body, text);
      } catch (...) {
        frames_.pop_back();
        throw;
      }
      frames_.pop_back();
      Value v(std::move(text));
      if (n.expr) v = eval_filter(*n.expr, &v);
      exec_set(n, v);
      break;
    }
    case Node::K::Macro: assign(n.name, make_macro(n)); break;
    case Node::K::CallBlock: {
      Value caller = make_macro(n);
      Value callee = eval(*n.expr->args[0]);
      CallArgs args = eval_args(*n.expr, 1);
      args.kw.emplace_back("caller", caller);
      Value v = call(callee, args);
      if (!v.is_undefined()) emit(out, v.to_str());
      break;
    }
    case Node::K::FilterBlock: {
      std::string text;
      exec_body(n.body, text);
      Value v(std::move(text));
      emit(out, eval_filter(*n.expr, &v).to_str());
      break;
    }
    case Node::K::With: {
      std::vector<Value> vals;
      for (const auto& e : n.values) vals.push_back(eval(*e));
      frames_.push_back(Frame{});
      for (size_t i = 0; i < vals.size(); ++i) assign(n.targets[i], vals[i]);
      Flow f = Flow::Normal;
      try {
        f = exec_body(n.body, out);
      } catch (...) {
        frames_.pop_back();
        throw;
      }
      frames_.pop_back();
      return f;
    }
    case Node::K::Break: return Flow::Break;
    case Node::K::Continue: return Flow::Continue;
    case Node::K::Scope: return exec_body(n.body, out);
  }
  return Flow::Normal;
}

void Evaluator::exec_set(const Node& n, const Value& v) {
  if (!n.attr_of.empty()) {
    Value ns = lookup(n.attr_of);
    if (!ns.is_namespace())
      fail("can only assign attributes of a namespace(), '" + n.attr_of + "' is " + ns.type_name());
    ns.obj().set(n.attr, v);
    return;
  }
  assign_targets(n.targets, v);
}

namespace {

// Layout of the `loop` object; make_loop_object and update_loop_object agree on it.
enum LoopField : size_t {
  kIndex,
  kIndex0,
  kRevindex,
  kRevindex0,
  kFirst,
  kLast,
  kLength,
  kDepth,
  kDepth0,
  kPrev,
  kNext,
  kCycle
};

}  // namespace

Value Evaluator::make_loop_object(const std::vector<Value>& items, size_t, int depth) {
  Object o;
  for (const char* name : {"index", "index0", "revindex", "revindex0", "first", "last", "length"}) o.set(name, Value());
  o.set("depth", Value(depth));
  o.set("depth0", Value(depth - 1));
  o.set("previtem", Value());
  o.set("nextitem", Value());
  o.set("length", Value(static_cast<int64_t>(items.size())));
  auto index = std::make_shared<size_t>(0);
  o.set("cycle", Value::callable("loop.cycle", [index](Evaluator& ev, CallArgs& a) -> Value {
          if (a.pos.empty()) ev.fail("no items for cycling given");
          return a.pos[*index % a.pos.size()];
        }));
  Value loop = Value::object(std::move(o));
  loop_cycle_index_ = index;
  return loop;
}

// One `loop` object per for-loop, updated in place: allocating a fresh one per iteration
// dominated the cost of large loops.
void Evaluator::update_loop_object(Value& loop, const std::vector<Value>& items, size_t i) {
  Object& o = loop.obj();
  auto n = static_cast<int64_t>(items.size());
  auto idx = static_cast<int64_t>(i);
  o.value_at(kIndex) = Value(idx + 1);
  o.value_at(kIndex0) = Value(idx);
  o.value_at(kRevindex) = Value(n - idx);
  o.value_at(kRevindex0) = Value(n - idx - 1);
  o.value_at(kFirst) = Value(i == 0);
  o.value_at(kLast) = Value(idx == n - 1);
  o.value_at(kPrev) = i > 0 ? items[i - 1] : Value::undefined("there is no previous item");
  o.value_at(kNext) = idx + 1 < n ? items[i + 1] : Value::undefined("there is no next item");
}

void Evaluator::exec_for(const Node& n, std::string& out) {
  if (n.recursive) fail("recursive for loops are not supported");
  Value seq = eval(*n.expr);
  if (seq.is_none()) fail("'NoneType' object is not iterable");
  std::vector<Value> items = iterate(seq);
  if (n.cond) {
    std::vector<Value> kept;
    frames_.push_back(Frame{});
    try {
      for (const auto& item : items) {
        if (++loop_iterations_ > limits_.max_loop_iterations) fail("loop iteration limit exceeded");
        frames_.back().vars.clear();
        assign_targets(n.targets, item);
        if (eval(*n.cond).truthy()) kept.push_back(item);
      }
    } catch (...) {
      frames_.pop_back();
      throw;
    }
    frames_.pop_back();
    items = std::move(kept);
  }
  if (items.empty()) {
    exec_body(n.else_body, out);
    return;
  }
  Value loop = make_loop_object(items, 0, 1);
  auto cycle_index = loop_cycle_index_;
  frames_.push_back(Frame{});
  try {
    for (size_t i = 0; i < items.size(); ++i) {
      if (++loop_iterations_ > limits_.max_loop_iterations) fail("loop iteration limit exceeded");
      // Each iteration starts with fresh locals, like Jinja2's per-iteration scope.
      frames_.back().vars.clear();
      update_loop_object(loop, items, i);
      *cycle_index = i;
      assign_targets(n.targets, items[i]);
      assign("loop", loop);
      if (exec_body(n.body, out) == Flow::Break) break;
    }
  } catch (...) {
    frames_.pop_back();
    throw;
  }
  frames_.pop_back();
}

Value Evaluator::make_macro(const Node& n) {
  const Node* node = &n;
  return Value::callable(n.k == Node::K::Macro ? n.name : "caller", [node](Evaluator& ev, CallArgs& args) -> Value {
    if (ev.call_depth_ >= ev.limits_.max_call_depth)
      ev.fail("maximum macro recursion depth (" + std::to_string(ev.limits_.max_call_depth) + ") exceeded");
    ++ev.call_depth_;
    ev.frames_.push_back(Frame{{}, true});
    std::string text;
    try {
      size_t next_pos = 0;
      for (const auto& p : node->params) {
        Value v;
        bool found = false;
        if (next_pos < args.pos.size()) {
          v = args.pos[next_pos++];
          found = true;
        } else {
          for (const auto& [k, kv] : args.kw)
            if (k == p.name) {
              v = kv;
              found = true;
            }
        }
        if (!found) v = p.default_value ? ev.eval(*p.default_value) : Value::undefined("'" + p.name + "' is undefined");
        ev.assign(p.name, v);
      }
      Array varargs(args.pos.begin() + static_cast<std::ptrdiff_t>(std::min(next_pos, args.pos.size())),
                    args.pos.end());
      ev.assign("varargs", Value::tuple(std::move(varargs)));
      Object kwargs;
      for (const auto& [k, kv] : args.kw) {
        bool is_param = false;
        for (const auto& p : node->params) is_param = is_param || p.name == k;
        if (k == "caller")
          ev.assign("caller", kv);
        else if (!is_param)
          kwargs.set(k, kv);
      }
      ev.assign("kwargs", Value::object(std::move(kwargs)));
      ev.exec_body(node->body, text);
    } catch (...) {
      ev.frames_.pop_back();
      --ev.call_depth_;
      throw;
    }
    ev.frames_.pop_back();
    --ev.call_depth_;
    return Value(std::move(text));
  });
}

Value Evaluator::lookup(const std::string& name) {
  for (size_t i = frames_.size(); i-- > 0;) {
    auto it = frames_[i].vars.find(name);
    if (it != frames_[i].vars.end()) return it->second;
    if (frames_[i].barrier && i > 0) i = 1;  // continue with the root frame
  }
  if (auto it = globals_.find(name); it != globals_.end()) return it->second;
  return Value::undefined("'" + name + "' is undefined");
}

void Evaluator::assign(const std::string& name, Value v) { frames_.back().vars[name] = std::move(v); }

void Evaluator::assign_targets(const std::vector<std::string>& targets, const Value& v) {
  if (targets.size() == 1) {
    assign(targets[0], v);
    return;
  }
  std::vector<Value> items = iterate(v);
  if (items.size() < targets.size())
    fail("not enough values to unpack (expected " + std::to_string(targets.size()) + ", got " +
         std::to_string(items.size()) + ")");
  if (items.size() > targets.size())
    fail("too many values to unpack (expected " + std::to_string(targets.size()) + ")");
  for (size_t i = 0; i < targets.size(); ++i) assign(targets[i], items[i]);
}

CallArgs Evaluator::eval_args(const Expr& e, size_t first) {
  CallArgs a;
  for (size_t i = first; i < e.args.size(); ++i) a.pos.push_back(eval(*e.args[i]));
  for (const auto& [k, v] : e.kwargs) a.kw.emplace_back(k, eval(*v));
  return a;
}

Value Evaluator::call(const Value& fn, CallArgs& args) {
  if (fn.is_undefined()) fail_undefined(fn);
  if (!fn.is_callable()) fail("'" + fn.type_name() + "' object is not callable");
  return fn.fn().fn(*this, args);
}

Value Evaluator::apply_filter(const std::string& name, const Value& input, CallArgs& args) {
  Value result;
  if (!call_builtin_filter(*this, name, input, args, result)) fail("no filter named '" + name + "'");
  return result;
}

bool Evaluator::apply_test(const std::string& name, const Value& input, CallArgs& args) {
  bool result = false;
  if (!call_builtin_test(*this, name, input, args, result)) fail("no test named '" + name + "'");
  return result;
}

Value Evaluator::eval_filter(const Expr& e, const Value* base) {
  Value input;
  if (!e.args[0])
    input = base ? *base : Value::undefined();
  else if (e.args[0]->k == Expr::K::Filter && base)
    input = eval_filter(*e.args[0], base);
  else
    input = eval(*e.args[0]);
  LocationScope loc(line_, column_, e.line, e.column);
  CallArgs args = eval_args(e, 1);
  return apply_filter(e.name, input, args);
}

Value Evaluator::eval_call(const Expr& e) {
  Value fn = eval(*e.args[0]);
  CallArgs args = eval_args(e, 1);
  return call(fn, args);
}

Value Evaluator::eval(const Expr& e) {
  LocationScope loc(line_, column_, e.line, e.column);
  charge(1);
  switch (e.k) {
    case Expr::K::Literal: return e.literal;
    case Expr::K::Name: return lookup(e.name);
    case Expr::K::GetAttr: return get_attr(eval(*e.args[0]), e.name);
    case Expr::K::GetItem: {
      Value obj = eval(*e.args[0]);
      return get_item(obj, eval(*e.args[1]));
    }
    case Expr::K::Slice: return eval_slice(e);
    case Expr::K::Call: return eval_call(e);
    case Expr::K::Filter: return eval_filter(e, nullptr);
    case Expr::K::Test: {
      Value v = eval(*e.args[0]);
      CallArgs args = eval_args(e, 1);
      bool r = apply_test(e.name, v, args);
      return Value(e.negated ? !r : r);
    }
    case Expr::K::Neg: {
      Value v = eval(*e.args[0]);
      if (v.is_undefined()) fail_undefined(v);
      if (v.is_float()) return Value(-v.as_double());
      if (!v.is_number()) fail("bad operand type for unary -: '" + v.type_name() + "'");
      if (v.as_int() == INT64_MIN) fail("integer overflow");
      return Value(-v.as_int());
    }
    case Expr::K::Pos: {
      Value v = eval(*e.args[0]);
      if (v.is_undefined()) fail_undefined(v);
      if (!v.is_number()) fail("bad operand type for unary +: '" + v.type_name() + "'");
      return v.is_bool() ? Value(v.as_int()) : v;
    }
    case Expr::K::Not: return Value(!eval(*e.args[0]).truthy());
    case Expr::K::Binary: {
      Value a = eval(*e.args[0]);
      Value b = eval(*e.args[1]);
      return binary(e.name, a, b);
    }
    case Expr::K::Concat: {
      std::string s;
      for (const auto& a : e.args) {
        s += eval(*a).to_str();
        if (s.size() > limits_.max_output_bytes) fail("string too large");
      }
      charge(s.size() / 16);
      return Value(std::move(s));
    }
    case Expr::K::Compare: {
      Value left = eval(*e.args[0]);
      for (size_t i = 0; i < e.ops.size(); ++i) {
        Value right = eval(*e.args[i + 1]);
        if (!compare(e.ops[i], left, right)) return Value(false);
        left = std::move(right);
      }
      return Value(true);
    }
    case Expr::K::And: {
      Value a = eval(*e.args[0]);
      return a.truthy() ? eval(*e.args[1]) : a;
    }
    case Expr::K::Or: {
      Value a = eval(*e.args[0]);
      return a.truthy() ? a : eval(*e.args[1]);
    }
    case Expr::K::Cond:
      if (eval(*e.args[0]).truthy()) return eval(*e.args[1]);
      return e.args[2] ? eval(*e.args[2]) : Value::undefined("conditional expression evaluated to undefined");
    case Expr::K::List:
    case Expr::K::Tuple: {
      Array a;
      for (const auto& x : e.args) a.push_back(eval(*x));
      return e.k == Expr::K::Tuple ? Value::tuple(std::move(a)) : Value(std::move(a));
    }
    case Expr::K::Dict: {
      Object o;
      for (size_t i = 0; i + 1 < e.args.size(); i += 2) {
        Value k = eval(*e.args[i]);
        o.set(k.is_string() ? k.str() : k.to_str(), eval(*e.args[i + 1]));
      }
      return Value::object(std::move(o));
    }
  }
  return Value::undefined();
}

}  // namespace moe::tmpl

#pragma once
// Tree-walking evaluator. All resource bounds of the sandbox are enforced here: call depth,
// loop iterations, a work budget for expression evaluation and string building, and the
// output size.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ast.hpp"
#include "value.hpp"

namespace moe::tmpl {

struct Limits {
  int max_call_depth = 64;
  uint64_t max_loop_iterations = 1'000'000;  // all loops of one render together
  uint64_t max_work = 100'000'000;           // expression evaluations + bytes/16 built
  size_t max_output_bytes = 16u << 20;
  size_t max_container_items = 1u << 20;  // range(), list growth, string repetition
};

struct CallArgs {
  std::vector<Value> pos;
  std::vector<std::pair<std::string, Value>> kw;

  // Positional index `i` or keyword `name`; undefined when absent.
  [[nodiscard]] Value get(size_t i, std::string_view name) const;
  [[nodiscard]] bool has(size_t i, std::string_view name) const;
};

class Evaluator {
 public:
  Evaluator(std::string origin, Limits limits);

  void set_global(const std::string& name, Value v) { globals_[name] = std::move(v); }
  std::string render(const Body& body);

  // Error helpers: message prefixed with origin, line and column of the current node.
  [[noreturn]] void fail(const std::string& msg) const;
  [[noreturn]] void fail_undefined(const Value& v) const;
  void location(int& line, int& column) const {
    line = line_;
    column = column_;
  }
  void charge(uint64_t units);
  void check_container_size(size_t n);
  const Limits& limits() const { return limits_; }

  Value call(const Value& fn, CallArgs& args);
  Value apply_filter(const std::string& name, const Value& input, CallArgs& args);
  bool apply_test(const std::string& name, const Value& input, CallArgs& args);
  Value get_attr(const Value& obj, const std::string& name);
  Value get_item(const Value& obj, const Value& key);
  // Iteration as Python does it: list items, dict keys, string characters.
  std::vector<Value> iterate(const Value& v);

  Value binary(const std::string& op, const Value& a, const Value& b);
  bool compare(const std::string& op, const Value& a, const Value& b);
  bool contains(const Value& container, const Value& item);

 private:
  enum class Flow { Normal, Break, Continue };

  Flow exec_body(const Body& body, std::string& out);
  Flow exec(const Node& n, std::string& out);
  void exec_for(const Node& n, std::string& out);
  void exec_set(const Node& n, const Value& v);
  Value make_macro(const Node& n);
  Value make_loop_object(const std::vector<Value>& items, size_t i, int depth);
  void update_loop_object(Value& loop, const std::vector<Value>& items, size_t i);

  Value eval(const Expr& e);
  Value eval_call(const Expr& e);
  Value eval_filter(const Expr& e, const Value* input);
  Value eval_slice(const Expr& e);
  CallArgs eval_args(const Expr& e, size_t first);
  void emit(std::string& out, std::string_view s);

  Value lookup(const std::string& name);
  void assign(const std::string& name, Value v);
  void assign_targets(const std::vector<std::string>& targets, const Value& v);

  struct Frame {
    std::unordered_map<std::string, Value> vars;
    bool barrier = false;  // macro frames do not see the caller's locals
  };

  std::string origin_;
  Limits limits_;
  std::unordered_map<std::string, Value> globals_;
  std::vector<Frame> frames_;
  int line_ = 0;
  int column_ = 0;
  int call_depth_ = 0;
  uint64_t loop_iterations_ = 0;
  uint64_t work_ = 0;
  size_t output_bytes_ = 0;
  std::shared_ptr<size_t> loop_cycle_index_;
};

// Builtin tables (filters.cpp, tests.cpp, methods.cpp).
bool call_builtin_filter(Evaluator& ev, const std::string& name, const Value& input, CallArgs& args, Value& result);
bool call_builtin_test(Evaluator& ev, const std::string& name, const Value& input, CallArgs& args, bool& result);
// Bound method `obj.name` (str/dict/list methods); undefined when there is none.
Value lookup_method(Evaluator& ev, const Value& obj, const std::string& name);
std::string tojson_string(Evaluator& ev, const Value& v, CallArgs& args, size_t first_arg);

}  // namespace moe::tmpl

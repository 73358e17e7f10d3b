// Jinja2 tests (`x is defined`, `x is string`...), with Jinja2's definitions.
#include <cmath>

#include "evaluator.hpp"
#include "string-utils.hpp"

namespace moe::tmpl {

namespace {

bool is_sequence(const Value& v) {
  return v.is_string() || v.is_array() || v.kind() == Value::Kind::Dict || v.is_undefined();
}

}  // namespace

bool call_builtin_test(Evaluator& ev, const std::string& name, const Value& v, CallArgs& a, bool& r) {
  Value arg = a.get(0, "other");
  auto cmp = [&](const char* op) { return ev.compare(op, v, arg); };
  if (name == "defined")
    r = !v.is_undefined();
  else if (name == "undefined")
    r = v.is_undefined();
  else if (name == "none")
    r = v.is_none();
  else if (name == "boolean")
    r = v.is_bool();
  else if (name == "true")
    r = v.is_bool() && v.as_bool();
  else if (name == "false")
    r = v.is_bool() && !v.as_bool();
  else if (name == "integer")
    r = v.is_int();
  else if (name == "float")
    r = v.is_float();
  else if (name == "number")
    r = v.is_number();
  else if (name == "string")
    r = v.is_string();
  else if (name == "mapping")
    r = v.kind() == Value::Kind::Dict;
  else if (name == "iterable")
    r = is_sequence(v);
  else if (name == "sequence")
    r = is_sequence(v);
  else if (name == "callable")
    r = v.is_callable();
  else if (name == "odd" || name == "even") {
    if (!v.is_int() && !v.is_bool()) ev.fail("test '" + name + "' needs an integer, got " + v.type_name());
    bool odd = (v.as_int() % 2) != 0;
    r = name == "odd" ? odd : !odd;
  } else if (name == "divisibleby") {
    Value d = a.get(0, "num");
    if (!v.is_number() || !d.is_number()) ev.fail("divisibleby needs numbers");
    if (d.as_double() == 0.0) ev.fail("integer division or modulo by zero");
    r = (v.is_int() && d.is_int()) ? v.as_int() % d.as_int() == 0 : std::fmod(v.as_double(), d.as_double()) == 0.0;
  } else if (name == "lower")
    r = v.is_string() && py_is_class(v.str(), "islower");
  else if (name == "upper")
    r = v.is_string() && py_is_class(v.str(), "isupper");
  else if (name == "eq" || name == "equalto" || name == "==")
    r = cmp("==");
  else if (name == "ne" || name == "!=")
    r = cmp("!=");
  else if (name == "lt" || name == "lessthan" || name == "<")
    r = cmp("<");
  else if (name == "le" || name == "<=")
    r = cmp("<=");
  else if (name == "gt" || name == "greaterthan" || name == ">")
    r = cmp(">");
  else if (name == "ge" || name == ">=")
    r = cmp(">=");
  else if (name == "in")
    r = ev.contains(a.get(0, "seq"), v);
  else if (name == "sameas") {
    Value o = a.get(0, "other");
    r = (v.is_none() && o.is_none()) || (v.is_bool() && o.is_bool() && v.as_bool() == o.as_bool()) ||
        (v.is_array() && o.is_array() && &v.arr() == &o.arr()) ||
        (v.is_object() && o.is_object() && &v.obj() == &o.obj());
  } else if (name == "filter" || name == "test") {
    r = false;
  } else {
    return false;
  }
  return true;
}

}  // namespace moe::tmpl

// Jinja2 builtin filters, with Jinja2 3.1's argument names and defaults.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

#include "evaluator.hpp"
#include "string-utils.hpp"

namespace moe::tmpl {

namespace {

// Jinja2's make_attrgetter: "a.b.0" → item lookups, integer parts as indexes.
Value attr_path(Evaluator& ev, const Value& item, const Value& path) {
  if (path.is_int()) return ev.get_item(item, path);
  if (!path.is_string()) ev.fail("attribute name must be a string");
  Value cur = item;
  size_t start = 0;
  const std::string& p = path.str();
  while (true) {
    size_t dot = p.find('.', start);
    std::string part = p.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    bool numeric = !part.empty() && part.size() < 18 &&
                   std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
    cur = numeric ? ev.get_item(cur, Value(static_cast<int64_t>(std::stoll(part)))) : ev.get_item(cur, Value(part));
    if (dot == std::string::npos) return cur;
    if (cur.is_undefined()) return cur;
    start = dot + 1;
  }
}

int64_t py_len(Evaluator& ev, const Value& v) {
  switch (v.kind()) {
    case Value::Kind::String: return static_cast<int64_t>(utf8_length(v.str()));
    case Value::Kind::List: return static_cast<int64_t>(v.arr().size());
    case Value::Kind::Dict:
    case Value::Kind::Namespace: return static_cast<int64_t>(v.obj().size());
    case Value::Kind::Undefined: return 0;
    default: ev.fail("object of type '" + v.type_name() + "' has no len()");
  }
}

// Sort key comparison used by sort/unique/dictsort: strings compare case-insensitively unless
// case_sensitive is set.
Value sort_key(const Value& v, bool case_sensitive) {
  if (!case_sensitive && v.is_string()) return Value(ascii_lower(v.str()));
  return v;
}

std::vector<Value> sorted(Evaluator& ev, std::vector<Value> items, bool reverse, bool case_sensitive,
                          const Value& attribute) {
  std::vector<std::pair<Value, Value>> keyed;
  for (auto& v : items)
    keyed.emplace_back(
        sort_key(attribute.is_undefined() || attribute.is_none() ? v : attr_path(ev, v, attribute), case_sensitive), v);
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
    bool ok = true;
    int c = values_compare(a.first, b.first, ok);
    if (!ok)
      ev.fail("'<' not supported between instances of '" + a.first.type_name() + "' and '" + b.first.type_name() + "'");
    return reverse ? c > 0 : c < 0;
  });
  std::vector<Value> out;
  for (auto& kv : keyed) out.push_back(std::move(kv.second));
  return out;
}

std::string indent_text(std::string s, const Value& width, bool first, bool blank) {
  std::string pad =
      width.is_string()
          ? width.str()
          : std::string(static_cast<size_t>(std::clamp<int64_t>(width.is_undefined() ? 4 : width.as_int(), 0, 1024)),
                        ' ');
  s += "\n";
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n' || s[i] == '\r') {
      lines.push_back(s.substr(start, i - start));
      if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
      start = i + 1;
    }
  }
  std::string rv;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) rv += "\n";
    if (i > 0 && (blank || !lines[i].empty())) rv += pad;
    rv += lines[i];
  }
  return first ? pad + rv : rv;
}

// select/reject/selectattr/rejectattr share one implementation.
Value select_items(Evaluator& ev, const Value& input, CallArgs& a, bool by_attr, bool keep_if) {
  size_t test_pos = by_attr ? 1 : 0;
  Value attr = by_attr ? a.get(0, "attribute") : Value::undefined();
  Value test = a.pos.size() > test_pos ? a.pos[test_pos] : Value::undefined();
  CallArgs targs;
  for (size_t i = test_pos + 1; i < a.pos.size(); ++i) targs.pos.push_back(a.pos[i]);
  Array out;
  for (const auto& item : ev.iterate(input)) {
    Value v = by_attr ? attr_path(ev, item, attr) : item;
    bool pass = test.is_undefined() ? v.truthy() : ev.apply_test(test.to_str(), v, targs);
    if (pass == keep_if) out.push_back(item);
  }
  return Value(std::move(out));
}

Value to_int(const Value& v, const Value& dflt) {
  Value fallback = dflt.is_undefined() ? Value(int64_t{0}) : dflt;
  if (v.is_int() || v.is_bool()) return Value(v.as_int());
  if (v.is_float()) {
    if (!std::isfinite(v.as_double()) || std::fabs(v.as_double()) > 9.2e18) return fallback;
    return Value(static_cast<int64_t>(std::trunc(v.as_double())));
  }
  if (v.is_string()) {
    std::string s = py_strip(v.str(), nullptr, true, true);
    if (s.empty()) return fallback;
    errno = 0;
    char* end = nullptr;
    long long i = std::strtoll(s.c_str(), &end, 10);
    if (*end == '\0' && errno == 0) return Value(static_cast<int64_t>(i));
    double d = std::strtod(s.c_str(), &end);
    if (*end == '\0' && std::isfinite(d) && std::fabs(d) < 9.2e18) return Value(static_cast<int64_t>(std::trunc(d)));
  }
  return fallback;
}

Value to_float(const Value& v, const Value& dflt) {
  Value fallback = dflt.is_undefined() ? Value(0.0) : dflt;
  if (v.is_number()) return Value(v.as_double());
  if (v.is_string()) {
    std::string s = py_strip(v.str(), nullptr, true, true);
    char* end = nullptr;
    double d = std::strtod(s.c_str(), &end);
    if (!s.empty() && *end == '\0') return Value(d);
  }
  return fallback;
}

}  // namespace

std::string tojson_string(Evaluator& ev, const Value& v, CallArgs& a, size_t first) {
  JsonDumpOptions opt;
  Value indent = a.get(first, "indent");
  if (indent.is_int())
    opt.indent = static_cast<int>(std::clamp<int64_t>(indent.as_int(), 0, 64));
  else if (indent.is_string())
    ev.fail("tojson: string indent is not supported");
  if (opt.indent >= 0) opt.item_sep = ",";
  Value ensure = a.get(SIZE_MAX, "ensure_ascii");
  opt.ensure_ascii = ensure.truthy();
  opt.sort_keys = a.get(SIZE_MAX, "sort_keys").truthy();
  Value seps = a.get(SIZE_MAX, "separators");
  if (seps.is_array() && seps.arr().size() == 2 && seps.arr()[0].is_string() && seps.arr()[1].is_string()) {
    opt.item_sep = seps.arr()[0].str();
    opt.key_sep = seps.arr()[1].str();
  }
  std::string out;
  if (!json_dumps(v, opt, out)) ev.fail("Object of type " + v.type_name() + " is not JSON serializable");
  if (out.size() > ev.limits().max_output_bytes) ev.fail("string too large");
  ev.charge(out.size() / 16);
  return out;
}

bool call_builtin_filter(Evaluator& ev, const std::string& name, const Value& v, CallArgs& a, Value& r) {
  if (name == "tojson")
    r = Value(tojson_string(ev, v, a, 0));
  else if (name == "trim") {
    Value chars = a.get(0, "chars");
    std::string s = v.to_str();
    r = Value(chars.is_string() ? py_strip(s, &chars.str(), true, true) : py_strip(s, nullptr, true, true));
  } else if (name == "length" || name == "count")
    r = Value(py_len(ev, v));
  else if (name == "string")
    r = Value(v.to_str());
  else if (name == "upper")
    r = Value(ascii_upper(v.to_str()));
  else if (name == "lower")
    r = Value(ascii_lower(v.to_str()));
  else if (name == "title")
    r = Value(py_title(v.to_str()));
  else if (name == "capitalize")
    r = Value(py_capitalize(v.to_str()));
  else if (name == "safe")
    r = v.is_markup() ? v : Value::markup(v.to_str());
  else if (name == "list") {
    Array out = ev.iterate(v);
    r = Value(std::move(out));
  } else if (name == "escape" || name == "e")
    r = v.is_markup() ? v : Value::markup(html_escape(v.to_str()));
  else if (name == "forceescape")
    r = Value::markup(html_escape(v.to_str()));
  else if (name == "replace") {
    Value from = a.get(0, "old"), to = a.get(1, "new"), count = a.get(2, "count");
    try {
      r = Value(py_replace(v.to_str(), from.to_str(), to.to_str(), count.is_int() ? count.as_int() : -1,
                           ev.limits().max_output_bytes));
    } catch (const std::length_error&) {
      ev.fail("string too large");
    }
  } else if (name == "default" || name == "d") {
    Value dflt = a.get(0, "default_value");
    bool boolean = a.get(1, "boolean").truthy();
    bool use_default = v.is_undefined() || (boolean && !v.truthy());
    r = use_default ? (dflt.is_undefined() ? Value(std::string()) : dflt) : v;
  } else if (name == "first" || name == "last") {
    std::vector<Value> items = ev.iterate(v);
    if (items.empty())
      r = Value::undefined("No " + name + " item, sequence was empty.");
    else
      r = name == "first" ? items.front() : items.back();
  } else if (name == "join") {
    Value sep = a.get(0, "d");
    Value attr = a.get(1, "attribute");
    std::string out;
    bool first = true;
    for (const auto& item : ev.iterate(v)) {
      if (!first) out += sep.is_undefined() ? "" : sep.to_str();
      first = false;
      out += (attr.is_undefined() || attr.is_none() ? item : attr_path(ev, item, attr)).to_str();
      if (out.size() > ev.limits().max_output_bytes) ev.fail("string too large");
    }
    r = Value(std::move(out));
  } else if (name == "items") {
    if (v.is_undefined()) {
      r = Value(Array{});
    } else {
      if (!v.is_object()) ev.fail("items filter needs a mapping, got " + v.type_name());
      Array out;
      for (const auto& [k, x] : v.obj().entries()) out.push_back(Value::tuple(Array{Value(k), x}));
      r = Value(std::move(out));
    }
  } else if (name == "dictsort") {
    if (!v.is_object()) ev.fail("dictsort needs a mapping, got " + v.type_name());
    bool cs = a.get(0, "case_sensitive").truthy();
    Value by = a.get(1, "by");
    bool rev = a.get(2, "reverse").truthy();
    size_t col = by.is_string() && by.str() == "value" ? 1 : 0;
    std::vector<Value> pairs;
    for (const auto& [k, x] : v.obj().entries()) pairs.push_back(Value::tuple(Array{Value(k), x}));
    r = Value(sorted(ev, std::move(pairs), rev, cs, Value(static_cast<int64_t>(col))));
  } else if (name == "selectattr" || name == "rejectattr")
    r = select_items(ev, v, a, true, name == "selectattr");
  else if (name == "select" || name == "reject")
    r = select_items(ev, v, a, false, name == "select");
  else if (name == "map") {
    Array out;
    Value attr = a.get(SIZE_MAX, "attribute");
    if (!attr.is_undefined()) {
      Value dflt = a.get(SIZE_MAX, "default");
      for (const auto& item : ev.iterate(v)) {
        Value x = attr_path(ev, item, attr);
        out.push_back(x.is_undefined() && !dflt.is_undefined() ? dflt : x);
      }
    } else {
      if (a.pos.empty()) ev.fail("map requires a filter name or attribute=");
      std::string filter = a.pos[0].to_str();
      CallArgs fargs;
      fargs.pos.assign(a.pos.begin() + 1, a.pos.end());
      fargs.kw = a.kw;
      for (const auto& item : ev.iterate(v)) out.push_back(ev.apply_filter(filter, item, fargs));
    }
    r = Value(std::move(out));
  } else if (name == "attr") {
    // Jinja2's attr() is getattr only: dict keys are not attributes.
    std::string attr = a.get(0, "name").to_str();
    r = v.kind() == Value::Kind::Dict ? lookup_method(ev, v, attr) : ev.get_attr(v, attr);
  } else if (name == "int")
    r = to_int(v, a.get(0, "default"));
  else if (name == "float")
    r = to_float(v, a.get(0, "default"));
  else if (name == "abs") {
    if (v.is_float())
      r = Value(std::fabs(v.as_double()));
    else if (v.is_number() && v.as_int() != INT64_MIN)
      r = Value(v.as_int() < 0 ? -v.as_int() : v.as_int());
    else
      ev.fail("bad operand type for abs(): '" + v.type_name() + "'");
  } else if (name == "round") {
    if (!v.is_number()) ev.fail("round needs a number, got " + v.type_name());
    Value prec = a.get(0, "precision");
    std::string method = a.has(1, "method") ? a.get(1, "method").to_str() : "common";
    double p = std::pow(10.0, static_cast<double>(std::clamp<int64_t>(prec.is_int() ? prec.as_int() : 0, -300, 300)));
    double x = v.as_double() * p;
    // Python's round(): halves go to the even neighbour (nearbyint under the default mode).
    x = method == "ceil" ? std::ceil(x) : method == "floor" ? std::floor(x) : std::nearbyint(x);
    r = Value(x / p);
  } else if (name == "indent") {
    r = Value(indent_text(v.to_str(), a.get(0, "width"), a.get(1, "first").truthy(), a.get(2, "blank").truthy()));
  } else if (name == "unique") {
    bool cs = a.get(0, "case_sensitive").truthy();
    Value attr = a.get(1, "attribute");
    Array out;
    std::vector<Value> seen;
    for (const auto& item : ev.iterate(v)) {
      Value key = sort_key(attr.is_undefined() || attr.is_none() ? item : attr_path(ev, item, attr), cs);
      if (std::none_of(seen.begin(), seen.end(), [&](const Value& s) { return values_equal(s, key); })) {
        seen.push_back(key);
        out.push_back(item);
      }
    }
    r = Value(std::move(out));
  } else if (name == "reverse") {
    if (v.is_string()) {
      auto chars = utf8_chars(v.str());
      std::string out;
      for (auto it = chars.rbegin(); it != chars.rend(); ++it) out += *it;
      r = Value(std::move(out));
    } else {
      std::vector<Value> items = ev.iterate(v);
      std::reverse(items.begin(), items.end());
      r = Value(std::move(items));
    }
  } else if (name == "sort") {
    r = Value(sorted(ev, ev.iterate(v), a.get(0, "reverse").truthy(), a.get(1, "case_sensitive").truthy(),
                     a.get(2, "attribute")));
  } else if (name == "sum") {
    Value attr = a.get(0, "attribute");
    Value acc = a.has(1, "start") ? a.get(1, "start") : Value(int64_t{0});
    for (const auto& item : ev.iterate(v))
      acc = ev.binary("+", acc, attr.is_undefined() ? item : attr_path(ev, item, attr));
    r = acc;
  } else if (name == "min" || name == "max") {
    std::vector<Value> items =
        sorted(ev, ev.iterate(v), name == "max", a.get(0, "case_sensitive").truthy(), a.get(1, "attribute"));
    r = items.empty() ? Value::undefined("No " + name + " item, sequence was empty.") : items.front();
  } else if (name == "format") {
    Array args(a.pos.begin(), a.pos.end());
    r = ev.binary("%", Value(v.to_str()), Value(std::move(args)));
  } else if (name == "pprint")
    r = Value(v.repr());
  else if (name == "wordcount")
    r = Value(static_cast<int64_t>(py_split_whitespace(v.to_str(), -1, false).size()));
  else if (name == "center") {
    std::string s = v.to_str();
    int64_t width = std::clamp<int64_t>(a.has(0, "width") ? a.get(0, "width").as_int() : 80, 0, 4096);
    auto len = static_cast<int64_t>(utf8_length(s));
    if (len < width) {
      int64_t total = width - len, left = total / 2 + (total & width & 1);
      s = std::string(static_cast<size_t>(left), ' ') + s + std::string(static_cast<size_t>(total - left), ' ');
    }
    r = Value(std::move(s));
  } else {
    return false;
  }
  return true;
}

}  // namespace moe::tmpl

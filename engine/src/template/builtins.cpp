#include "builtins.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "moe/chat-template.hpp"
#include "moe/errors.hpp"

namespace moe::tmpl {

namespace {

constexpr const char* kDays[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
constexpr const char* kMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                                   "July",    "August",   "September", "October", "November", "December"};

Value from_json(const nlohmann::ordered_json& j, int depth) {
  if (depth > 512) throw TemplateError("JSON nesting too deep");
  switch (j.type()) {
    case nlohmann::ordered_json::value_t::null: return Value::none();
    case nlohmann::ordered_json::value_t::boolean: return Value(j.get<bool>());
    case nlohmann::ordered_json::value_t::number_integer: return Value(j.get<int64_t>());
    case nlohmann::ordered_json::value_t::number_unsigned: {
      auto u = j.get<uint64_t>();
      return u > static_cast<uint64_t>(INT64_MAX) ? Value(static_cast<double>(u)) : Value(static_cast<int64_t>(u));
    }
    case nlohmann::ordered_json::value_t::number_float: return Value(j.get<double>());
    case nlohmann::ordered_json::value_t::string: return Value(j.get<std::string>());
    case nlohmann::ordered_json::value_t::array: {
      Array a;
      a.reserve(j.size());
      for (const auto& x : j) a.push_back(from_json(x, depth + 1));
      return Value(std::move(a));
    }
    case nlohmann::ordered_json::value_t::object: {
      Object o;
      for (const auto& [k, x] : j.items()) o.set(k, from_json(x, depth + 1));
      return Value::object(std::move(o));
    }
    default: return Value::none();
  }
}

Value make_range(Evaluator& ev, CallArgs& a) {
  for (const auto& v : a.pos)
    if (!v.is_int() && !v.is_bool()) ev.fail("'" + v.type_name() + "' object cannot be interpreted as an integer");
  int64_t start = 0, stop = 0, step = 1;
  if (a.pos.size() == 1)
    stop = a.pos[0].as_int();
  else if (a.pos.size() >= 2) {
    start = a.pos[0].as_int();
    stop = a.pos[1].as_int();
    if (a.pos.size() >= 3) step = a.pos[2].as_int();
  } else {
    ev.fail("range expected at least 1 argument, got 0");
  }
  if (step == 0) ev.fail("range() arg 3 must not be zero");
  // Count first, in floating point, so range(10**18) is refused before anything is built.
  double count =
      std::max(0.0, std::ceil((static_cast<double>(stop) - static_cast<double>(start)) / static_cast<double>(step)));
  if (count > static_cast<double>(ev.limits().max_container_items))
    ev.fail("range() too large (" + format_python_float(count) + " items, limit " +
            std::to_string(ev.limits().max_container_items) + ")");
  ev.check_container_size(static_cast<size_t>(count));
  Array out;
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) out.emplace_back(i);
  return Value(std::move(out));
}

Value make_object(Evaluator& ev, CallArgs& a, Value target) {
  for (const auto& v : a.pos) {
    if (!v.is_object()) ev.fail("cannot convert '" + v.type_name() + "' to a dict");
    for (const auto& [k, x] : v.obj().entries()) target.obj().set(k, x);
  }
  for (const auto& [k, x] : a.kw) target.obj().set(k, x);
  return target;
}

}  // namespace

std::string strftime_c_locale(std::string_view fmt, const std::tm& t) {
  std::string out;
  char buf[32];
  for (size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%' || i + 1 >= fmt.size()) {
      out += fmt[i];
      continue;
    }
    char c = fmt[++i];
    bool no_pad = false;
    if ((c == '-') && i + 1 < fmt.size()) {
      no_pad = true;
      c = fmt[++i];
    }
    auto num = [&](int v, int width) {
      if (no_pad)
        std::snprintf(buf, sizeof buf, "%d", v);
      else
        std::snprintf(buf, sizeof buf, "%0*d", width, v);
      out += buf;
    };
    int wday = ((t.tm_wday % 7) + 7) % 7, mon = ((t.tm_mon % 12) + 12) % 12;
    switch (c) {
      case 'Y': num(t.tm_year + 1900, 4); break;
      case 'y': num((t.tm_year + 1900) % 100, 2); break;
      case 'm': num(t.tm_mon + 1, 2); break;
      case 'd': num(t.tm_mday, 2); break;
      case 'e':
        std::snprintf(buf, sizeof buf, "%2d", t.tm_mday);
        out += buf;
        break;
      case 'H': num(t.tm_hour, 2); break;
      case 'I': num(t.tm_hour % 12 == 0 ? 12 : t.tm_hour % 12, 2); break;
      case 'M': num(t.tm_min, 2); break;
      case 'S': num(t.tm_sec, 2); break;
      case 'j': num(t.tm_yday + 1, 3); break;
      case 'p': out += t.tm_hour < 12 ? "AM" : "PM"; break;
      case 'a': out += std::string(kDays[wday]).substr(0, 3); break;
      case 'A': out += kDays[wday]; break;
      case 'b':
      case 'h': out += std::string(kMonths[mon]).substr(0, 3); break;
      case 'B': out += kMonths[mon]; break;
      case 'w': num(wday, 1); break;
      case 'F': out += strftime_c_locale("%Y-%m-%d", t); break;
      case 'T': out += strftime_c_locale("%H:%M:%S", t); break;
      case '%': out += '%'; break;
      default:
        out += '%';
        if (no_pad) out += '-';
        out += c;
    }
  }
  return out;
}

bool parse_iso8601(std::string_view s, std::tm& out) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  std::string str(s.substr(0, 64));
  int n = std::sscanf(str.c_str(), "%4d-%2d-%2d%*1[T ]%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec);
  if (n != 3 && n < 5) return false;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60) return false;
  out = std::tm{};
  out.tm_year = y - 1900;
  out.tm_mon = mo - 1;
  out.tm_mday = d;
  out.tm_hour = h;
  out.tm_min = mi;
  out.tm_sec = sec;
  // Day of week and year from the civil date (timegm normalises and fills both).
  std::tm copy = out;
  time_t tt = timegm(&copy);
  std::tm norm{};
  gmtime_r(&tt, &norm);
  out.tm_wday = norm.tm_wday;
  out.tm_yday = norm.tm_yday;
  return true;
}

Value value_from_json_text(std::string_view json, std::string_view what) {
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(json, nullptr, false);
  if (j.is_discarded()) throw TemplateError("invalid JSON in " + std::string(what));
  return from_json(j, 0);
}

void install_globals(Evaluator& ev, const std::tm& now) {
  ev.set_global("range", Value::callable("range", make_range));
  ev.set_global("namespace", Value::callable("namespace", [](Evaluator& e, CallArgs& a) {
                  return make_object(e, a, Value::namespace_object());
                }));
  ev.set_global("dict",
                Value::callable("dict", [](Evaluator& e, CallArgs& a) { return make_object(e, a, Value::object()); }));
  ev.set_global("raise_exception", Value::callable("raise_exception", [](Evaluator& e, CallArgs& a) -> Value {
                  int line = 0, column = 0;
                  e.location(line, column);
                  throw TemplateRaisedError(a.get(0, "message").to_str(), line, column);
                }));
  ev.set_global("strftime_now", Value::callable("strftime_now", [now](Evaluator& e, CallArgs& a) -> Value {
                  Value fmt = a.get(0, "format");
                  if (!fmt.is_string()) e.fail("strftime_now() argument must be str, not " + fmt.type_name());
                  return Value(strftime_c_locale(fmt.str(), now));
                }));
}

}  // namespace moe::tmpl

#pragma once
// Global functions of the template environment and conversion of JSON inputs to Values.

#include <ctime>
#include <string>
#include <string_view>

#include "evaluator.hpp"

namespace moe::tmpl {

// range, namespace, dict, raise_exception, strftime_now (formatting `now`).
void install_globals(Evaluator& ev, const std::tm& now);

// Python's time.strftime for the C locale; also the glibc `%-d` style flags.
std::string strftime_c_locale(std::string_view fmt, const std::tm& t);

// Parses "YYYY-MM-DDTHH:MM:SS" (a trailing zone or fraction is ignored); false when malformed.
bool parse_iso8601(std::string_view s, std::tm& out);

// JSON text → Value; objects keep their key order. Throws moe::TemplateError naming `what`.
Value value_from_json_text(std::string_view json, std::string_view what);

}  // namespace moe::tmpl

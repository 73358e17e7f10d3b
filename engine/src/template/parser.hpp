#pragma once

#include <string_view>
#include <vector>

#include "ast.hpp"
#include "lexer.hpp"

namespace moe::tmpl {

// Nesting bound for expressions and blocks: a recursive-descent parser must not overflow the
// stack on hostile input such as ten thousand '('.
inline constexpr int kMaxParseDepth = 200;

// Throws moe::TemplateError naming origin, line and column.
Body parse_template(const std::vector<Token>& tokens, std::string_view origin);

}  // namespace moe::tmpl

#include "parser.hpp"

#include <cerrno>
#include <cstdlib>
#include <initializer_list>

#include "moe/errors.hpp"

namespace moe::tmpl {

namespace {

class Parser {
public:
    Parser(const std::vector<Token>& toks, std::string_view origin) : t_(toks), origin_(origin) {}

    Body parse_all() {
        Body body = parse_body({});
        if (cur().kind != Tok::Eof) fail(cur(), "unexpected '" + cur().text + "'");
        return body;
    }

private:
    struct DepthGuard {
        Parser& p;
        DepthGuard(Parser& parser, const Token& at) : p(parser) {
            if (++p.depth_ > kMaxParseDepth) p.fail(at, "template nesting too deep");
        }
        ~DepthGuard() { --p.depth_; }
    };

    [[noreturn]] void fail(const Token& at, const std::string& msg) const {
        throw TemplateError("chat template '" + std::string(origin_) + "', line " + std::to_string(at.line) +
                            ", column " + std::to_string(at.column) + ": " + msg);
    }

    const Token& cur() const { return t_[pos_]; }
    const Token& peek(size_t n = 1) const { return t_[std::min(pos_ + n, t_.size() - 1)]; }
    const Token& next() {
        const Token& t = t_[pos_];
        if (pos_ + 1 < t_.size()) ++pos_;
        return t;
    }
    bool is_op(std::string_view op) const { return cur().kind == Tok::Op && cur().text == op; }
    bool is_name(std::string_view n) const { return cur().kind == Tok::Name && cur().text == n; }
    bool accept_op(std::string_view op) {
        if (!is_op(op)) return false;
        next();
        return true;
    }
    bool accept_name(std::string_view n) {
        if (!is_name(n)) return false;
        next();
        return true;
    }
    static std::string describe(const Token& t) {
        switch (t.kind) {
            case Tok::Eof: return "end of template";
            case Tok::BlockEnd: return "end of statement block";
            case Tok::VarEnd: return "end of print statement";
            case Tok::Data: return "template data";
            default: return "'" + t.text + "'";
        }
    }
    void expect_op(std::string_view op) {
        if (!accept_op(op)) fail(cur(), "expected '" + std::string(op) + "', got " + describe(cur()));
    }
    std::string expect_name() {
        if (cur().kind != Tok::Name) fail(cur(), "expected a name, got " + describe(cur()));
        return next().text;
    }
    void expect_block_end() {
        if (cur().kind != Tok::BlockEnd) fail(cur(), "expected end of statement block, got " + describe(cur()));
        next();
    }

    ExprPtr make(Expr::K k, const Token& at) {
        auto e = std::make_unique<Expr>();
        e->k = k;
        e->line = at.line;
        e->column = at.column;
        return e;
    }
    NodePtr make_node(Node::K k, const Token& at) {
        auto n = std::make_unique<Node>();
        n->k = k;
        n->line = at.line;
        n->column = at.column;
        return n;
    }

    // Parses until `{% <one of ends>`; leaves the position on that name token.
    Body parse_body(std::initializer_list<std::string_view> ends) {
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

    NodePtr parse_statement() {
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

    NodePtr parse_if(const Token& at) {
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

    std::vector<std::string> parse_targets() {
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

    NodePtr parse_for(const Token& at) {
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

    NodePtr parse_set(const Token& at) {
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

    std::vector<MacroParam> parse_params() {
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

    NodePtr parse_macro(const Token& at) {
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

    NodePtr parse_call_block(const Token& at) {
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

    NodePtr parse_filter_block(const Token& at) {
        auto n = make_node(Node::K::FilterBlock, at);
        n->expr = parse_filter_chain(nullptr, /*leading_pipe=*/false);
        expect_block_end();
        n->body = parse_body({"endfilter"});
        next();
        expect_block_end();
        return n;
    }

    NodePtr parse_with(const Token& at) {
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

    // ---- expressions ----

    ExprPtr parse_tuple(bool with_condexpr) {
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

    ExprPtr parse_expression(bool with_condexpr) {
        DepthGuard guard(*this, cur());
        return with_condexpr ? parse_condexpr() : parse_or();
    }

    ExprPtr parse_condexpr() {
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

    ExprPtr parse_binary_chain(Expr::K k, std::string_view kw, ExprPtr (Parser::*sub)()) {
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
    ExprPtr parse_or() { return parse_binary_chain(Expr::K::Or, "or", &Parser::parse_and); }
    ExprPtr parse_and() { return parse_binary_chain(Expr::K::And, "and", &Parser::parse_not); }

    ExprPtr parse_not() {
        if (is_name("not")) {
            const Token& at = next();
            DepthGuard guard(*this, at);
            auto n = make(Expr::K::Not, at);
            n->args.push_back(parse_not());
            return n;
        }
        return parse_compare();
    }

    ExprPtr parse_compare() {
        const Token& at = cur();
        ExprPtr e = parse_math1();
        ExprPtr cmp;
        while (true) {
            std::string op;
            if (cur().kind == Tok::Op && (cur().text == "==" || cur().text == "!=" || cur().text == "<" ||
                                          cur().text == "<=" || cur().text == ">" || cur().text == ">=")) {
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

    ExprPtr parse_left_assoc(std::initializer_list<std::string_view> ops, ExprPtr (Parser::*sub)()) {
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
    ExprPtr parse_math1() { return parse_left_assoc({"+", "-"}, &Parser::parse_concat); }
    ExprPtr parse_math2() { return parse_left_assoc({"*", "/", "//", "%"}, &Parser::parse_pow); }
    ExprPtr parse_pow() { return parse_left_assoc({"**"}, &Parser::parse_unary_filtered); }

    ExprPtr parse_concat() {
        const Token& at = cur();
        ExprPtr e = parse_math2();
        if (!is_op("~")) return e;
        auto c = make(Expr::K::Concat, at);
        c->args.push_back(std::move(e));
        while (accept_op("~")) c->args.push_back(parse_math2());
        return c;
    }

    ExprPtr parse_unary_filtered() { return parse_unary(true); }

    ExprPtr parse_unary(bool with_filter) {
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

    ExprPtr parse_primary() {
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

    ExprPtr parse_postfix(ExprPtr e) {
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

    ExprPtr parse_subscript(ExprPtr target, const Token& at) {
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

    void parse_call_args(Expr& e) {
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

    ExprPtr parse_call(ExprPtr callee) {
        auto c = make(Expr::K::Call, cur());
        c->args.push_back(std::move(callee));
        parse_call_args(*c);
        return c;
    }

    // `| name(args) | name ...`; `input` null for filter blocks and `{% set x | f %}`.
    ExprPtr parse_filter_chain(ExprPtr input, bool leading_pipe = true) {
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

    ExprPtr parse_filter_expr(ExprPtr e) {
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

    ExprPtr parse_test(ExprPtr e) {
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

    const std::vector<Token>& t_;
    std::string_view origin_;
    size_t pos_ = 0;
    int depth_ = 0;
    int loop_depth_ = 0;
};

}  // namespace

Body parse_template(const std::vector<Token>& tokens, std::string_view origin) {
    return Parser(tokens, origin).parse_all();
}

}  // namespace moe::tmpl

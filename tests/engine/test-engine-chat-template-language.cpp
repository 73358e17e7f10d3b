// The template language, feature by feature, with expected renderings taken from Python jinja2
// 3.1 configured like Hugging Face (trim_blocks, lstrip_blocks, loopcontrols); then errors with
// their line and column, the sandbox limits, the ChatML fallback and the fuzzing entry point.
#include <chrono>
#include <cstddef>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "moe/chat-template.hpp"
#include "moe/errors.hpp"

#include <QtTest>

namespace {

// Messages shared by the data rows: quotes, a newline, non-ASCII text, a nested object whose
// keys are not sorted (tojson must keep their order).
// (No raw string literal here: moc misreads a backslash inside one and skips the class.)
constexpr const char* kMessages =
    "[{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"Hi \\\"there\\\"\\n  ok\"},"
    " {\"role\": \"assistant\", \"content\": \"Héllo → 世界\", \"meta\": {\"b\": 1, \"a\": [1, 2.5, null, true]}}]";

std::string render(std::string_view source, std::string messages = kMessages) {
  moe::TemplateInputs in;
  in.messages_json = std::move(messages);
  in.add_generation_prompt = false;
  in.bos_token = "<s>";
  in.eos_token = "</s>";
  in.now_iso8601 = "2025-01-15T10:30:00";
  return moe::ChatTemplate::parse(source, "unit").render(in);
}

// The TemplateError message of rendering `source`, or "" when it renders.
std::string error_of(std::string_view source, moe::TemplateLimits limits = {}) {
  try {
    moe::TemplateInputs in;
    in.now_iso8601 = "2025-01-15T10:30:00";
    (void)moe::ChatTemplate::parse(source, "unit", limits).render(in);
  } catch (const moe::TemplateError& e) {
    return e.what();
  }
  return {};
}

}  // namespace

class TestChatTemplateLanguage : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void renders_data() {
    QTest::addColumn<QString>("source");
    QTest::addColumn<QString>("expected");
    auto row = [](const char* name, const char* source, const char* expected) {
      QTest::newRow(name) << QString::fromUtf8(source) << QString::fromUtf8(expected);
    };
    row("ws/trim-blocks", "{% if true %}\nA\n{% endif %}\nB",
        "A\nB");
    row("ws/lstrip-blocks", "x\n    {% if true %}\n    y\n    {% endif %}\nz",
        "x\n    y\nz");
    row("ws/lstrip-not-for-output", "    {{ 'v' }}\n",
        "    v");
    row("ws/minus-both-sides", "a   {%- if true -%}   b   {%- endif -%}   c",
        "abc");
    row("ws/minus-output", "a\n  {{- 'b' -}}  \n c",
        "abc");
    row("ws/plus-disables-lstrip", "  {%+ if true %}k{% endif %}",
        "  k");
    row("ws/comment", "a {# note #}b\n  {# own line #}\nc{#- x -#}  d",
        "a b\ncd");
    row("ws/raw", "{% raw %}{{ x }} {% if %}{% endraw %}",
        "{{ x }} {% if %}");
    row("ws/trailing-newline-dropped", "line\n",
        "line");
    row("ws/crlf-normalised", "a\r\nb{% if true %}\r\nc{% endif %}",
        "a\nbc");
    row("ws/mid-line-block-keeps-indent", "x  {% if true %}y{% endif %}",
        "x  y");
    row("loop/vars", "{% for m in messages %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}",
        "1032TrueFalse3;2121FalseFalse3;3210FalseTrue3;");
    row("loop/prev-next-cycle", "{% for x in [1,2,3] %}{{ loop.previtem is defined }}{{ loop.nextitem | default('-') }}{{ loop.cycle('a','b') }} {% endfor %}",
        "False2a True3b True-a ");
    row("loop/else", "{% for x in [] %}no{% else %}empty{% endfor %}",
        "empty");
    row("loop/break-continue", "{% for i in range(10) %}{% if i is odd %}{% continue %}{% endif %}{% if i > 6 %}{% break %}{% endif %}{{ i }}{% endfor %}",
        "0246");
    row("loop/filter-condition", "{% for i in range(10) if i % 3 == 0 %}{{ i }}:{{ loop.index }}/{{ loop.length }} {% endfor %}",
        "0:1/4 3:2/4 6:3/4 9:4/4 ");
    row("loop/unpack", "{% for k, v in {'b': 1, 'a': 2}.items() %}{{ k }}={{ v }} {% endfor %}",
        "b=1 a=2 ");
    row("loop/dict-keys-in-order", "{% for k in messages[2].meta %}{{ k }}{% endfor %}",
        "ba");
    row("loop/string-chars", "{% for c in 'héj' %}[{{ c }}]{% endfor %}",
        "[h][é][j]");
    row("loop/scope-does-not-leak", "{% set x = 'out' %}{% for i in [1] %}{% set x = 'in' %}{% endfor %}{{ x }}",
        "out");
    row("loop/nested-loop-var", "{% for a in [1,2] %}{% for b in [1,2] %}{{ loop.index }}{% endfor %}{{ loop.index }}|{% endfor %}",
        "121|122|");
    row("loop/reversed-slice", "{% for m in messages[::-1] %}{{ m.role[0] }}{% endfor %}",
        "aus");
    row("loop/undefined-is-empty", "{% for x in nothing %}x{% else %}none{% endfor %}",
        "none");
    row("set/if-does-not-scope", "{% set x = 1 %}{% if true %}{% set x = 2 %}{% endif %}{{ x }}",
        "2");
    row("set/block", "{% set x %}a{{ 1 + 1 }}b{% endset %}[{{ x }}]",
        "[a2b]");
    row("set/tuple-unpack", "{% set a, b = [1, 2] %}{{ b }}{{ a }}",
        "21");
    row("set/namespace-counter", "{% set ns = namespace(n=0, last='') %}{% for m in messages %}{% set ns.n = ns.n + 1 %}{% set ns.last = m.role %}{% endfor %}{{ ns.n }} {{ ns.last }}",
        "3 assistant");
    row("set/namespace-empty-then-attr", "{% set ns = namespace() %}{% set ns.index = 0 %}{% set ns.index = ns.index + 1 %}{{ ns.index }}",
        "1");
    row("set/with", "{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}[{{ a }}]",
        "3[]");
    row("macro/defaults-and-kwargs", "{% macro g(name, p='!') %}Hi {{ name }}{{ p }}{% endmacro %}{{ g('a') }} {{ g('b', '?') }} {{ g(p='.', name='c') }}",
        "Hi a! Hi b? Hi c.");
    row("macro/recursion", "{% macro r(n) %}{% if n > 0 %}{{ n }}{{ r(n - 1) }}{% endif %}{% endmacro %}{{ r(4) }}",
        "4321");
    row("macro/varargs-kwargs", "{% macro m(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, k=3) }}",
        "1(2,){'k': 3}");
    row("macro/caller", "{% macro box() %}[{{ caller() }}]{% endmacro %}{% call box() %}in{% endcall %}",
        "[in]");
    row("macro/sees-template-globals", "{% macro m() %}{{ bos_token }}{{ messages | length }}{% endmacro %}{{ m() }}",
        "<s>3");
    row("macro/closes-over-loop-variable", "{% for m in messages %}{% macro inner() %}{{ m.role }}{% endmacro %}{{ inner() }};{% endfor %}",
        "system;user;assistant;");
    row("macro/call-block-with-args", "{% macro each(items) %}{% for i in items %}{{ caller(i) }}{% endfor %}{% endmacro %}{% call(x) each([1, 2]) %}<{{ x }}>{% endcall %}",
        "<1><2>");
    row("macro/default-uses-earlier-param", "{% macro m(a, b=a ~ '!') %}{{ b }}{% endmacro %}{{ m('x') }}",
        "x!");
    row("filter-block", "{% filter upper %}abc {{ 'd' }}{% endfilter %}",
        "ABC D");
    row("expr/arithmetic", "{{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 2 ** 10 }} {{ -2 ** 2 }} {{ 1.5 + 1 }} {{ (1 + 2) * 3 }}",
        "3 -4 2 3.5 1024 4 2.5 9");
    row("expr/float-repr", "{{ 0.1 + 0.2 }} {{ 1e20 }} {{ 3.0 }} {{ 1e-05 }} {{ 0.0001 }} {{ 1/3 }} {{ 1e16 }}",
        "0.30000000000000004 1e+20 3.0 1e-05 0.0001 0.3333333333333333 1e+16");
    row("expr/concat-tilde", "{{ 'a' ~ 1 ~ none ~ true ~ 1.0 }}",
        "a1NoneTrue1.0");
    row("expr/string-plus", "{{ 'a' + 'b' }}{{ 'x' * 3 }}{{ [1] * 2 + [3] }}",
        "abxxx[1, 1, 3]");
    row("expr/slicing", "{{ 'abcdef'[1:4] }} {{ 'abcdef'[::2] }} {{ 'abcdef'[-2:] }} {{ [1,2,3,4][1:-1] }} {{ [1,2,3][::-1] }} {{ [1,2,3][5:] }}",
        "bcd ace ef [2, 3] [3, 2, 1] []");
    row("expr/in-not-in", "{{ 'a' in 'abc' }} {{ 'z' not in 'abc' }} {{ 2 in [1,2] }} {{ 'role' in messages[0] }} {{ 'x' in messages[0] }}",
        "True True True True False");
    row("expr/compare-chain", "{{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 'a' < 'b' }} {{ 1 == 1.0 }} {{ true == 1 }} {{ [1,2] == [1,2] }}",
        "True False True True True True");
    row("expr/and-or-values", "{{ 1 and 'x' }}|{{ 0 or 'z' }}|{{ none or 'n' }}|{{ '' and 'never' }}|{{ not [] }}",
        "x|z|n||True");
    row("expr/conditional", "{{ 'y' if messages else 'n' }}|{{ 'y' if false }}|{{ 'a' if false else 'b' if true else 'c' }}",
        "y||b");
    row("expr/literals", "{{ [1, 'a', none, true, 1.5] }} {{ {'k': 'v', 'n': [1]} }} {{ (1, 2) }} {{ (1,) }} {{ \"it's\" }}",
        "[1, 'a', None, True, 1.5] {'k': 'v', 'n': [1]} (1, 2) (1,) it's");
    row("expr/string-escapes", "{{ 'tab\\there\\n' ~ \"q\\\"\" ~ '\\u00e9\\x41' }}",
        "tab\there\nq\"éA");
    row("expr/adjacent-strings", "{{ 'a' \"b\" 'c' }}",
        "abc");
    row("expr/subscript-vs-attr", "{{ messages[0]['role'] }} {{ messages[0].role }} {{ {'items': 5}['items'] }} {{ messages[0].nope }}|{{ messages[9] }}|{{ none.x }}",
        "system system 5 ||");
    row("expr/percent-format", "{{ '%s=%d' % ('a', 3) }} {{ '%s!' | format('hi') }} {{ '{}-{}'.format(1, 'b') }}",
        "a=3 hi! 1-b");
    row("test/types", "{{ 1 is number }}{{ 1.5 is float }}{{ 1 is integer }}{{ 'a' is string }}{{ {} is mapping }}{{ [] is iterable }}{{ 'a' is sequence }}{{ true is boolean }}{{ none is none }}",
        "TrueTrueTrueTrueTrueTrueTrueTrueTrue");
    row("test/defined", "{{ x is defined }}{{ x is undefined }}{{ messages is defined }}{{ messages[0].nope is defined }}{{ messages[0].role is not none }}",
        "FalseTrueTrueFalseTrue");
    row("test/values", "{{ true is true }}{{ false is false }}{{ 1 is true }}{{ 3 is odd }}{{ 4 is even }}{{ 9 is divisibleby 3 }}{{ 'ab' is lower }}{{ 'AB' is upper }}",
        "TrueTrueFalseTrueTrueTrueTrueTrue");
    row("test/comparisons", "{{ 2 is eq 2 }}{{ 'a' is equalto 'a' }}{{ 2 is ne 3 }}{{ 1 is lt 2 }}{{ 3 is ge 3 }}{{ 2 is in [1, 2] }}",
        "TrueTrueTrueTrueTrueTrue");
    row("filter/tojson", "{{ messages[2].meta | tojson }}|{{ messages[2].content | tojson }}|{{ messages[2].content | tojson(ensure_ascii=true) }}|{{ 'q\"\\n' | tojson }}",
        "{\"b\": 1, \"a\": [1, 2.5, null, true]}|\"Héllo → 世界\"|\"H\\u00e9llo \\u2192 \\u4e16\\u754c\"|\"q\\\"\\n\"");
    row("filter/tojson-indent", "{{ messages[2].meta | tojson(indent=2) }}|{{ [] | tojson(indent=4) }}|{{ {'a': {}} | tojson(indent=1) }}",
        "{\n  \"b\": 1,\n  \"a\": [\n    1,\n    2.5,\n    null,\n    true\n  ]\n}|[]|{\n \"a\": {}\n}");
    row("filter/tojson-sort-keys", "{{ {'b': 1, 'a': 2} | tojson(sort_keys=true) }}",
        "{\"a\": 2, \"b\": 1}");
    row("filter/trim-length-count", "{{ '  x \\n' | trim }}|{{ 'xxhixx' | trim('x') }}|{{ 'héllo' | length }}|{{ messages | count }}|{{ nothing | length }}",
        "x|hi|5|3|0");
    row("filter/case", "{{ 'Hello World' | upper }} {{ 'Hello World' | lower }} {{ 'hello wORLD' | title }} {{ 'hELLO' | capitalize }}",
        "HELLO WORLD hello world Hello World Hello");
    row("filter/replace", "{{ 'hello' | replace('l', 'L') }} {{ 'aaa' | replace('a', 'b', 2) }} {{ 'ab' | replace('', '-') }}",
        "heLLo bba -a-b-");
    row("filter/default", "{{ x | default('d') }}|{{ '' | default('e') }}|{{ '' | default('e', true) }}|{{ none | default('n') }}|{{ x | d('short') }}",
        "d||e|None|short");
    row("filter/first-last", "{{ messages | first | tojson }}|{{ (messages | last).role }}|{{ 'abc' | first }}{{ 'abc' | last }}|{{ [] | first }}",
        "{\"role\": \"system\", \"content\": \"Be brief.\"}|assistant|ac|");
    row("filter/join", "{{ [1, 2, 3] | join('-') }}|{{ messages | join(', ', attribute='role') }}|{{ 'abc' | join('.') }}",
        "1-2-3|system, user, assistant|a.b.c");
    row("filter/select-reject-attr", "{{ messages | selectattr('role', 'equalto', 'user') | list | length }}|{{ messages | rejectattr('role', 'eq', 'user') | map(attribute='role') | list }}|{{ messages | selectattr('meta') | map(attribute='role') | first }}|{{ messages | selectattr('meta', 'defined') | list | length }}",
        "1|['system', 'assistant']|assistant|1");
    row("filter/select-reject", "{{ [0, 1, '', none, 'a'] | select | list }}|{{ [1, 2, 3, 4] | reject('odd') | list }}|{{ [1, 2, 3] | select('gt', 1) | list }}",
        "[1, 'a']|[2, 4]|[2, 3]");
    row("filter/map", "{{ messages | map(attribute='role') | list }}|{{ ['a', 'b'] | map('upper') | join }}|{{ messages | map(attribute='nope', default='-') | join }}|{{ [{'a': {'b': 1}}] | map(attribute='a.b') | list }}",
        "['system', 'user', 'assistant']|AB|---|[1]");
    row("filter/items-dictsort", "{{ messages[2].meta | items | list }}|{{ {'b': 1, 'A': 2} | dictsort }}|{{ nothing | items | list }}",
        "[('b', 1), ('a', [1, 2.5, None, True])]|[('A', 2), ('b', 1)]|[]");
    row("filter/list-string", "{{ 'ab' | list }}|{{ (1, 2) | list }}|{{ 12 | string ~ 'x' }}|{{ [1] | string }}",
        "['a', 'b']|[1, 2]|12x|[1]");
    row("filter/int-float-abs", "{{ '3' | int + 1 }} {{ '2.7' | int }} {{ 'x' | int }} {{ 'x' | int(5) }} {{ 3.9 | int }} {{ '2.5' | float }} {{ 'y' | float }} {{ -3 | abs }} {{ -2.5 | abs }}",
        "4 2 0 5 3 2.5 0.0 3 2.5");
    row("filter/round", "{{ 2.5 | round }} {{ 3.5 | round }} {{ 3.14159 | round(2) }} {{ 2.7 | round(0, 'floor') }} {{ 2.1 | round(0, 'ceil') }}",
        "2.0 4.0 3.14 2.0 3.0");
    row("filter/indent", "{{ 'a\\nb\\n\\nc' | indent(2) }}|{{ 'a\\nb' | indent(4, true) }}|{{ 'a\\n\\nb' | indent(2, blank=true) }}|{{ 'x\\ny' | indent('> ') }}",
        "a\n  b\n\n  c|    a\n    b|a\n  \n  b|x\n> y");
    row("filter/unique-reverse-sort", "{{ [1, 2, 2, 3, 1] | unique | list }}|{{ ['a', 'A', 'b'] | unique | list }}|{{ [1, 2, 3] | reverse | list }}|{{ 'abc' | reverse }}|{{ ['b', 'A', 'c'] | sort }}|{{ [3, 1, 2] | sort(reverse=true) }}|{{ messages | sort(attribute='role') | map(attribute='role') | join(',') }}",
        "[1, 2, 3]|['a', 'b']|[3, 2, 1]|cba|['A', 'b', 'c']|[3, 2, 1]|assistant,system,user");
    row("filter/sum-min-max", "{{ [1, 2, 3] | sum }} {{ [1.5, 2] | sum }} {{ [3, 1, 2] | min }} {{ [3, 1, 2] | max }} {{ ['b', 'A'] | max }}",
        "6 3.5 1 3 b");
    row("filter/misc", "{{ 'one two  three' | wordcount }}|{{ 'a<b>&' | e }}|{{ 'x' | center(5) }}|{{ [1, 'a'] | pprint }}|{{ 'x' | safe }}",
        "3|a&lt;b&gt;&amp;|  x  |[1, 'a']|x");
    row("method/strip-family", "{{ '  a  '.strip() }}|{{ 'xxaxx'.strip('x') }}|{{ '\\n\\na\\n'.lstrip('\\n') }}|{{ 'a\\n\\n'.rstrip('\\n') }}|{{ '  a '.lstrip() }}|{{ ' a  '.rstrip() }}",
        "a|a|a\n|a|a | a");
    row("method/split", "{{ 'a-b-c'.split('-') }}|{{ ' a  b '.split() }}|{{ 'a,b,c'.split(',', 1) }}|{{ 'a,b,c'.rsplit(',', 1) }}|{{ 'x</think>y'.split('</think>')[-1] }}",
        "['a', 'b', 'c']|['a', 'b']|['a', 'b,c']|['a,b', 'c']|y");
    row("method/affixes", "{{ 'Hello'.startswith('He') }}{{ 'Hello'.endswith('lo') }}{{ 'Hello'.startswith(('x', 'H')) }}{{ 'Hello'.endswith('x') }}",
        "TrueTrueTrueFalse");
    row("method/case-replace-find", "{{ 'abc'.upper() }}{{ 'ABC'.lower() }}{{ 'a b'.title() }}{{ 'a b'.replace(' ', '_') }}{{ 'hello'.find('l') }}{{ 'hello'.count('l') }}{{ '-'.join(['a', 'b']) }}",
        "ABCabcA Ba_b22a-b");
    row("method/dict", "{{ messages[0].get('role') }}|{{ messages[0].get('zz', 'dflt') }}|{{ messages[0].get('zz') }}|{{ messages[0].keys() | list }}|{{ messages[0].values() | list }}|{{ messages[0].items() | list }}",
        "system|dflt|None|['role', 'content']|['system', 'Be brief.']|[('role', 'system'), ('content', 'Be brief.')]");
    row("method/is-classes", "{{ '123'.isdigit() }}{{ 'ab'.isalpha() }}{{ 'a1'.isalnum() }}{{ '  '.isspace() }}{{ 'ab'.islower() }}{{ 'AB'.isupper() }}",
        "TrueTrueTrueTrueTrueTrue");
    row("global/range", "{{ range(3) | list }}|{{ range(1, 10, 3) | list }}|{{ range(5, 0, -2) | list }}|{{ range(0) | list }}",
        "[0, 1, 2]|[1, 4, 7]|[5, 3, 1]|[]");
    row("global/strftime-now", "{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%Y-%m-%d %H:%M:%S') }}|{{ strftime_now('%A %B %j %I%p') }}",
        "15 Jan 2025|2025-01-15 10:30:00|Wednesday January 015 10AM");
    row("global/dict-namespace", "{{ dict(a=1, b='x') }}|{{ namespace(a=1).a }}|{% set ns = namespace({'k': 'v'}) %}{{ ns.k }}",
        "{'a': 1, 'b': 'x'}|1|v");
  }

  void renders() {
    QFETCH(QString, source);
    QFETCH(QString, expected);
    QCOMPARE(QString::fromStdString(render(source.toStdString())), expected);
  }

  void errorsNameLineAndColumn_data() {
    QTest::addColumn<QString>("source");
    QTest::addColumn<QString>("fragment");
    QTest::newRow("unclosed-if") << "a\n{% if true %}\nb" << "line 3, column 2: unexpected end of template, expected 'elif' or 'else' or 'endif'";
    QTest::newRow("bad-expression") << "x\n  {{ 1 + }}" << "line 2, column 10: unexpected end of print statement";
    QTest::newRow("unknown-tag") << "{% frobnicate %}" << "line 1, column 4: unknown tag 'frobnicate'";
    QTest::newRow("include-refused") << "\n{% include 'x.j2' %}" << "line 2, column 4: tag 'include' is not allowed";
    QTest::newRow("unterminated-string") << "{{ 'abc }}" << "line 1, column 4: unterminated string literal";
    QTest::newRow("unclosed-comment") << "ok\n{# never closed" << "line 2, column 1: missing end of comment tag";
    QTest::newRow("break-outside-loop") << "{% break %}" << "line 1, column 4: 'break' outside of a loop";
    QTest::newRow("undefined-attribute") << "line1\n{{ foo.bar }}" << "line 2, column 7: 'foo' is undefined";
    QTest::newRow("type-error") << "{{ 'a' + 1 }}" << "line 1, column 4: can only concatenate str (not \"int\") to str";
    QTest::newRow("unknown-filter") << "\n\n  {{ 1 | nope }}" << "line 3, column 10: no filter named 'nope'";
    QTest::newRow("division-by-zero") << "{% set x = 1 %}\n{{ x // 0 }}" << "line 2, column 4: integer division or modulo by zero";
    QTest::newRow("none-not-iterable") << "{% for x in none %}{% endfor %}" << "line 1, column 4: 'NoneType' object is not iterable";
    QTest::newRow("set-attr-non-namespace") << "{% set d = {} %}{% set d.x = 1 %}" << "can only assign attributes of a namespace()";
  }

  void errorsNameLineAndColumn() {
    QFETCH(QString, source);
    QFETCH(QString, fragment);
    const QString msg = QString::fromStdString(error_of(source.toStdString()));
    QVERIFY2(msg.contains(fragment), qPrintable("got: " + msg));
    QVERIFY2(msg.startsWith("chat template 'unit', "), qPrintable("got: " + msg));
  }

  void raiseExceptionKeepsTheTemplatesMessage() {
    try {
      (void)render("ok\n  {{ raise_exception('Roles must alternate: ' ~ messages[0].role) }}");
      QFAIL("raise_exception did not throw");
    } catch (const moe::TemplateRaisedError& e) {
      QCOMPARE(QString::fromUtf8(e.what()), QString("Roles must alternate: system"));
      QCOMPARE(e.line, 2);
      QVERIFY(e.column > 0);
    }
  }

  // Hugging Face's generation-block extension: the body renders in place.
  void generationBlockRendersItsBody() {
    QCOMPARE(QString::fromStdString(render("{% for m in messages %}{% if m.role == 'assistant' %}"
                                           "{%- generation %}<{{ m.content }}>{% endgeneration %}{% endif %}{% endfor %}")),
             QString::fromUtf8("<Héllo → 世界>"));
  }

  // One parsed template rendered from several threads at once (the tsan preset checks races).
  void rendersConcurrently() {
    const auto tmpl = moe::ChatTemplate::parse(
        "{% set ns = namespace(n=0) %}{% macro m(x) %}<{{ x | upper }}>{% endmacro %}"
        "{% for t in messages %}{% set ns.n = ns.n + 1 %}{{ m(t.role) }}{{ t.content | tojson }}{% endfor %}{{ ns.n }}",
        "threads");
    const std::vector<moe::ChatTurn> turns = {{"user", "a"}, {"assistant", "b\n"}, {"user", "c"}};
    const std::string want = tmpl.render(turns, false, "", "");
    std::vector<std::thread> threads;
    std::vector<int> mismatches(4, 0);
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        for (int i = 0; i < 200; ++i)
          if (tmpl.render(turns, false, "", "") != want) ++mismatches[static_cast<size_t>(t)];
      });
    for (auto& th : threads) th.join();
    QCOMPARE(QString::fromStdString(want), QString("<USER>\"a\"<ASSISTANT>\"b\\n\"<USER>\"c\"3"));
    for (int m : mismatches) QCOMPARE(m, 0);
  }

  void undefinedVariablesAreLenient() {
    QCOMPARE(QString::fromStdString(render("[{{ nothing }}][{{ messages[0].missing }}][{{ nothing | default('d') }}]")),
             QString("[][][d]"));
  }

  void sandboxBoundsHostileTemplates_data() {
    QTest::addColumn<QString>("source");
    QTest::addColumn<QString>("fragment");
    QTest::newRow("infinite-macro-recursion") << "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}" << "recursion depth";
    QTest::newRow("mutual-recursion") << "{% macro a() %}{{ b() }}{% endmacro %}{% macro b() %}{{ a() }}{% endmacro %}{{ a() }}" << "recursion depth";
    QTest::newRow("huge-range") << "{% for i in range(10**9) %}x{% endfor %}" << "range() too large";
    QTest::newRow("range-of-int64") << "{{ range(9223372036854775807) | length }}" << "range() too large";
    QTest::newRow("nested-loops") << "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}" << "loop iteration limit";
    QTest::newRow("output-size") << "{% for i in range(1000000) %}{{ 'x' * 1000 }}{% endfor %}" << "output exceeds";
    QTest::newRow("string-doubling") << "{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}" << "too large";
    QTest::newRow("string-repeat") << "{{ 'x' * 10**12 }}" << "string too large";
    QTest::newRow("list-doubling") << "{% set ns = namespace(l=[1]) %}{% for i in range(64) %}{% set ns.l = ns.l + ns.l %}{% endfor %}" << "too large";
    QTest::newRow("deep-parentheses") << "{{ " + QString(20000, '(') + "1" + QString(20000, ')') + " }}" << "nesting too deep";
    QTest::newRow("deep-unary") << "{{ " + QString(20000, '-') + "1 }}" << "nesting too deep";
    QTest::newRow("deep-lists") << "{{ " + QString(20000, '[') + QString(20000, ']') + " }}" << "nesting too deep";
    QTest::newRow("deep-blocks") << QString("{% if true %}").repeated(5000) << "nesting too deep";
    QTest::newRow("integer-overflow") << "{{ 2 ** 64 }}" << "integer overflow";
    QTest::newRow("membership-in-loop")
        << "{% set l = range(1000000) | list %}{% for i in range(1000000) %}{% if -1 in l %}{% endif %}{% endfor %}"
        << "evaluation budget";
    QTest::newRow("unique-quadratic") << "{{ range(1000000) | unique | list | length }}" << "evaluation budget";
    QTest::newRow("indent-blowup") << "{{ ('\\n' * 1000000) | indent(1000, blank=true) }}" << "string too large";
    QTest::newRow("tojson-blowup") << "{{ range(1000000) | list | tojson(indent=64) }}" << "string too large";
    QTest::newRow("string-index-in-loop")
        << "{% set s = 'x' * 10000000 %}{% for i in range(1000000) %}{% set c = s[i] %}{% endfor %}"
        << "evaluation budget";
  }

  void sandboxBoundsHostileTemplates() {
    QFETCH(QString, source);
    QFETCH(QString, fragment);
    const auto start = std::chrono::steady_clock::now();
    const QString msg = QString::fromStdString(error_of(source.toStdString()));
    const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    QVERIFY2(msg.contains(fragment), qPrintable("got: " + msg));
    QVERIFY2(seconds < 60.0, qPrintable(QString("took %1 s").arg(seconds)));
  }

  // Deeply nested or self-containing values: built and dropped without recursion, refused
  // (not overflowing the stack) when printed, compared or serialised.
  void deepAndCyclicValues() {
    QCOMPARE(QString::fromStdString(render("{% set ns = namespace(cur=[]) %}{% set root = ns.cur %}"
                                           "{% for i in range(300000) %}{% set n = [] %}"
                                           "{% if ns.cur.append(n) %}{% endif %}{% set ns.cur = n %}{% endfor %}ok")),
             QString("ok"));
    const char* refused[] = {
        "{% set ns = namespace(l=[]) %}{% for i in range(1000) %}{% set ns.l = [ns.l] %}{% endfor %}{{ ns.l }}",
        "{% set ns = namespace(l=[]) %}{% for i in range(1000) %}{% set ns.l = [ns.l] %}{% endfor %}{{ ns.l | tojson }}",
        "{% set ns = namespace(a=[], b=[]) %}{% for i in range(1000) %}{% set ns.a = [ns.a] %}{% set ns.b = [ns.b] %}"
        "{% endfor %}{{ ns.a == ns.b }}",
    };
    for (const char* source : refused)
      QVERIFY2(QString::fromStdString(error_of(source)).contains("nested more than"), source);
    // Reference cycles could never be freed: storing a container inside itself is refused,
    // also through a bound method or a macro closure.
    const char* cycles[] = {
        "{% set l = [] %}{{ l.append(l) }}",
        "{% set ns = namespace() %}{% set ns.me = ns %}",
        "{% set ns = namespace(l=[]) %}{% set ns.l = [[ns]] %}",
        "{% set l = [] %}{{ l.append(l.append) }}",
        "{% set d = {} %}{% set l = [d] %}{% set ns = namespace() %}{% set ns.x = {'k': ns.x, 'i': d.items} %}{% set ns.y = [ns] %}",
        "{% for i in [1] %}{% set l = [] %}{% macro m() %}{{ l }}{% endmacro %}{{ l.append(m) }}{% endfor %}",
    };
    for (const char* source : cycles)
      QVERIFY2(QString::fromStdString(error_of(source)).contains("cannot store a value inside itself"), source);
    QCOMPARE(QString::fromStdString(render("{% set l = [1] %}{% set m = [l, l] %}{{ l.append(2) }}{{ m }}{{ l == l }}")),
             QString("None[[1, 2], [1, 2]]True"));
  }

  // Corner cases that once overflowed or spun: repetition of empty sequences, slices with
  // extreme steps, ranges ending at the int64 limit.
  void arithmeticCornersStayDefined() {
    QCOMPARE(QString::fromStdString(render("[{{ '' * 10**18 }}][{{ [] * 10**18 }}][{{ 'ab' * -3 }}]")),
             QString("[][[]][]"));
    QCOMPARE(QString::fromStdString(render("{{ [1, 2, 3][1::9223372036854775807] }}{{ [1, 2, 3][::-9223372036854775807] }}")),
             QString("[2][3]"));
    QCOMPARE(QString::fromStdString(render("{{ range(9223372036854775806, 9223372036854775807, 10) | list }}")),
             QString("[9223372036854775806]"));
    QCOMPARE(QString::fromStdString(render("{{ range(-9223372036854775807 - 1, -9223372036854775807, 5) | list }}")),
             QString("[-9223372036854775808]"));
    QCOMPARE(QString::fromStdString(render("{{ range(-9223372036854775807 - 1, 9223372036854775807, 4611686018427387904) | list }}")),
             QString("[-9223372036854775808, -4611686018427387904, 0, 4611686018427387904]"));
    QCOMPARE(QString::fromStdString(render("{{ range(5, -5, -3) | list }}|{{ range(0, 10, -1) | list }}")), QString("[5, 2, -1, -4]|[]"));
  }

  void limitsAreConfigurable() {
    moe::TemplateLimits limits;
    limits.max_output_bytes = 10;
    QVERIFY(QString::fromStdString(error_of("{% for i in range(11) %}x{% endfor %}", limits)).contains("output exceeds 10 bytes"));
    QVERIFY(error_of("{% for i in range(10) %}x{% endfor %}", limits).empty());
    limits = {};
    limits.max_loop_iterations = 5;
    QVERIFY(QString::fromStdString(error_of("{% for i in range(6) %}{% endfor %}", limits)).contains("loop iteration limit"));
    QVERIFY(error_of("{% for i in range(5) %}{% endfor %}", limits).empty());
  }

  void fallsBackToChatMl() {
    const moe::ResolvedChatTemplate none = moe::resolve_chat_template(std::nullopt);
    QVERIFY(none.used_fallback);
    QVERIFY(!none.note.empty());
    const moe::ResolvedChatTemplate empty = moe::resolve_chat_template(std::string_view{});
    QVERIFY(empty.used_fallback);
    const std::string out = none.chat_template.render({{"system", "S"}, {"user", "U"}}, true, "", "");
    QCOMPARE(QString::fromStdString(out),
             QString("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n"));
    const moe::ResolvedChatTemplate own = moe::resolve_chat_template(std::string_view("{{ bos_token }}"), "own");
    QVERIFY(!own.used_fallback);
    QCOMPARE(QString::fromStdString(own.chat_template.render({}, false, "<s>", "")), QString("<s>"));
    QVERIFY(moe::default_chatml_template().find("<|im_start|>") != std::string_view::npos);
  }

  void turnsKeepTheirTextExactly() {
    const std::string content = "quote \" backslash \\ newline \n tab \t unicode é → 世界 control \x01";
    const auto tmpl = moe::ChatTemplate::parse("{{ messages[0].content }}|{{ messages[0].role }}", "turns");
    QCOMPARE(QByteArray::fromStdString(tmpl.render({{"user", content}}, false, "", "")),
             QByteArray::fromStdString(content + "|user"));
  }

  void extraContextAndTools() {
    moe::TemplateInputs in;
    in.extra_context_json = R"({"enable_thinking": false})";
    in.tools_json = R"([{"name": "f", "parameters": {"z": 1, "a": "é"}}])";
    const auto tmpl = moe::ChatTemplate::parse(
        "{% if enable_thinking is false %}nothink {% endif %}{% for t in tools %}{{ t | tojson }}{% endfor %}", "ctx");
    QCOMPARE(QString::fromStdString(tmpl.render(in)),
             QString::fromUtf8(R"(nothink {"name": "f", "parameters": {"z": 1, "a": "é"}})"));
    in.tools_json.reset();
    QCOMPARE(QString::fromStdString(moe::ChatTemplate::parse("{{ tools is none }}", "t").render(in)), QString("True"));
    in.messages_json = "{not json";
    QVERIFY_THROWS_EXCEPTION(moe::TemplateError, (void)tmpl.render(in));
    in.messages_json = "[]";
    in.now_iso8601 = "yesterday";
    QVERIFY_THROWS_EXCEPTION(moe::TemplateError, (void)tmpl.render(in));
  }

  // Mutated real templates and random bytes through the fuzzing entry point: it must return 0
  // and let nothing but nothing escape (it swallows moe::Error only, so any other exception or
  // crash fails here).
  void fuzzEntryPointSurvivesMutations() {
    const std::string seeds[] = {
        "{%- for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m.content | trim + '<|im_end|>' }}"
        "{%- if loop.last and m.role == 'user' %}{{ raise_exception('x') }}{% endif %}{% endfor %}",
        "{% set ns = namespace(a=[]) %}{% macro f(x, y=2) %}{{ x[1:] ~ y }}{% endmacro %}{{ f('abc') | tojson(indent=2) }}"
        "{{ {'a': [1, 2.5, none]} | items | list }}{{ ('x' ~ 1) * 3 }}{% for k, v in {'a': 1}.items() if v %}{% break %}{% endfor %}",
    };
    std::mt19937 rng(1234);
    const std::string alphabet = "{}%#-+()[]'\".,:|~=<>!*/ \n\tabcifnorsetdmlxyz0123456789\\";
    int runs = 0, rendered = 0;
    for (const std::string& seed : seeds) {
      for (int i = 0; i < 1500; ++i) {
        std::string s = seed;
        const int edits = 1 + static_cast<int>(rng() % 8);
        for (int e = 0; e < edits && !s.empty(); ++e) {
          const size_t pos = rng() % s.size();
          switch (rng() % 3) {
            case 0: s.erase(pos, 1 + rng() % 4); break;
            case 1: s.insert(pos, 1, alphabet[rng() % alphabet.size()]); break;
            default: s[pos] = static_cast<char>(rng() % 256); break;
          }
        }
        const auto* bytes = reinterpret_cast<const std::byte*>(s.data());
        if (moe::fuzz::render_template_bytes(std::span<const std::byte>(bytes, s.size()))) ++rendered;
        ++runs;
      }
    }
    const std::string custom_messages = "[{\"role\": \"user\", \"content\": [1, {\"x\": null}]}]\n{{ messages[0].content | tojson }}";
    QCOMPARE(moe_fuzz_template(reinterpret_cast<const uint8_t*>(custom_messages.data()), custom_messages.size()), 0);
    const auto* cm = reinterpret_cast<const std::byte*>(custom_messages.data());
    QVERIFY(moe::fuzz::render_template_bytes(std::span<const std::byte>(cm, custom_messages.size())));
    const std::string plain = "{{ messages | length }}";
    QVERIFY(moe::fuzz::render_template_bytes(
        std::span<const std::byte>(reinterpret_cast<const std::byte*>(plain.data()), plain.size())));
    QCOMPARE(runs, 3000);
    QVERIFY2(rendered > 0 && rendered < runs, qPrintable(QString("%1 of %2 rendered").arg(rendered).arg(runs)));
  }
};

QTEST_APPLESS_MAIN(TestChatTemplateLanguage)
#include "test-engine-chat-template-language.moc"

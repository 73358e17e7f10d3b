#include "moe/ui/markdown.hpp"

#include <QRegularExpression>

namespace moe::ui {
namespace {

QString inlineHtml(const QString& line, const ThemeColors& c) {
  // Code spans first, kept out of the emphasis rules by placeholders.
  QStringList spans;
  QString s;
  static const QRegularExpression codeRe(QStringLiteral("`([^`]+)`"));
  qsizetype last = 0;
  auto it = codeRe.globalMatch(line);
  while (it.hasNext()) {
    const auto m = it.next();
    s += line.mid(last, m.capturedStart() - last).toHtmlEscaped();
    s += QStringLiteral("\x01%1\x02").arg(spans.size());
    spans << QStringLiteral("<code style=\"background-color:%1\">&nbsp;%2&nbsp;</code>")
                 .arg(c.codeBackground.name(), m.captured(1).toHtmlEscaped());
    last = m.capturedEnd();
  }
  s += line.mid(last).toHtmlEscaped();
  static const QRegularExpression bold(QStringLiteral("\\*\\*(.+?)\\*\\*|__(.+?)__"));
  static const QRegularExpression italic(QStringLiteral("(?<![\\w*])\\*(?!\\s)(.+?)\\*(?!\\w)|(?<!\\w)_(?!\\s)(.+?)_(?!\\w)"));
  static const QRegularExpression link(QStringLiteral("\\[([^\\]]+)\\]\\((https?://[^)\\s]+)\\)"));
  s.replace(bold, QStringLiteral("<b>\\1\\2</b>"));
  s.replace(italic, QStringLiteral("<i>\\1\\2</i>"));
  s.replace(link, QStringLiteral("<a href=\"\\2\">\\1</a>"));
  for (int i = 0; i < spans.size(); ++i) s.replace(QStringLiteral("\x01%1\x02").arg(i), spans.at(i));
  return s;
}

}  // namespace

QStringList codeBlocks(const QString& markdown) {
  QStringList blocks;
  bool inCode = false;
  QString current;
  for (const QString& line : markdown.split(QLatin1Char('\n'))) {
    if (line.trimmed().startsWith(QLatin1String("```"))) {
      if (inCode) blocks << current;
      inCode = !inCode;
      current.clear();
      continue;
    }
    if (inCode) current += (current.isEmpty() ? QString() : QStringLiteral("\n")) + line;
  }
  if (inCode) blocks << current;  // still streaming
  return blocks;
}

QString markdownToHtml(const QString& markdown, const QString& copyTag, const ThemeColors& c) {
  QString html;
  enum class List { none, bullet, ordered } list = List::none;
  auto closeList = [&] {
    if (list == List::bullet) html += QStringLiteral("</ul>");
    if (list == List::ordered) html += QStringLiteral("</ol>");
    list = List::none;
  };
  QString paragraph;
  auto closeParagraph = [&] {
    if (!paragraph.isEmpty()) html += QStringLiteral("<p>%1</p>").arg(paragraph);
    paragraph.clear();
  };
  bool inCode = false;
  QString code, lang;
  int block = 0;
  auto emitCode = [&] {
    html += QStringLiteral(
                "<table width=\"100%\" cellspacing=\"0\" cellpadding=\"6\" bgcolor=\"%1\" style=\"margin-top:4px; margin-bottom:4px\">"
                "<tr><td><span style=\"color:%2\">%3</span></td>"
                "<td align=\"right\"><a href=\"copy:%4:%5\">Copy</a></td></tr>"
                "<tr><td colspan=\"2\"><pre style=\"margin:0\">%6</pre></td></tr></table>")
                .arg(c.codeBackground.name(), c.mutedText.name(), lang.isEmpty() ? QStringLiteral("code") : lang.toHtmlEscaped(),
                     copyTag)
                .arg(block++)
                .arg(code.toHtmlEscaped());
    code.clear();
  };
  static const QRegularExpression heading(QStringLiteral("^(#{1,6})\\s+(.*)$"));
  static const QRegularExpression bullet(QStringLiteral("^\\s*[-*+]\\s+(.*)$"));
  static const QRegularExpression ordered(QStringLiteral("^\\s*\\d+[.)]\\s+(.*)$"));
  for (const QString& line : markdown.split(QLatin1Char('\n'))) {
    const QString trimmed = line.trimmed();
    if (trimmed.startsWith(QLatin1String("```"))) {
      if (inCode) {
        emitCode();
      } else {
        closeParagraph();
        closeList();
        lang = trimmed.mid(3).trimmed();
      }
      inCode = !inCode;
      continue;
    }
    if (inCode) {
      code += (code.isEmpty() ? QString() : QStringLiteral("\n")) + line;
      continue;
    }
    if (trimmed.isEmpty()) {
      closeParagraph();
      closeList();
      continue;
    }
    if (auto m = heading.match(line); m.hasMatch()) {
      closeParagraph();
      closeList();
      const int level = std::min<int>(static_cast<int>(m.captured(1).size()) + 2, 6);  // keep headings modest
      html += QStringLiteral("<h%1>%2</h%1>").arg(level).arg(inlineHtml(m.captured(2), c));
    } else if (auto b = bullet.match(line); b.hasMatch()) {
      closeParagraph();
      if (list != List::bullet) {
        closeList();
        html += QStringLiteral("<ul>");
        list = List::bullet;
      }
      html += QStringLiteral("<li>%1</li>").arg(inlineHtml(b.captured(1), c));
    } else if (auto o = ordered.match(line); o.hasMatch()) {
      closeParagraph();
      if (list != List::ordered) {
        closeList();
        html += QStringLiteral("<ol>");
        list = List::ordered;
      }
      html += QStringLiteral("<li>%1</li>").arg(inlineHtml(o.captured(1), c));
    } else if (trimmed.startsWith(QLatin1Char('>'))) {
      closeParagraph();
      closeList();
      html += QStringLiteral("<blockquote style=\"color:%1\">%2</blockquote>")
                  .arg(c.mutedText.name(), inlineHtml(trimmed.mid(1).trimmed(), c));
    } else {
      closeList();
      paragraph += (paragraph.isEmpty() ? QString() : QStringLiteral("<br>")) + inlineHtml(line, c);
    }
  }
  if (inCode) emitCode();  // an unfinished block while the reply streams
  closeParagraph();
  closeList();
  return html;
}

}  // namespace moe::ui

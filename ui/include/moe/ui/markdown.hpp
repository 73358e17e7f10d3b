#pragma once
// Renders the Markdown basics models produce (headings, emphasis, inline code, lists, links,
// quotes, fenced code blocks) to the HTML subset QTextBrowser understands. Each code block
// gets a "Copy" link to copy:<tag>:<n>, which the view resolves with codeBlocks().
#include "moe/ui/theme.hpp"

#include <QString>
#include <QStringList>

namespace moe::ui {

QString markdownToHtml(const QString& markdown, const QString& copyTag, const ThemeColors& colors);
QStringList codeBlocks(const QString& markdown);  // contents of the fenced blocks, in order

}  // namespace moe::ui

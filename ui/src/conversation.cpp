#include "moe/ui/conversation.hpp"

#include <QJsonArray>
#include <QUuid>

namespace moe::ui {

Conversation Conversation::create(const QString& title, const SamplingSettings& sampling) {
  Conversation c;
  c.id = QUuid::createUuid().toString(QUuid::WithoutBraces);
  c.title = title;
  c.sampling = sampling;
  c.created = c.updated = QDateTime::currentDateTimeUtc();
  return c;
}

QList<ChatTurn> Conversation::turns() const {
  QList<ChatTurn> out;
  if (!systemPrompt.trimmed().isEmpty()) out.push_back({QStringLiteral("system"), systemPrompt});
  for (const Message& m : messages)
    if (!m.content.isEmpty()) out.push_back({m.role, m.content});
  return out;
}

QString Conversation::toMarkdown() const {
  QString md = QStringLiteral("# %1\n\n").arg(title);
  if (!systemPrompt.isEmpty()) md += QStringLiteral("> **System:** %1\n\n").arg(systemPrompt);
  for (const Message& m : messages) {
    md += m.role == QLatin1String("user") ? QStringLiteral("## You\n\n") : QStringLiteral("## Assistant\n\n");
    md += m.content + QStringLiteral("\n\n");
    if (m.stats.valid()) md += QStringLiteral("*%1*\n\n").arg(formatStatsLine(m.stats));
    if (!m.error.isEmpty()) md += QStringLiteral("**Error:** %1\n\n").arg(m.error);
  }
  return md;
}

QJsonObject samplingToJson(const SamplingSettings& s) {
  return {{QStringLiteral("temperature"), s.temperature}, {QStringLiteral("top_k"), s.topK},
          {QStringLiteral("top_p"), s.topP},              {QStringLiteral("min_p"), s.minP},
          {QStringLiteral("repeat_penalty"), s.repeatPenalty}, {QStringLiteral("max_tokens"), s.maxTokens},
          // JSON numbers are doubles: a 64-bit seed travels as a string.
          {QStringLiteral("seed"), QString::number(s.seed)}};
}

SamplingSettings samplingFromJson(const QJsonObject& o, const SamplingSettings& d) {
  SamplingSettings s;
  s.temperature = o.value(QStringLiteral("temperature")).toDouble(d.temperature);
  s.topK = o.value(QStringLiteral("top_k")).toInt(d.topK);
  s.topP = o.value(QStringLiteral("top_p")).toDouble(d.topP);
  s.minP = o.value(QStringLiteral("min_p")).toDouble(d.minP);
  s.repeatPenalty = o.value(QStringLiteral("repeat_penalty")).toDouble(d.repeatPenalty);
  s.maxTokens = o.value(QStringLiteral("max_tokens")).toInt(d.maxTokens);
  bool ok = false;
  const quint64 seed = o.value(QStringLiteral("seed")).toString().toULongLong(&ok);
  s.seed = ok ? seed : d.seed;
  return s;
}

namespace {

QJsonObject statsToJson(const ReplyStatsValue& s) {
  return {{QStringLiteral("prompt_tokens"), s.promptTokens}, {QStringLiteral("generated_tokens"), s.generatedTokens},
          {QStringLiteral("prompt_tok_s"), s.promptTokS},    {QStringLiteral("decode_tok_s"), s.decodeTokS},
          {QStringLiteral("ttft_ms"), s.ttftMs},             {QStringLiteral("stop_reason"), s.stopReason}};
}

ReplyStatsValue statsFromJson(const QJsonObject& o) {
  ReplyStatsValue s;
  s.promptTokens = o.value(QStringLiteral("prompt_tokens")).toInt();
  s.generatedTokens = o.value(QStringLiteral("generated_tokens")).toInt();
  s.promptTokS = o.value(QStringLiteral("prompt_tok_s")).toDouble();
  s.decodeTokS = o.value(QStringLiteral("decode_tok_s")).toDouble();
  s.ttftMs = o.value(QStringLiteral("ttft_ms")).toDouble();
  s.stopReason = o.value(QStringLiteral("stop_reason")).toString();
  return s;
}

}  // namespace

QJsonObject Conversation::toJson() const {
  QJsonArray msgs;
  for (const Message& m : messages) {
    QJsonObject o{{QStringLiteral("role"), m.role}, {QStringLiteral("content"), m.content}};
    if (m.stats.valid()) o.insert(QStringLiteral("stats"), statsToJson(m.stats));
    if (!m.error.isEmpty()) o.insert(QStringLiteral("error"), m.error);
    msgs.append(o);
  }
  return {{QStringLiteral("format"), 1},
          {QStringLiteral("id"), id},
          {QStringLiteral("title"), title},
          {QStringLiteral("system_prompt"), systemPrompt},
          {QStringLiteral("sampling"), samplingToJson(sampling)},
          {QStringLiteral("created"), created.toString(Qt::ISODateWithMs)},
          {QStringLiteral("updated"), updated.toString(Qt::ISODateWithMs)},
          {QStringLiteral("messages"), msgs}};
}

bool Conversation::isValidId(const QString& id) {
  if (id.isEmpty() || id.size() > 128 || id.startsWith(QLatin1Char('.'))) return false;
  for (const QChar ch : id) {
    const char16_t u = ch.unicode();
    const bool ok = (u >= u'a' && u <= u'z') || (u >= u'A' && u <= u'Z') || (u >= u'0' && u <= u'9') || u == u'-' ||
                    u == u'_' || u == u'.';
    if (!ok) return false;
  }
  return true;
}

std::optional<Conversation> Conversation::fromJson(const QJsonObject& o, QString* error) {
  auto fail = [&](const QString& why) -> std::optional<Conversation> {
    if (error) *error = why;
    return std::nullopt;
  };
  if (!o.value(QStringLiteral("id")).isString()) return fail(QStringLiteral("missing \"id\""));
  // The id names the file every later save writes (ConversationStore::pathFor): an id such as
  // "../../.profile" would make saving this conversation overwrite a file outside the store.
  const QString id = o.value(QStringLiteral("id")).toString();
  if (!isValidId(id)) return fail(QStringLiteral("\"id\" is not a plain file name"));
  if (!o.value(QStringLiteral("messages")).isArray()) return fail(QStringLiteral("missing \"messages\" array"));
  Conversation c;
  c.id = id;
  c.title = o.value(QStringLiteral("title")).toString();
  c.systemPrompt = o.value(QStringLiteral("system_prompt")).toString();
  c.sampling = samplingFromJson(o.value(QStringLiteral("sampling")).toObject(), SamplingSettings{});
  c.created = QDateTime::fromString(o.value(QStringLiteral("created")).toString(), Qt::ISODateWithMs);
  c.updated = QDateTime::fromString(o.value(QStringLiteral("updated")).toString(), Qt::ISODateWithMs);
  const QJsonArray msgs = o.value(QStringLiteral("messages")).toArray();
  for (qsizetype i = 0; i < msgs.size(); ++i) {
    const QJsonObject m = msgs.at(i).toObject();
    const QString role = m.value(QStringLiteral("role")).toString();
    if (role != QLatin1String("user") && role != QLatin1String("assistant"))
      return fail(QStringLiteral("message %1: role \"%2\" is not user or assistant").arg(i).arg(role));
    Message msg;
    msg.role = role;
    msg.content = m.value(QStringLiteral("content")).toString();
    msg.stats = statsFromJson(m.value(QStringLiteral("stats")).toObject());
    msg.error = m.value(QStringLiteral("error")).toString();
    c.messages.push_back(msg);
  }
  return c;
}

}  // namespace moe::ui

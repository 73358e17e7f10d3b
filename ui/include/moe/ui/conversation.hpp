#pragma once
// One conversation: its messages (with the stats of each reply), system prompt and sampling.
// Stored as one JSON document per conversation so a damaged file costs only that one.
#include "moe/ui/chat-types.hpp"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>

#include <memory>
#include <optional>

namespace moe::ui {

class ReplyRouting;

struct Message {
  QString role;  // "user" or "assistant"
  QString content;
  ReplyStatsValue stats;  // assistant replies only (invalid() while streaming / for users)
  QString error;          // the engine's message when the reply failed
  // Per-token routing of a reply generated in this run of the app (not saved: it is
  // telemetry, and a reloaded conversation's replies were routed by another session).
  std::shared_ptr<const ReplyRouting> routing;
};

struct Conversation {
  QString id;  // file name stem, stable across renames
  QString title;
  QString systemPrompt;
  SamplingSettings sampling;
  QList<Message> messages;
  QDateTime created;
  QDateTime updated;

  static Conversation create(const QString& title, const SamplingSettings& sampling);
  // The turns to send to the engine: system prompt, then every message with content.
  QList<ChatTurn> turns() const;
  QString toMarkdown() const;
  QJsonObject toJson() const;
  // Whether `id` can name the conversation's file: 1-128 of [A-Za-z0-9._-], no leading dot
  // (create() makes UUIDs).
  static bool isValidId(const QString& id);
  // Returns nullopt (and sets *error) when required fields are missing or mistyped, or the id
  // is not a valid one.
  static std::optional<Conversation> fromJson(const QJsonObject& o, QString* error);
};

QJsonObject samplingToJson(const SamplingSettings& s);
SamplingSettings samplingFromJson(const QJsonObject& o, const SamplingSettings& fallback);

}  // namespace moe::ui

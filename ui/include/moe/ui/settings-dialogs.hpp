#pragma once
// The application settings dialog and the per-conversation dialog (system prompt + sampling);
// both share SamplingEditor.
#include "moe/ui/app-settings.hpp"
#include "moe/ui/conversation.hpp"

#include <QDialog>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLineEdit;
class QPlainTextEdit;
class QSpinBox;

namespace moe::ui {

class SamplingEditor : public QWidget {
  Q_OBJECT
 public:
  explicit SamplingEditor(QWidget* parent = nullptr);
  void setSettings(const SamplingSettings& s);
  SamplingSettings settings() const;

 private:
  QDoubleSpinBox *temperature_, *topP_, *minP_, *repeatPenalty_;
  QSpinBox *topK_, *maxTokens_;
  QLineEdit* seed_;
};

class SettingsDialog : public QDialog {
  Q_OBJECT
 public:
  explicit SettingsDialog(const AppSettings& settings, QWidget* parent = nullptr);
  AppSettings settings() const;

 private:
  QSpinBox *threads_, *context_, *budget_, *margin_;
  QComboBox *kvType_, *policy_, *theme_;
  QCheckBox* prefetch_;
  SamplingEditor* sampling_;
};

class ConversationSettingsDialog : public QDialog {
  Q_OBJECT
 public:
  explicit ConversationSettingsDialog(const Conversation& c, QWidget* parent = nullptr);
  QString systemPrompt() const;
  SamplingSettings sampling() const;

 private:
  QPlainTextEdit* prompt_;
  SamplingEditor* sampling_;
};

}  // namespace moe::ui

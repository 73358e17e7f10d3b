#include "moe/ui/settings-dialogs.hpp"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QRegularExpressionValidator>
#include <QSpinBox>
#include <QThread>
#include <QVBoxLayout>

namespace moe::ui {
namespace {

QDoubleSpinBox* doubleBox(double lo, double hi, double step, int decimals, const QString& name) {
  auto* b = new QDoubleSpinBox;
  b->setRange(lo, hi);
  b->setSingleStep(step);
  b->setDecimals(decimals);
  b->setAccessibleName(name);
  return b;
}

QSpinBox* intBox(int lo, int hi, const QString& name, const QString& special = {}) {
  auto* b = new QSpinBox;
  b->setRange(lo, hi);
  b->setAccessibleName(name);
  if (!special.isEmpty()) b->setSpecialValueText(special);
  return b;
}

QDialogButtonBox* okCancel(QDialog* d) {
  auto* box = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, d);
  QObject::connect(box, &QDialogButtonBox::accepted, d, &QDialog::accept);
  QObject::connect(box, &QDialogButtonBox::rejected, d, &QDialog::reject);
  return box;
}

}  // namespace

SamplingEditor::SamplingEditor(QWidget* parent) : QWidget(parent) {
  auto* form = new QFormLayout(this);
  form->setContentsMargins(0, 0, 0, 0);
  temperature_ = doubleBox(0.0, 5.0, 0.05, 2, tr("Temperature"));
  temperature_->setToolTip(tr("0 = greedy (always the most likely token)"));
  topK_ = intBox(0, 1000, tr("Top-k"), tr("off"));
  topP_ = doubleBox(0.0, 1.0, 0.01, 2, tr("Top-p"));
  topP_->setToolTip(tr("1 = off"));
  minP_ = doubleBox(0.0, 1.0, 0.01, 2, tr("Min-p"));
  minP_->setToolTip(tr("0 = off"));
  repeatPenalty_ = doubleBox(1.0, 2.0, 0.01, 2, tr("Repeat penalty"));
  repeatPenalty_->setToolTip(tr("1 = off"));
  maxTokens_ = intBox(1, 32768, tr("Maximum tokens"));
  seed_ = new QLineEdit;
  seed_->setAccessibleName(tr("Seed"));
  seed_->setPlaceholderText(tr("0 = random"));
  seed_->setValidator(new QRegularExpressionValidator(QRegularExpression(QStringLiteral("\\d{1,20}")), seed_));
  form->addRow(tr("&Temperature:"), temperature_);
  form->addRow(tr("Top-&k:"), topK_);
  form->addRow(tr("Top-&p:"), topP_);
  form->addRow(tr("&Min-p:"), minP_);
  form->addRow(tr("&Repeat penalty:"), repeatPenalty_);
  form->addRow(tr("Ma&x tokens:"), maxTokens_);
  form->addRow(tr("&Seed:"), seed_);
  setSettings({});
}

void SamplingEditor::setSettings(const SamplingSettings& s) {
  temperature_->setValue(s.temperature);
  topK_->setValue(s.topK);
  topP_->setValue(s.topP);
  minP_->setValue(s.minP);
  repeatPenalty_->setValue(s.repeatPenalty);
  maxTokens_->setValue(s.maxTokens);
  seed_->setText(QString::number(s.seed));
}

SamplingSettings SamplingEditor::settings() const {
  SamplingSettings s;
  s.temperature = temperature_->value();
  s.topK = topK_->value();
  s.topP = topP_->value();
  s.minP = minP_->value();
  s.repeatPenalty = repeatPenalty_->value();
  s.maxTokens = maxTokens_->value();
  s.seed = seed_->text().toULongLong();
  return s;
}

SettingsDialog::SettingsDialog(const AppSettings& a, QWidget* parent) : QDialog(parent) {
  setWindowTitle(tr("Settings"));
  auto* layout = new QVBoxLayout(this);

  auto* engine = new QGroupBox(tr("Engine (applied when a model is loaded)"), this);
  auto* ef = new QFormLayout(engine);
  threads_ = intBox(0, 4 * QThread::idealThreadCount(), tr("Threads"), tr("automatic"));
  context_ = intBox(0, 1 << 20, tr("Context size"), tr("model default"));
  context_->setSingleStep(1024);
  kvType_ = new QComboBox;
  kvType_->setAccessibleName(tr("KV cache type"));
  kvType_->addItems({QStringLiteral("f16"), QStringLiteral("f32"), QStringLiteral("q8_0")});
  ef->addRow(tr("&Threads:"), threads_);
  ef->addRow(tr("&Context size:"), context_);
  ef->addRow(tr("&KV cache type:"), kvType_);
  layout->addWidget(engine);

  auto* experts = new QGroupBox(tr("Expert cache"), this);
  const QString pending = tr("Applies to the next model you load (MoE models only).");
  experts->setToolTip(pending);
  auto* xf = new QFormLayout(experts);
  budget_ = intBox(0, 1 << 20, tr("Expert budget"), tr("recommended: half the experts"));
  budget_->setSuffix(tr(" MiB"));
  budget_->setSingleStep(256);
  policy_ = new QComboBox;
  policy_->setAccessibleName(tr("Cache policy"));
  policy_->addItems({QString(), QStringLiteral("lfu"), QStringLiteral("lru"), QStringLiteral("arc"), QStringLiteral("least-stale")});
  policy_->setItemText(0, tr("recommended (lfu)"));
  margin_ = intBox(0, 99, tr("Memory-aware margin"));
  margin_->setSuffix(tr(" %"));
  margin_->setSingleStep(5);
  prefetch_ = new QCheckBox(tr("Prefetch the next layer's experts"));
  prefetch_->setAccessibleName(tr("Prefetch"));
  for (QWidget* w : std::initializer_list<QWidget*>{budget_, policy_, margin_, prefetch_}) w->setToolTip(pending);
  xf->addRow(tr("Expert &budget:"), budget_);
  xf->addRow(tr("Cache &policy:"), policy_);
  xf->addRow(tr("Memory &margin:"), margin_);
  xf->addRow(prefetch_);
  auto* note = new QLabel(pending);
  note->setForegroundRole(QPalette::PlaceholderText);
  xf->addRow(note);
  layout->addWidget(experts);

  auto* sampling = new QGroupBox(tr("Sampling defaults for new conversations"), this);
  auto* sl = new QVBoxLayout(sampling);
  sampling_ = new SamplingEditor(sampling);
  sl->addWidget(sampling_);
  layout->addWidget(sampling);

  auto* look = new QGroupBox(tr("Appearance"), this);
  auto* lf = new QFormLayout(look);
  theme_ = new QComboBox;
  theme_->setAccessibleName(tr("Theme"));
  theme_->addItem(tr("Follow system"), themeName(Theme::followSystem));
  theme_->addItem(tr("Light"), themeName(Theme::light));
  theme_->addItem(tr("Dark"), themeName(Theme::dark));
  lf->addRow(tr("T&heme:"), theme_);
  layout->addWidget(look);
  layout->addWidget(okCancel(this));

  threads_->setValue(a.threads);
  context_->setValue(a.contextSize);
  kvType_->setCurrentText(a.kvType);
  budget_->setValue(a.expertBudgetMiB);
  policy_->setCurrentIndex(a.cachePolicy.isEmpty() ? 0 : std::max(0, policy_->findText(a.cachePolicy)));
  margin_->setValue(a.awareMarginPercent);
  prefetch_->setChecked(a.prefetch);
  sampling_->setSettings(a.sampling);
  theme_->setCurrentIndex(theme_->findData(themeName(a.theme)));
}

AppSettings SettingsDialog::settings() const {
  AppSettings a;
  a.threads = threads_->value();
  a.contextSize = context_->value();
  a.kvType = kvType_->currentText();
  a.expertBudgetMiB = budget_->value();
  a.cachePolicy = policy_->currentIndex() == 0 ? QString() : policy_->currentText();
  a.awareMarginPercent = margin_->value();
  a.prefetch = prefetch_->isChecked();
  a.sampling = sampling_->settings();
  a.theme = themeFromName(theme_->currentData().toString());
  return a;
}

ConversationSettingsDialog::ConversationSettingsDialog(const Conversation& c, QWidget* parent) : QDialog(parent) {
  setWindowTitle(tr("Conversation settings — %1").arg(c.title));
  auto* layout = new QVBoxLayout(this);
  auto* label = new QLabel(tr("S&ystem prompt:"), this);
  prompt_ = new QPlainTextEdit(c.systemPrompt, this);
  prompt_->setAccessibleName(tr("System prompt"));
  prompt_->setPlaceholderText(tr("Optional instructions the model sees before the conversation"));
  label->setBuddy(prompt_);
  layout->addWidget(label);
  layout->addWidget(prompt_, 1);
  auto* group = new QGroupBox(tr("Sampling"), this);
  auto* gl = new QVBoxLayout(group);
  sampling_ = new SamplingEditor(group);
  sampling_->setSettings(c.sampling);
  gl->addWidget(sampling_);
  layout->addWidget(group);
  layout->addWidget(okCancel(this));
  resize(480, 520);
}

QString ConversationSettingsDialog::systemPrompt() const { return prompt_->toPlainText(); }
SamplingSettings ConversationSettingsDialog::sampling() const { return sampling_->settings(); }

}  // namespace moe::ui

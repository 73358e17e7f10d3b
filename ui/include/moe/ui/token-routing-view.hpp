#pragma once
// The experts and router weights one selected token got in every layer (a dock beside the
// heatmap). The expert picked in the heatmap, when the token went to it, is marked.
#include <QWidget>

#include <memory>

class QLabel;
class QTableWidget;

namespace moe::ui {

class ReplyRouting;

class TokenRoutingView : public QWidget {
  Q_OBJECT
 public:
  explicit TokenRoutingView(QWidget* parent = nullptr);

  // Shows the token at context `position` of a reply (routing may be null: cleared).
  void showToken(std::shared_ptr<const ReplyRouting> routing, int position);
  void clear() { showToken(nullptr, -1); }
  void setMarkedCell(int layer, int expert);  // the heatmap's selection; (-1, -1) none
  QTableWidget* table() const { return table_; }
  QLabel* header() const { return header_; }
  int position() const { return position_; }

 private:
  void fill();
  QLabel* header_ = nullptr;
  QTableWidget* table_ = nullptr;
  std::shared_ptr<const ReplyRouting> routing_;
  int position_ = -1;
  int markLayer_ = -1, markExpert_ = -1;
};

}  // namespace moe::ui

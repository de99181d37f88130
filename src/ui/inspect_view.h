// The /inspect view's model, without curses: the last reply's tokens (columns) by layers (rows),
// each cell the top-1 expert, its weight, or the sink share; a cursor over token x layer; the
// detail of the token under it (experts and weights, logit lens, sink share per layer); and the
// same as plain text for --plain. inspect_screen.cc draws it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "chat/turn_inspection.h"

namespace gptoss::ui {

enum class InspectMeasure {
  kExpert,     // the top-1 expert's id
  kTopWeight,  // the top-1 expert's weight
  kSinkShare,  // the sink's share of the layer's attention, averaged over heads
};
const char* describe(InspectMeasure m);  // "top-1 expert", ...

// Colour indices a cell may take: an expert's id modulo kExpertColours, or a measure in [0, 1]
// in kRampColours equal steps (0: lowest).
constexpr int kExpertColours = 12;
constexpr int kRampColours = 5;

struct InspectCell {
  std::string text;  // digits, right-aligned in InspectView::cell_width() - 1 columns
  int colour = 0;
};

// The keys the view acts on.
enum class InspectKey { kLeft, kRight, kUp, kDown, kPageLeft, kPageRight, kFirst, kLast, kMeasure, kClose };
// The keys in `bytes` as the terminal sends them (arrows, PageUp/Down, Home/End, h j k l, m, q,
// a lone Esc); other bytes are skipped.
std::vector<InspectKey> inspect_keys(std::string_view bytes);
// The help line listing them.
const char* inspect_key_help();

class InspectView {
 public:
  // `piece` gives a token id's text (decoded; special tokens by name).
  InspectView(std::shared_ptr<const chat::TurnInspection> record, std::function<std::string(int32_t)> piece);

  int tokens() const { return record_->rows(); }
  int layers() const { return record_->layers; }
  const chat::TurnInspection& record() const { return *record_; }

  // The cursor, always inside the grid (a record without tokens has it at 0, 0).
  int token() const { return token_; }
  int layer() const { return layer_; }
  void move(int d_token, int d_layer) { move_to(token_ + d_token, layer_ + d_layer); }
  void move_to(int token, int layer);
  // Acts on a key; returns false for kClose. `page` is how many tokens a page key moves.
  bool handle(InspectKey key, int page);

  InspectMeasure measure() const { return measure_; }
  void next_measure();

  // Columns per cell, its separator included: wide enough for any expert id and a percentage.
  int cell_width() const;
  InspectCell cell(int t, int l) const;

  // The first token column and layer row to draw so that the cursor is visible in a grid of
  // `columns` tokens by `rows` layers; it moves only when the cursor leaves the window.
  int first_token(int columns);
  int first_layer(int rows);

  // Token t's text for display: newlines as U+21B5, tabs and other control bytes as U+00B7.
  std::string visible_piece(int t) const;
  // "token 3/57 ' the' (id 279)".
  std::string token_title(int t) const;
  // Layer l of token t: "L 5  e12 61%  e4 22%  e7 10%  e1 7%  sink 43%  lens ' the' ' a' ...";
  // the lens part only when it is known (set_lens).
  std::string detail_line(int t, int l) const;

  // The lens per layer of token t, as Backend::lens returns it; nullptr if not set.
  const std::vector<chat::LensTop>* lens(int t) const;
  void set_lens(int t, std::vector<chat::LensTop> lens) { lens_[t] = std::move(lens); }

  // Plain text: the grid as a table, one token per row (the current measure), and the detail of
  // one token with every layer.
  std::string text_table() const;
  std::string text_detail(int t) const;

 private:
  std::shared_ptr<const chat::TurnInspection> record_;
  std::function<std::string(int32_t)> piece_;
  int token_ = 0, layer_ = 0;
  int first_token_ = 0, first_layer_ = 0;
  InspectMeasure measure_ = InspectMeasure::kExpert;
  std::map<int, std::vector<chat::LensTop>> lens_;
};

}  // namespace gptoss::ui

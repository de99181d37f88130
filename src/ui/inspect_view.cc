#include "ui/inspect_view.h"

#include <algorithm>
#include <cstdio>

#include "ui/transcript.h"

namespace gptoss::ui {
namespace {

int digits(int n) {
  int d = 1;
  while (n >= 10) n /= 10, ++d;
  return d;
}

int percent(float share) { return static_cast<int>(std::clamp(share, 0.0f, 1.0f) * 100 + 0.5f); }

// "L<l>", appended: "L" + std::to_string(l) trips GCC 12's false -Wrestrict warning (GCC bug
// 105329).
std::string layer_label(int l) {
  std::string s = "L";
  s += std::to_string(l);
  return s;
}

std::string right_aligned(const std::string& s, int width) {
  return s.size() >= static_cast<size_t>(width) ? s : std::string(width - s.size(), ' ') + s;
}

// The first `max_chars` characters of UTF-8 `s` (an invalid byte becomes U+FFFD).
std::string clip(const std::string& s, size_t max_chars) {
  return wide_to_utf8(utf8_to_wide(s).substr(0, max_chars));
}

size_t utf8_chars(const std::string& s) { return utf8_to_wide(s).size(); }

constexpr size_t kLensPieceChars = 10;

}  // namespace

const char* describe(InspectMeasure m) {
  switch (m) {
    case InspectMeasure::kExpert:
      return "top-1 expert";
    case InspectMeasure::kTopWeight:
      return "top-1 weight %";
    case InspectMeasure::kSinkShare:
      return "sink share %";
  }
  return "";
}

std::vector<InspectKey> inspect_keys(std::string_view bytes) {
  std::vector<InspectKey> out;
  for (size_t i = 0; i < bytes.size(); ++i) {
    const char c = bytes[i];
    if (c == '\x1b') {
      if (i + 1 == bytes.size()) {  // a lone Esc
        out.push_back(InspectKey::kClose);
        break;
      }
      if (bytes[i + 1] != '[' && bytes[i + 1] != 'O') {  // Alt + key: not ours
        ++i;
        continue;
      }
      size_t end = i + 2;  // the final byte of the sequence
      while (end < bytes.size() && !(bytes[end] >= 0x40 && bytes[end] <= 0x7E)) ++end;
      if (end >= bytes.size()) break;
      const std::string_view body = bytes.substr(i + 2, end - i - 1);
      if (body == "A") out.push_back(InspectKey::kUp);
      if (body == "B") out.push_back(InspectKey::kDown);
      if (body == "C") out.push_back(InspectKey::kRight);
      if (body == "D") out.push_back(InspectKey::kLeft);
      if (body == "5~") out.push_back(InspectKey::kPageLeft);
      if (body == "6~") out.push_back(InspectKey::kPageRight);
      if (body == "H" || body == "1~" || body == "7~") out.push_back(InspectKey::kFirst);
      if (body == "F" || body == "4~" || body == "8~") out.push_back(InspectKey::kLast);
      i = end;
      continue;
    }
    switch (c) {
      case 'h':
        out.push_back(InspectKey::kLeft);
        break;
      case 'l':
        out.push_back(InspectKey::kRight);
        break;
      case 'k':
        out.push_back(InspectKey::kUp);
        break;
      case 'j':
        out.push_back(InspectKey::kDown);
        break;
      case 'g':
        out.push_back(InspectKey::kFirst);
        break;
      case 'G':
        out.push_back(InspectKey::kLast);
        break;
      case 'm':
        out.push_back(InspectKey::kMeasure);
        break;
      case 'q':
        out.push_back(InspectKey::kClose);
        break;
      default:
        break;
    }
  }
  return out;
}

const char* inspect_key_help() {
  return "\u2190\u2192/hl token  \u2191\u2193/jk layer  PgUp/PgDn page  Home/End  m measure  q/Esc close";
}

InspectView::InspectView(std::shared_ptr<const chat::TurnInspection> record,
                         std::function<std::string(int32_t)> piece)
    : record_(std::move(record)), piece_(std::move(piece)) {}

void InspectView::move_to(int token, int layer) {
  token_ = std::clamp(token, 0, std::max(0, tokens() - 1));
  layer_ = std::clamp(layer, 0, std::max(0, layers() - 1));
}

bool InspectView::handle(InspectKey key, int page) {
  switch (key) {
    case InspectKey::kLeft:
      move(-1, 0);
      break;
    case InspectKey::kRight:
      move(1, 0);
      break;
    case InspectKey::kUp:
      move(0, -1);
      break;
    case InspectKey::kDown:
      move(0, 1);
      break;
    case InspectKey::kPageLeft:
      move(-std::max(1, page), 0);
      break;
    case InspectKey::kPageRight:
      move(std::max(1, page), 0);
      break;
    case InspectKey::kFirst:
      move_to(0, layer_);
      break;
    case InspectKey::kLast:
      move_to(tokens() - 1, layer_);
      break;
    case InspectKey::kMeasure:
      next_measure();
      break;
    case InspectKey::kClose:
      return false;
  }
  return true;
}

void InspectView::next_measure() {
  measure_ = measure_ == InspectMeasure::kExpert      ? InspectMeasure::kTopWeight
             : measure_ == InspectMeasure::kTopWeight ? InspectMeasure::kSinkShare
                                                      : InspectMeasure::kExpert;
}

int InspectView::cell_width() const { return std::max(2, digits(std::max(0, record_->experts - 1))) + 1; }

InspectCell InspectView::cell(int t, int l) const {
  const int w = cell_width() - 1;
  auto ramp = [&](float share) {
    const int p = percent(share);
    return InspectCell{right_aligned(std::to_string(std::min(p, 99)), w),
                       std::min(kRampColours - 1, static_cast<int>(share * kRampColours))};
  };
  switch (measure_) {
    case InspectMeasure::kExpert: {
      const int e = record_->experts_at(t, l)[0];
      return {right_aligned(std::to_string(e), w), e % kExpertColours};
    }
    case InspectMeasure::kTopWeight:
      return ramp(record_->weights_at(t, l)[0]);
    case InspectMeasure::kSinkShare:
      if (!record_->has_sinks()) return {right_aligned("-", w), 0};
      return ramp(record_->mean_sink_share(t, l));
  }
  return {};
}

int InspectView::first_token(int columns) {
  columns = std::max(1, columns);
  if (token_ < first_token_) first_token_ = token_;
  if (token_ >= first_token_ + columns) first_token_ = token_ - columns + 1;
  first_token_ = std::clamp(first_token_, 0, std::max(0, tokens() - columns));  // a wider window
  return first_token_;
}

int InspectView::first_layer(int rows) {
  rows = std::max(1, rows);
  if (layer_ < first_layer_) first_layer_ = layer_;
  if (layer_ >= first_layer_ + rows) first_layer_ = layer_ - rows + 1;
  first_layer_ = std::clamp(first_layer_, 0, std::max(0, layers() - rows));
  return first_layer_;
}

std::string InspectView::visible_piece(int t) const {
  const std::string raw = piece_(record_->tokens[t]);
  std::string out;
  for (char c : raw) {
    if (c == '\n')
      out += "\u21B5";
    else if ((static_cast<unsigned char>(c) < 0x20) || c == 0x7F)
      out += "\u00B7";
    else
      out += c;
  }
  return out;
}

std::string InspectView::token_title(int t) const {
  return "token " + std::to_string(t + 1) + "/" + std::to_string(tokens()) + " '" + visible_piece(t) +
         "' (id " + std::to_string(record_->tokens[t]) + ")";
}

std::string InspectView::detail_line(int t, int l) const {
  std::string label = layer_label(l);
  label.resize(std::max<size_t>(label.size(), 1 + digits(std::max(0, layers() - 1))), ' ');
  std::string s = label;
  const auto experts = record_->experts_at(t, l);
  const auto weights = record_->weights_at(t, l);
  for (size_t k = 0; k < experts.size(); ++k)
    s += "  e" + std::to_string(experts[k]) + " " + std::to_string(percent(weights[k])) + "%";
  s += record_->has_sinks() ? "  sink " + std::to_string(percent(record_->mean_sink_share(t, l))) + "%"
                            : std::string("  sink -");
  if (const auto* top = lens(t); top && static_cast<size_t>(l) < top->size()) {
    s += "  lens";
    for (int32_t id : (*top)[l].ids) {
      std::string p;
      for (char c : piece_(id)) p += c == '\n' ? std::string("\u21B5") : std::string(1, c);
      s += " '" + clip(p, kLensPieceChars) + "'";
    }
  }
  return s;
}

const std::vector<chat::LensTop>* InspectView::lens(int t) const {
  auto it = lens_.find(t);
  return it == lens_.end() ? nullptr : &it->second;
}

std::string InspectView::text_table() const {
  constexpr size_t kPieceChars = 12;
  const int w = cell_width();
  std::string s = "Last reply: " + std::to_string(tokens()) + " tokens x " + std::to_string(layers()) +
                  " layers; each cell: the " + describe(measure_) + " of that token's step at that layer.\n";
  std::string header = "token  piece" + std::string(kPieceChars - 5 + 1, ' ');
  for (int l = 0; l < layers(); ++l) header += right_aligned(layer_label(l), w);
  s += header + "\n";
  for (int t = 0; t < tokens(); ++t) {
    std::string p = clip(visible_piece(t), kPieceChars);
    p += std::string(kPieceChars + 1 - utf8_chars(p), ' ');
    std::string row = right_aligned(std::to_string(t + 1), 5) + "  " + p;
    for (int l = 0; l < layers(); ++l) {
      row += ' ';
      row += cell(t, l).text;
    }
    s += row + "\n";
  }
  return s;
}

std::string InspectView::text_detail(int t) const {
  std::string s = token_title(t) + ": per layer its experts (weight), the sink share";
  s += lens(t) ? ", the logit lens' top tokens\n" : "\n";
  for (int l = 0; l < layers(); ++l) s += detail_line(t, l) + "\n";
  return s;
}

}  // namespace gptoss::ui

// The /inspect view's model: cells, colours, cursor, scrolling, detail and the text fallback, on a
// record built by hand so every value is known.
#include "ui/inspect_view.h"

#include <gtest/gtest.h>

namespace gptoss::ui {
namespace {

// 4 tokens x 3 layers, K = 2, NH = 2, E = 14 (two-digit ids). Token t at layer l routes first to
// expert (5t + l) % 14 with weight 0.5 + 0.1 l; head h's sink share is 0.2 t + 0.1 h.
std::shared_ptr<const chat::TurnInspection> record() {
  auto r = std::make_shared<chat::TurnInspection>();
  r->layers = 3;
  r->experts_per_token = 2;
  r->heads = 2;
  r->experts = 14;
  r->first_position = 40;
  r->tokens = {100, 101, 102, 103};
  for (int t = 0; t < 4; ++t)
    for (int l = 0; l < 3; ++l) {
      r->picked.push_back((5 * t + l) % 14);
      r->picked.push_back(13);
      r->weights.push_back(0.5f + 0.1f * l);
      r->weights.push_back(0.5f - 0.1f * l);
      r->sink_shares.push_back(0.2f * t);
      r->sink_shares.push_back(0.2f * t + 0.1f);
    }
  return r;
}

std::string piece(int32_t id) {
  if (id == 101) return "\nline";
  return " tok" + std::to_string(id);
}

TEST(InspectViewTest, CellsShowTheChosenMeasure) {
  InspectView v(record(), piece);
  EXPECT_EQ(v.cell_width(), 3);  // two digits and a space
  // Token 2, layer 1: expert 11, weight 0.6, sink share (0.4 + 0.5) / 2.
  InspectCell c = v.cell(2, 1);
  EXPECT_EQ(c.text, "11");
  EXPECT_EQ(c.colour, 11 % kExpertColours);
  EXPECT_EQ(v.cell(3, 0).text, " 1");  // (15 + 0) % 14, right-aligned
  EXPECT_EQ(v.cell(3, 0).colour, 1);
  v.next_measure();
  EXPECT_EQ(v.measure(), InspectMeasure::kTopWeight);
  c = v.cell(2, 1);
  EXPECT_EQ(c.text, "60");
  EXPECT_EQ(c.colour, 3);             // 0.6 in five steps: [0.6, 0.8)
  EXPECT_EQ(v.cell(0, 2).colour, 3);  // 0.7
  v.next_measure();
  EXPECT_EQ(v.measure(), InspectMeasure::kSinkShare);
  EXPECT_EQ(v.cell(2, 1).text, "45");
  EXPECT_EQ(v.cell(2, 1).colour, 2);
  EXPECT_EQ(v.cell(0, 0).text, " 5");
  EXPECT_EQ(v.cell(0, 0).colour, 0);
  v.next_measure();
  EXPECT_EQ(v.measure(), InspectMeasure::kExpert);
}

TEST(InspectViewTest, SinksThatCouldNotBeMeasuredShowAsADash) {
  auto r = std::make_shared<chat::TurnInspection>(*record());
  r->sink_shares.clear();  // the cache no longer held the reply
  InspectView v(r, piece);
  v.next_measure();
  v.next_measure();
  EXPECT_EQ(v.cell(2, 1).text, " -");
  EXPECT_EQ(v.detail_line(2, 1), "L1  e11 60%  e13 40%  sink -");
}

TEST(InspectViewTest, CellsAreWideEnoughForEveryExpertId) {
  auto r = std::make_shared<chat::TurnInspection>(*record());
  r->experts = 128;  // 120b
  r->picked[0] = 127;
  InspectView v(r, piece);
  EXPECT_EQ(v.cell_width(), 4);
  EXPECT_EQ(v.cell(0, 0).text, "127");
  EXPECT_EQ(v.cell(0, 0).colour, 127 % kExpertColours);
  v.next_measure();
  EXPECT_EQ(v.cell(0, 0).text, " 50");
}

TEST(InspectViewTest, TheCursorStaysInTheGrid) {
  InspectView v(record(), piece);
  v.move(-1, -1);
  EXPECT_EQ(v.token(), 0);
  EXPECT_EQ(v.layer(), 0);
  v.move(10, 10);
  EXPECT_EQ(v.token(), 3);
  EXPECT_EQ(v.layer(), 2);
  EXPECT_TRUE(v.handle(InspectKey::kFirst, 2));
  EXPECT_EQ(v.token(), 0);
  EXPECT_EQ(v.layer(), 2);
  v.handle(InspectKey::kPageRight, 2);
  EXPECT_EQ(v.token(), 2);
  v.handle(InspectKey::kPageRight, 2);
  EXPECT_EQ(v.token(), 3);
  v.handle(InspectKey::kUp, 2);
  EXPECT_EQ(v.layer(), 1);
  v.handle(InspectKey::kMeasure, 2);
  EXPECT_EQ(v.measure(), InspectMeasure::kTopWeight);
  EXPECT_FALSE(v.handle(InspectKey::kClose, 2));
}

TEST(InspectViewTest, TheWindowFollowsTheCursor) {
  InspectView v(record(), piece);
  EXPECT_EQ(v.first_token(2), 0);
  v.move(1, 0);
  EXPECT_EQ(v.first_token(2), 0);  // still visible: no jump
  v.move(1, 0);
  EXPECT_EQ(v.first_token(2), 1);  // token 2 at the right edge
  v.move(1, 0);
  EXPECT_EQ(v.first_token(2), 2);
  v.move(-2, 0);
  EXPECT_EQ(v.first_token(2), 1);
  EXPECT_EQ(v.first_token(10), 0);  // a wider window (a resize) shows everything
  v.move(0, 2);
  EXPECT_EQ(v.first_layer(1), 2);
  EXPECT_EQ(v.first_layer(3), 0);
}

TEST(InspectViewTest, DetailListsExpertsSinkAndLens) {
  InspectView v(record(), piece);
  EXPECT_EQ(v.token_title(1), "token 2/4 '\u21B5line' (id 101)");
  EXPECT_EQ(v.detail_line(1, 2), "L2  e7 70%  e13 30%  sink 25%");
  EXPECT_EQ(v.lens(1), nullptr);
  std::vector<chat::LensTop> lens(3);
  lens[2] = {{100, 101}, {3.0f, 2.0f}};
  v.set_lens(1, lens);
  EXPECT_EQ(v.detail_line(1, 2), "L2  e7 70%  e13 30%  sink 25%  lens ' tok100' '\u21B5line'");
  EXPECT_EQ(v.detail_line(1, 0), "L0  e5 50%  e13 50%  sink 25%  lens");
}

TEST(InspectViewTest, TextFallbackHasEveryTokenAndLayer) {
  InspectView v(record(), piece);
  const std::string table = v.text_table();
  EXPECT_NE(table.find("4 tokens x 3 layers"), std::string::npos) << table;
  EXPECT_NE(table.find("token  piece         L0 L1 L2\n"), std::string::npos) << table;
  EXPECT_NE(table.find("    3   tok102       10 11 12\n"), std::string::npos) << table;
  EXPECT_NE(table.find("    2  \u21B5line          5  6  7\n"), std::string::npos) << table;
  const std::string detail = v.text_detail(3);
  EXPECT_EQ(detail.find("token 4/4 ' tok103' (id 103)"), 0u) << detail;
  EXPECT_NE(detail.find("\nL1  e2 60%  e13 40%  sink 65%\n"), std::string::npos) << detail;
}

TEST(InspectViewTest, KeysFromTheTerminal) {
  using K = InspectKey;
  EXPECT_EQ(inspect_keys("\x1b[A\x1b[B\x1b[C\x1b[D"),
            (std::vector<K>{K::kUp, K::kDown, K::kRight, K::kLeft}));
  EXPECT_EQ(inspect_keys("\x1bOC"), (std::vector<K>{K::kRight}));  // application cursor mode
  EXPECT_EQ(inspect_keys("hjklmq"),
            (std::vector<K>{K::kLeft, K::kDown, K::kUp, K::kRight, K::kMeasure, K::kClose}));
  EXPECT_EQ(inspect_keys("\x1b"), (std::vector<K>{K::kClose}));  // a lone Esc
  EXPECT_EQ(inspect_keys("\x1bx"), (std::vector<K>{}));          // Alt-x
  EXPECT_EQ(inspect_keys("\x1b[5~\x1b[6~\x1b[H\x1b[F"),
            (std::vector<K>{K::kPageLeft, K::kPageRight, K::kFirst, K::kLast}));
  EXPECT_EQ(inspect_keys("zx\r"), (std::vector<K>{}));
}

}  // namespace
}  // namespace gptoss::ui

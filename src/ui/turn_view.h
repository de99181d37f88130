// A running turn as the transcript shows it: the chat's events (chat_session.h) become blocks.
// Reasoning streams in its own block (shown while it grows, collapsed to "Thought for 12 s,
// 340 tokens" once it ends), the answer streams below it, tool calls and results are blocks of
// their own, and an interrupted reply is kept and marked. No curses: tests feed it events.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "chat/chat_session.h"
#include "ui/transcript.h"

namespace gptoss::ui {

// How a turn ended, in words for the screen: "the reply budget ran out" rather than budget_exhausted.
std::string describe_end(chat::TurnEnd end);

class TurnView {
 public:
  using Clock = std::chrono::steady_clock;

  // The transcript must outlive the view.
  explicit TurnView(Transcript& transcript) : transcript_(transcript) {}

  // A new turn: the label above the reply; reply_budget is named when the reply hits it.
  void begin(const std::string& label, int reply_budget);
  // One event, in the order the chat sent it. `now` times the reasoning.
  void handle(const chat::ChatEvent& e, Clock::time_point now);
  // The worker stopped (also after an error without TurnFinished): closes an open block.
  void end(Clock::time_point now);

  // What the model is doing ("thinking", "answering", ...); empty between turns.
  const std::string& activity() const { return activity_; }
  void set_activity(std::string a) { activity_ = std::move(a); }
  // The stats of the last TurnFinished, if a turn has finished.
  const std::optional<chat::TurnStats>& last_stats() const { return last_stats_; }
  void forget_stats() { last_stats_.reset(); }

 private:
  void open(BlockKind kind, std::string title, Clock::time_point now);
  void close(bool interrupted, Clock::time_point now);
  void notice(const std::string& text, BlockKind kind = BlockKind::kNotice);
  void finish(const chat::TurnStats& stats, Clock::time_point now);

  Transcript& transcript_;
  std::optional<size_t> current_;  // the block receiving text
  Clock::time_point opened_at_;
  int deltas_ = 0;                 // text deltas of the current block: about one per token
  bool has_blocks_ = false;        // this turn drew something
  int reply_budget_ = 0;
  std::string activity_;
  std::optional<chat::TurnStats> last_stats_;
};

}  // namespace gptoss::ui

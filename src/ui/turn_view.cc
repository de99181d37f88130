#include "ui/turn_view.h"

#include "ui/status_bar.h"

namespace gptoss::ui {

std::string describe_end(chat::TurnEnd end) {
  switch (end) {
    case chat::TurnEnd::kAnswered:
      return "answered";
    case chat::TurnEnd::kBudgetExhausted:
      return "the reply budget ran out";
    case chat::TurnEnd::kCancelled:
      return "stopped (Ctrl-C)";
    case chat::TurnEnd::kToolRoundsExhausted:
      return "too many tool calls";
    case chat::TurnEnd::kContextFull:
      return "the context window filled up";
    case chat::TurnEnd::kToolCalls:
      return "a tool call, for the caller to run";
  }
  return "unknown";
}

void TurnView::begin(const std::string& label, int reply_budget) {
  Block b;
  b.kind = BlockKind::kTurnLabel;
  b.title = label;
  transcript_.add(b);
  current_.reset();
  has_blocks_ = false;
  reply_budget_ = reply_budget;
  activity_ = "reading the prompt";
}

void TurnView::end(Clock::time_point now) {
  close(false, now);
  activity_.clear();
}

void TurnView::open(BlockKind kind, std::string title, Clock::time_point now) {
  close(false, now);
  Block b;
  b.kind = kind;
  b.title = std::move(title);
  b.streaming = true;
  current_ = transcript_.add(b);
  opened_at_ = now;
  deltas_ = 0;
  has_blocks_ = true;
}

void TurnView::close(bool interrupted, Clock::time_point now) {
  if (!current_) return;
  Block& b = transcript_.edit(*current_);
  b.streaming = false;  // reasoning collapses here, unless the user shows it
  if (interrupted) b.interrupted = true;
  if (b.kind == BlockKind::kReasoning) {
    b.seconds = std::chrono::duration<double>(now - opened_at_).count();
    b.tokens = deltas_;
  }
  current_.reset();
}

void TurnView::notice(const std::string& text, BlockKind kind) {
  Block b;
  b.kind = kind;
  b.text = text;
  transcript_.add(b);
}

void TurnView::handle(const chat::ChatEvent& e, Clock::time_point now) {
  if (std::holds_alternative<chat::PrefillFinished>(e)) {
    activity_ = "generating";
  } else if (auto* m = std::get_if<chat::MessageStarted>(&e)) {
    if (m->recipient) {
      open(BlockKind::kToolCall, *m->recipient, now);
      activity_ = "calling " + *m->recipient;
    } else if (m->role != "assistant") {
      open(BlockKind::kAnswer, m->role, now);  // a malformed header: say what it claimed to be
    } else if (m->channel && *m->channel == "analysis") {
      open(BlockKind::kReasoning, "", now);
      activity_ = "thinking";
    } else {
      bool plain = !m->channel || *m->channel == "final";
      open(BlockKind::kAnswer, plain ? "" : *m->channel, now);
      activity_ = "answering";
    }
  } else if (auto* d = std::get_if<chat::TextDelta>(&e)) {
    if (!current_) {
      bool analysis = d->channel && *d->channel == "analysis";
      open(analysis ? BlockKind::kReasoning : BlockKind::kAnswer, "", now);
    }
    transcript_.append_text(*current_, d->text);
    ++deltas_;
  } else if (auto* f = std::get_if<chat::MessageFinished>(&e)) {
    if (!current_) {
      // A message that did not stream (a malformed header closed at the end): show its text.
      if (f->message.content.find_first_not_of(" \n") == std::string::npos) return;
      open(BlockKind::kAnswer, f->message.channel.value_or(""), now);
      transcript_.edit(*current_).text = f->message.content;
    } else if (f->message.content != transcript_.block(*current_).text) {
      transcript_.edit(*current_).text = f->message.content;  // as stored
    }
    close(false, now);
  } else if (auto* t = std::get_if<chat::ToolCalled>(&e)) {
    activity_ = (t->available ? "running " : "no tool ") + t->call.recipient;
  } else if (auto* a = std::get_if<chat::ToolAnswered>(&e)) {
    close(false, now);
    Block b;
    b.kind = BlockKind::kToolResult;
    b.title = a->message.name.value_or("tool");
    b.text = a->message.content;
    transcript_.add(b);
    has_blocks_ = true;
  } else if (auto* c = std::get_if<chat::ContextTrimmed>(&e)) {
    notice("The context window is full: the oldest " + std::to_string(c->dropped_turns) +
           " exchange(s) are no longer shown to the model.");
  } else if (auto* done = std::get_if<chat::TurnFinished>(&e)) {
    finish(done->stats, now);
  }
}

void TurnView::finish(const chat::TurnStats& stats, Clock::time_point now) {
  bool interrupted = stats.interrupted || stats.end == chat::TurnEnd::kCancelled;
  if (!interrupted) {
    close(false, now);
  } else if (current_) {
    close(true, now);
  } else if (has_blocks_) {
    transcript_.edit(transcript_.size() - 1).interrupted = true;
  } else {
    Block b;  // stopped before any text: an empty, marked reply
    b.kind = BlockKind::kAnswer;
    b.interrupted = true;
    transcript_.add(b);
    has_blocks_ = true;
  }
  last_stats_ = stats;
  if (!has_blocks_) {
    notice("(no readable reply: the model's " + count_noun(stats.tokens_generated, "token") +
           " did not form a message)");
  }
  switch (stats.end) {
    case chat::TurnEnd::kBudgetExhausted:
      if (has_blocks_) {
        notice("(the reply stopped at the limit of " + count_noun(reply_budget_, "token") +
               "; /set max-tokens raises it)");
      }
      break;
    case chat::TurnEnd::kContextFull:
      notice("The context window is full; /new starts a fresh conversation.", BlockKind::kError);
      break;
    case chat::TurnEnd::kToolRoundsExhausted:
      notice("The model kept calling tools; the turn was ended.");
      break;
    default:
      break;
  }
}

}  // namespace gptoss::ui

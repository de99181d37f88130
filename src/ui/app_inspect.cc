// /inspect and /stats experts: what the model did for the last answer, from the backend's record.
#include <string>

#include "tokenizer/tokenizer.h"
#include "ui/app.h"
#include "ui/expert_usage_text.h"
#include "ui/inspect_screen.h"
#include "ui/inspect_view.h"

namespace gptoss::ui {

// Tokens the lens shows per layer.
constexpr int kLensTop = 5;

void App::show_expert_table() {
  const std::string table = expert_usage_table(config_.backend->expert_usage());
  notice(table.empty() ? "Expert usage needs the local engine: a remote server does not report it." : table);
}

void App::inspect(const std::string& arg) {
  if (busy_) {
    hint_ = "/inspect shows the last answer: wait for this one to end, or press Ctrl-C";
    needs_redraw_ = true;
    return;
  }
  if (config_.backend->info().remote) {
    notice(
        "/inspect needs the local engine: a remote server does not say which experts or layers made its "
        "answer.");
    return;
  }
  // The first look at a reply re-runs it to measure the sinks (seconds for a long one on 20b).
  hint_ = "reading the last answer again to look inside it";
  redraw();
  hint_.clear();
  const std::shared_ptr<const chat::TurnInspection> record = config_.backend->inspect_last_reply();
  if (!record || record->rows() == 0) {
    notice("Nothing to inspect yet: /inspect shows how the model wrote its last answer.");
    return;
  }
  const auto tokenizer = config_.tokenizer;
  InspectView view(record,
                   [tokenizer](int32_t id) { return tokenizer->decode(std::span<const int32_t>(&id, 1)); });
  if (!arg.empty()) view.move_to(std::stoi(arg) - 1, 0);  // parse_command checked it is a number
  const InspectScreenEnd end = run_inspect_screen(
      terminal_, wake_, view, [this](int t) { return config_.backend->lens(t, kLensTop); });
  if (end.quit_signal) {
    quit_ = true;
    quit_signal_ = end.quit_signal;
  }
  if (end.terminal_gone) {
    quit_ = true;
    terminal_gone_ = true;
  }
  clearok(curscr, TRUE);  // the chat's screen, whole again
  needs_redraw_ = true;
}

}  // namespace gptoss::ui

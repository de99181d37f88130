// /copy and /copy code: the last answer, or its last code block, to the terminal's clipboard.
#include "ui/app.h"
#include "ui/clipboard.h"
#include "ui/markdown.h"
#include "ui/model_discovery.h"
#include "ui/terminal.h"

namespace gptoss::ui {

void App::copy_to_clipboard(const std::string& arg) {
  const auto& msgs = session_->conversation().messages;
  const chat::Message* answer = nullptr;
  for (size_t i = msgs.size(); i-- > 0 && !answer;) {
    const chat::Message& m = msgs[i];
    if (m.role == "assistant" && !m.recipient && (!m.channel || *m.channel != "analysis")) answer = &m;
  }
  if (!answer) {
    notice("No answer to copy yet.");
    return;
  }
  std::string text = strip_harmony_markup(answer->content);
  std::string what = "the last answer";
  if (arg == "code") {
    std::vector<CodeBlock> blocks = fenced_code_blocks(text);
    if (blocks.empty()) {
      notice("The last answer has no code block (/copy copies all of it).");
      return;
    }
    text = blocks.back().code;
    what = "its last code block" + (blocks.back().lang.empty() ? "" : " (" + blocks.back().lang + ")");
  }
  terminal_.write_escape(osc52_copy(text, process_env()("TMUX").has_value()));
  notice("Copied " + what + " to the clipboard: " + count_noun(text.size(), "byte") +
         " (with OSC 52; a terminal without it ignores the request).");
}

}  // namespace gptoss::ui

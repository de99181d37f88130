// `gpt-oss-chat render --session FILE [--ids]`: the prompt the next assistant turn of a saved
// session would see. Needs no model.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "chat/chat_session.h"
#include "chat/context_policy.h"
#include "chat/harmony_render.h"
#include "chat/session_store.h"
#include "common/error.h"
#include "tokenizer/tokenizer.h"
#include "ui/cli.h"
#include "ui/session_names.h"
#include "ui/subcommands.h"

namespace gptoss::ui {
namespace {

constexpr const char* kUsage =
    "usage: gpt-oss-chat render --session NAME [--ids]\n"
    "\n"
    "Prints the prompt the next assistant turn of a saved session would see: system and developer\n"
    "messages, the messages in the context window (reasoning of completed turns dropped unless the\n"
    "session keeps it), then <|start|>assistant. No model is needed.\n"
    "\n"
    "  --session NAME  a saved session (in $XDG_DATA_HOME/gpt-oss-chat/sessions); with a '/' or\n"
    "                  ending in .json, a session file path instead\n"
    "  --ids           print the token ids as a JSON array instead of the text\n"
    "  -h, --help      show this help\n"
    "\n"
    "The text is written byte for byte, special tokens as their strings (<|start|>...), with no\n"
    "trailing newline. Exits 1 if the file cannot be read (the error names its line:col).\n";

void write_stdout(const std::string& bytes) {
  if (std::fwrite(bytes.data(), 1, bytes.size(), stdout) != bytes.size() || std::fflush(stdout) != 0) {
    throw gptoss::Error("stdout: write failed");
  }
}

}  // namespace

int cmd_render(int argc, char** argv) {
  const CliArgs args = parse_cli(argc, argv, {{"--session", true}, {"--ids", false}});
  if (args.help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!args.positionals.empty()) throw UsageError("unexpected argument '" + args.positionals.front() + "'");
  const std::string path = session_option_file("--session", args.require("--session"));
  chat::SessionFile file = chat::load_session(path);
  // As ChatSession does when it opens the session: system and developer follow the settings (a
  // version-0 file has none stored; a hand-edited one may disagree), the stored date is kept.
  chat::sync_headers(file.state, chat::today_utc());

  if (args.has("--ids")) {
    const auto tokenizer = tokenizer::Tokenizer::load_default();
    const std::vector<int32_t> ids = chat::render_next_prompt(file.state, *tokenizer);
    write_stdout(nlohmann::json(ids).dump() + "\n");
  } else {
    write_stdout(
        chat::render_text(chat::prompt_view(file.state), chat::chat_render_options(file.state.settings)));
  }
  return 0;
}

}  // namespace gptoss::ui

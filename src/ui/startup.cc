#include "ui/startup.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>

#include "ui/terminal.h"
#include "ui/transcript.h"

namespace gptoss::ui {
namespace {

void draw_wrapped(const Terminal& terminal, int& y, const std::string& text, Style style, int x, int width) {
  for (const ScreenLine& row : wrap_text(text, style, width, 0)) {
    if (y >= LINES) return;
    move(y++, x);
    for (const WideSpan& s : row.spans) {
      attrset(terminal.attributes(s.style));
      addnwstr(s.text.c_str(), static_cast<int>(s.text.size()));
    }
  }
  attrset(A_NORMAL);
}

}  // namespace

const std::vector<std::string>& load_stages(bool demo) {
  static const std::vector<std::string> kModel = {"tokenizer", "mapping", "validating", "warming"};
  static const std::vector<std::string> kDemo = {"generating", "tokenizer", "mapping", "validating", "warming"};
  return demo ? kDemo : kModel;
}

void draw_loading(const Terminal& terminal, const std::string& title, const std::string& detail, bool demo,
                  const std::string& stage, double fraction) {
  erase();
  const int W = COLS;
  const int x = W > 70 ? (W - 64) / 2 : 1;
  const int width = std::max(10, std::min(64, W - 2));
  int y = std::max(0, LINES / 2 - 6);
  draw_wrapped(terminal, y, title, Style{Role::kAssistantLabel, true, false}, x, width);
  draw_wrapped(terminal, y, detail, Style{Role::kNotice}, x, width);
  if (demo) draw_wrapped(terminal, y, "random weights: replies are gibberish", Style{Role::kDemo, true, false}, x, width);
  ++y;
  const auto& stages = load_stages(demo);
  auto current = std::find(stages.begin(), stages.end(), stage);
  const int bar = std::max(4, width - 20);
  for (auto it = stages.begin(); it != stages.end() && y < LINES; ++it, ++y) {
    double f = current == stages.end() ? 0.0 : it < current ? 1.0 : it == current ? std::clamp(fraction, 0.0, 1.0) : 0.0;
    int filled = static_cast<int>(f * bar + 0.5);
    std::wstring line = utf8_to_wide(*it);
    line.resize(12, L' ');
    line += L"[";
    line += std::wstring(static_cast<size_t>(filled), L'\u2588');
    line += std::wstring(static_cast<size_t>(bar - filled), L' ');
    line += L"]";
    wchar_t pct[16];
    swprintf(pct, 16, L" %3d%%", static_cast<int>(f * 100 + 0.5));
    line += pct;
    attrset(it == current ? A_BOLD : (it < current ? A_NORMAL : A_DIM));
    mvaddnwstr(y, x, line.c_str(), static_cast<int>(line.size()));
  }
  attrset(A_NORMAL);
  ++y;
  if (y < LINES) mvaddstr(y, x, "Ctrl-C cancels.");
  refresh();
}

std::vector<std::string> no_model_help(const DiscoveredModel& discovered, const std::string& demo_dir,
                                       const std::string& program) {
  std::vector<std::string> out;
  out.push_back("gpt-oss-chat: no model found");
  std::string looked = "Looked in:";
  for (const std::string& s : discovered.searched) looked += "\n  " + s;
  out.push_back(looked);
  // Debian 12 has no pip, and its Python refuses `pip install` outside a venv: pipx works.
  out.push_back(
      "Download the weights (about 13 GB) with Hugging Face's hf tool. On Debian 12 it comes with pipx "
      "(open a new terminal after `pipx ensurepath`):\n"
      "  sudo apt install pipx && pipx install huggingface_hub && pipx ensurepath\n"
      "  hf download openai/gpt-oss-20b --local-dir gpt-oss-20b");
  out.push_back("Then start the chat from the folder that holds gpt-oss-20b, or point at the weights:\n  " +
                program +
                " --model /path/to/gpt-oss-20b\n"
                "  export GPT_OSS_MODEL=/path/to/gpt-oss-20b");
  out.push_back(
      "Or try the interface right now with a tiny model of RANDOM weights (it answers gibberish), "
      "generated on the spot into " +
      demo_dir + ":\n  " + program + " --demo");
  return out;
}

bool ask_no_model(Terminal& terminal, const std::vector<std::string>& help) {
  for (;;) {
    erase();
    const int width = std::max(10, std::min(90, COLS - 4));
    const int x = COLS > width + 4 ? (COLS - width) / 2 : 2;
    int y = 1;
    for (size_t i = 0; i < help.size(); ++i) {
      Style style = i == 0 ? Style{Role::kError, true, false} : Style{};
      draw_wrapped(terminal, y, help[i], style, x, width);
      ++y;
    }
    draw_wrapped(terminal, y, "Press D to start the demo now, or Q to quit.", Style{Role::kNotice, true, false}, x,
                 width);
    refresh();
    struct pollfd p = {STDIN_FILENO, POLLIN, 0};
    int ready = ::poll(&p, 1, 1000);
    SignalFlags sig = terminal.take_signals();
    if (sig.quit || sig.interrupt) return false;
    if (sig.resize) terminal.apply_resize();
    if (ready <= 0) continue;
    char c = 0;
    ssize_t n = ::read(STDIN_FILENO, &c, 1);
    if (n <= 0) return false;
    if (c == 'd' || c == 'D') return true;
    if (c == 'q' || c == 'Q' || c == 0x1b || c == 0x03 || c == 0x04) return false;
  }
}

}  // namespace gptoss::ui

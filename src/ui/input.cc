#include "ui/input.h"

#include <fcntl.h>
#include <poll.h>
#include <readline/history.h>
#include <readline/readline.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <utility>

#include "ui/commands.h"
#include "ui/history_file.h"
#include "ui/transcript.h"

namespace gptoss::ui {

// ---- Layout -------------------------------------------------------------------------------

InputLayout layout_input(std::string_view prompt, std::string_view text, size_t point, int width) {
  if (width < 2) width = 2;
  InputLayout out;
  std::wstring wprompt = utf8_to_wide(prompt);
  int indent = text_width(wprompt);
  if (indent >= width) indent = 0;
  out.rows.push_back(wprompt);
  int col = text_width(wprompt);
  if (col >= width) {
    out.rows.emplace_back();
    col = 0;
  }
  auto new_row = [&] {
    out.rows.push_back(std::wstring(static_cast<size_t>(indent), L' '));
    col = indent;
  };
  bool cursor_set = false;
  auto set_cursor = [&] {
    out.cursor_row = static_cast<int>(out.rows.size()) - 1;
    out.cursor_col = col;
    cursor_set = true;
  };
  size_t i = 0;
  while (i < text.size()) {
    if (!cursor_set && i >= point) set_cursor();
    unsigned char b = static_cast<unsigned char>(text[i]);
    size_t n = b < 0x80 ? 1 : (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 1;
    if (i + n > text.size()) n = text.size() - i;
    std::wstring wc = utf8_to_wide(text.substr(i, n));
    i += n;
    if (wc == L"\n") {
      new_row();
      continue;
    }
    for (wchar_t c : wc) {
      int w = c == L'\t' ? 1 : char_width(c);
      if (c == L'\t') c = L' ';
      if (w == 0 && (c < 0x20 || (c >= 0x7F && c < 0xA0))) {
        // A control character (Ctrl-V + key): shown as '?' so the line stays readable.
        c = L'?';
        w = 1;
      }
      if (col + w > width) new_row();
      out.rows.back() += c;
      col += w;
    }
    // The cursor sits after a full row: show it at the start of the next.
    if (col >= width && i < text.size() && text[i] != '\n') new_row();
  }
  if (!cursor_set) {
    if (col >= width) new_row();
    set_cursor();
  }
  return out;
}

std::string hidden_rows_note(int above, int below) {
  auto lines = [](int n) { return std::to_string(n) + (n == 1 ? " more line" : " more lines"); };
  if (above > 0 && below > 0) return lines(above) + " above, " + std::to_string(below) + " below";
  if (above > 0) return lines(above) + " above";
  if (below > 0) return lines(below) + " below";
  return "";
}

// ---- Readline glue ------------------------------------------------------------------------

namespace {
// Readline's hooks are plain function pointers without a user pointer; this names the one
// InputLine they serve while it exists.
InputLine* g_active = nullptr;
std::vector<std::string> g_completions;

char* completion_generator(const char*, int state) {
  static size_t next = 0;
  if (state == 0) next = 0;
  if (next >= g_completions.size()) return nullptr;
  return ::strdup(g_completions[next++].c_str());
}

void no_prep(int) {}
void no_deprep() {}

}  // namespace

int InputLine::getc_hook(FILE*) {
  InputLine* self = g_active;
  if (self && !self->pending_.empty()) {
    unsigned char c = self->pending_.front();
    self->pending_.pop_front();
    return c;
  }
  // Readline wants more than a whole key (it never should): wait briefly for the terminal.
  struct pollfd p = {STDIN_FILENO, POLLIN, 0};
  unsigned char c = 0;
  if (::poll(&p, 1, 200) == 1 && ::read(STDIN_FILENO, &c, 1) == 1) return c;
  return 0;  // NUL (set-mark): harmless, unlike EOF which would end the line
}

int InputLine::input_available_hook() { return g_active && !g_active->pending_.empty(); }

void InputLine::redisplay_hook() {
  if (g_active) g_active->dirty = true;
}

void InputLine::line_hook(char* line) {
  if (g_active) {
    if (line) {
      g_active->lines_.push_back({line, false});
    } else {
      g_active->lines_.push_back({"", true});
    }
    g_active->dirty = true;
  }
  std::free(line);
}

char** InputLine::completion_hook(const char* text, int start, int) {
  rl_attempted_completion_over = 1;  // never fall back to file names
  if (start != 0 || text[0] != '/') return nullptr;
  g_completions = complete_command(text);
  return rl_completion_matches(text, completion_generator);
}

void InputLine::display_matches_hook(char** matches, int count, int) {
  if (!g_active) return;
  g_active->completion_listing_.clear();
  for (int i = 1; i <= count; ++i) g_active->completion_listing_.push_back(matches[i]);
  g_active->dirty = true;
}

InputLine::InputLine(std::string prompt, std::string history_path)
    : prompt_(std::move(prompt)), history_path_(std::move(history_path)) {
  g_active = this;
  null_out_ = std::fopen("/dev/null", "w");
  rl_readline_name = "gpt-oss-chat";
  rl_instream = stdin;
  rl_outstream = null_out_ ? null_out_ : stdout;  // readline must never write to the screen
  rl_catch_signals = 0;
  rl_catch_sigwinch = 0;
  rl_change_environment = 0;
  rl_prep_term_function = no_prep;
  rl_deprep_term_function = no_deprep;
  rl_getc_function = getc_hook;
  rl_input_available_hook = input_available_hook;
  rl_redisplay_function = redisplay_hook;
  rl_attempted_completion_function = completion_hook;
  rl_completion_display_matches_hook = display_matches_hook;
  rl_variable_bind("bell-style", "none");
  rl_variable_bind("enable-bracketed-paste", "off");  // keys.cc reads pastes itself
  rl_variable_bind("horizontal-scroll-mode", "off");
  using_history();
  stifle_history(kHistoryEntries);
  load_history();
  rl_callback_handler_install(prompt_.c_str(), line_hook);
}

InputLine::~InputLine() {
  rl_callback_handler_remove();
  rl_getc_function = rl_getc;
  rl_redisplay_function = rl_redisplay;
  rl_input_available_hook = nullptr;
  rl_outstream = stdout;
  if (null_out_) std::fclose(null_out_);
  g_active = nullptr;
}

void InputLine::feed(std::string_view keys) {
  for (char c : keys) pending_.push_back(static_cast<unsigned char>(c));
  while (!pending_.empty()) {
    const bool had_text = rl_end > 0;
    const size_t submitted = lines_.size();
    rl_callback_read_char();
    if (had_text && rl_end == 0 && lines_.size() == submitted) emptied_ = true;
  }
  dirty = true;
}

bool InputLine::take_emptied() { return std::exchange(emptied_, false); }

void InputLine::insert(std::string_view text) {
  std::string s(text);
  rl_insert_text(s.c_str());
  dirty = true;
}

void InputLine::discard() {
  emptied_ |= rl_end > 0;
  rl_callback_sigcleanup();  // leaves an unfinished Ctrl-R search
  rl_replace_line("", 1);
  rl_point = rl_end = 0;
  rl_mark = 0;
  // Restore the plain prompt readline may have swapped out.
  rl_callback_handler_remove();
  rl_callback_handler_install(prompt_.c_str(), line_hook);
  dirty = true;
}

void InputLine::move_to_start() {
  rl_point = 0;
  dirty = true;
}

void InputLine::move_to_end() {
  rl_point = rl_end;
  dirty = true;
}

void InputLine::set_text(const std::string& text) {
  emptied_ |= rl_end > 0 && text.empty();
  rl_replace_line(text.c_str(), 0);
  rl_point = rl_end;
  dirty = true;
}

std::optional<InputLine::Submitted> InputLine::take_line() {
  if (lines_.empty()) return std::nullopt;
  Submitted s = std::move(lines_.front());
  lines_.pop_front();
  return s;
}

std::string InputLine::display_prompt() const {
  return rl_display_prompt ? std::string(rl_display_prompt) : prompt_;
}

std::string InputLine::text() const { return rl_line_buffer ? std::string(rl_line_buffer, rl_end) : ""; }

size_t InputLine::point() const { return static_cast<size_t>(rl_point); }

bool InputLine::empty() const { return rl_end == 0; }

void InputLine::remember(const std::string& line) {
  if (line.find_first_not_of(" \t\n") == std::string::npos) return;
  HIST_ENTRY* last = history_length > 0 ? history_get(history_base + history_length - 1) : nullptr;
  if (last && line == last->line) return;
  add_history(line.c_str());
  using_history();  // the next line is new, not an edit of the entry just added (readline() does this)
  append_history(line);
}

std::vector<std::string> InputLine::take_completion_listing() {
  std::vector<std::string> out;
  out.swap(completion_listing_);
  return out;
}

void InputLine::load_history() {
  const std::vector<std::string> entries = read_history_file(history_path_);
  for (const std::string& entry : entries) add_history(entry.c_str());
  using_history();
  if (entries.size() > 2 * kHistoryEntries) compact_history_file(history_path_, kHistoryEntries);
}

void InputLine::append_history(const std::string& entry) const {
  if (!history_path_.empty()) append_history_file(history_path_, entry);
}

}  // namespace gptoss::ui

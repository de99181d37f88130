// The input line: GNU readline through its callback interface, drawn by us. Readline edits the
// line (history, Ctrl-R search, kill/yank, inputrc) but never touches the terminal: the chat
// hands it whole keys (see keys.h) and draws rl_line_buffer into the curses input area.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gptoss::ui {

// Where each row of the input area starts and where the cursor is.
struct InputLayout {
  std::vector<std::wstring> rows;
  int cursor_row = 0;
  int cursor_col = 0;
};

// Lays out `prompt` + `text` in rows of `width` cells: breaks at '\n' and at the edge;
// continuation rows are indented by the prompt's width. `point` is a byte offset into text.
InputLayout layout_input(std::string_view prompt, std::string_view text, size_t point, int width);

// What the input box says about draft rows it cannot show: "3 more lines above", "1 more line
// below", both, or "" when the whole draft is visible.
std::string hidden_rows_note(int above, int below);


class InputLine {
 public:
  // Takes over readline (its state is process-wide, so one InputLine at a time) and loads the
  // history from `history_path` if it exists.
  InputLine(std::string prompt, std::string history_path);
  // Gives readline back (the history file is appended to as lines are remembered).
  ~InputLine();
  InputLine(const InputLine&) = delete;
  InputLine& operator=(const InputLine&) = delete;

  // Whole keys for readline. Lines it completes are queued for take_line().
  void feed(std::string_view keys);
  // Whether the line was thrown away since the last call: emptied without being submitted, by a
  // key (Ctrl-U, backspacing everything), discard() or set_text(""). Seen even if later keys of
  // the same feed typed it full again: keys typed quickly arrive in one read.
  bool take_emptied();
  // Inserts text at the cursor as typed (a paste, a newline from Alt-Enter).
  void insert(std::string_view text);
  // Throws away the line being edited (and an unfinished Ctrl-R search).
  void discard();
  void move_to_start();
  void move_to_end();
  // Replaces the line being edited (cursor at its end).
  void set_text(const std::string& text);

  // A submitted line, or "" with eof=true for Ctrl-D on an empty line.
  struct Submitted {
    std::string text;
    bool eof = false;
  };
  std::optional<Submitted> take_line();

  // The prompt as shown now (readline swaps in "(reverse-i-search)`x': " while searching).
  std::string display_prompt() const;
  std::string text() const;
  size_t point() const;
  bool empty() const;

  // Adds to the history (not blank lines, not a repeat of the last entry) and appends it to the file.
  void remember(const std::string& line);
  // Completion candidates readline wanted to list (Tab with several matches), then cleared.
  std::vector<std::string> take_completion_listing();

  // Set whenever readline changed what is shown; the caller redraws and clears it.
  bool dirty = true;

 private:
  static int getc_hook(FILE*);
  static int input_available_hook();
  static void redisplay_hook();
  static void line_hook(char* line);
  static char** completion_hook(const char* text, int start, int end);
  static void display_matches_hook(char** matches, int count, int max_length);
  static constexpr int kHistoryEntries = 1000;  // kept in memory; the file is compacted past twice this
  void load_history();
  void append_history(const std::string& entry) const;

  std::string prompt_;
  std::string history_path_;
  std::deque<unsigned char> pending_;
  std::deque<Submitted> lines_;
  bool emptied_ = false;
  std::vector<std::string> completion_listing_;
  FILE* null_out_ = nullptr;
};

}  // namespace gptoss::ui

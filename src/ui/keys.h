// Splits the bytes read from the terminal into what the chat handles itself (page keys, the
// mouse wheel, a bracketed paste, Ctrl-C, Ctrl-T) and what goes to readline (everything else, as
// whole keys: an escape sequence or a UTF-8 character is never cut in two).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace gptoss::ui {

enum class KeyKind {
  kReadline,   // bytes for readline
  kPaste,      // a bracketed paste; text has its newlines as '\n'
  kNewline,    // Alt-Enter or Ctrl-J: a newline inside the message
  kEditor,     // Ctrl-X Ctrl-E: the draft in $VISUAL/$EDITOR
  kInterrupt,  // Ctrl-C
  kToggleReasoning,  // Ctrl-T
  kRedraw,     // Ctrl-L
  kSuspend,    // Ctrl-Z
  kPageUp,
  kPageDown,
  kHome,       // scrolls when the input line is empty, else moves to the line's start
  kEnd,
  kTop,        // Ctrl-Home
  kBottom,     // Ctrl-End
  kWheelUp,
  kWheelDown,
};

struct Key {
  KeyKind kind;
  std::string text;  // kReadline: the bytes; kPaste: the pasted text
};

class KeyDecoder {
 public:
  // Appends `bytes` and returns the keys that are complete. An unfinished escape sequence, UTF-8
  // character or paste is kept for the next call.
  std::vector<Key> feed(std::string_view bytes);
  // True if bytes are held back (a lone ESC may be the Escape key: call flush() after a pause).
  // A lone Ctrl-X is not: it waits, however long, for the key that completes it.
  bool pending() const { return !buffer_.empty() && buffer_ != kCtrlX; }
  // Emits whatever is held back as plain readline bytes (not an unfinished paste, nor a lone Ctrl-X).
  std::vector<Key> flush();

 private:
  static constexpr std::string_view kCtrlX = "\x18";
  std::string buffer_;
  bool in_paste_ = false;
  std::string paste_;
};

}  // namespace gptoss::ui

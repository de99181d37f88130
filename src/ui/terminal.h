// The terminal while the chat owns it: curses (ncursesw) started and always restored -- on
// return, on an exception (the destructor) and on a fatal signal (the handler puts the saved tty
// modes back and leaves the alternate screen before dying). Other signals only set flags that
// the event loop reads (style.md section 5).
#pragma once

#include <curses.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "ui/styled_text.h"

namespace gptoss::ui {

class WakePipe;

// Set by signal handlers, read and cleared by the UI thread.
struct SignalFlags {
  bool interrupt = false;  // SIGINT (Ctrl-C arrives as a key in raw mode; this is `kill -INT`)
  bool resize = false;     // SIGWINCH
  int quit = 0;            // SIGTERM or SIGHUP: the signal's number
};

// Why the full-screen chat cannot run on this terminal (TERM unset, "dumb", no terminfo entry, or
// one without cursor addressing), or nullopt if it can. Looks the entry up without starting curses.
std::optional<std::string> full_screen_unsupported();

class Terminal {
 public:
  // Starts curses in raw mode on stdin/stdout, turns on bracketed paste and mouse-wheel reports,
  // and installs the signal handlers (they wake `wake`). colors=false (NO_COLOR) draws with
  // attributes only. Throws gptoss::Error if the terminal cannot be started.
  Terminal(const WakePipe& wake, bool colors);
  ~Terminal();
  Terminal(const Terminal&) = delete;
  Terminal& operator=(const Terminal&) = delete;

  // Gives the terminal back now (the destructor then only removes the signal handlers), e.g. to
  // say something while waiting for the worker before exiting.
  void release();

  // Ctrl-Z: gives the terminal back, stops the process, and takes the terminal again when the
  // shell continues it (fg). The caller redraws.
  void suspend();

  // Gives the terminal to another program (the user's editor) while `run` runs, then takes it
  // back as it was. The caller redraws.
  void lend(const std::function<void()>& run);

  // Bytes for the terminal itself, past curses (an OSC 52 clipboard request).
  void write_escape(std::string_view bytes);

  // The flags raised since the last call.
  SignalFlags take_signals();
  // Reads the new size from the tty and resizes curses (after SIGWINCH).
  void apply_resize();
  // The curses attributes of a style.
  attr_t attributes(const Style& style) const;
  attr_t status_attributes() const;
  bool colors() const { return colors_; }

 private:
  bool released_ = false;
  bool colors_ = false;
  bool wide_palette_ = false;  // 256 colours: code blocks get a background
};

}  // namespace gptoss::ui

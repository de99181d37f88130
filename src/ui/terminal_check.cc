// full_screen_unsupported() (terminal.h), apart from terminal.cc: <term.h> defines a macro for
// every terminfo capability name (lines, columns, bell...).
#include <curses.h>
#include <term.h>
#include <unistd.h>

#include <cstdlib>

#include "ui/terminal.h"

namespace gptoss::ui {

std::optional<std::string> full_screen_unsupported() {
  const char* term = std::getenv("TERM");
  if (!term || !*term) return std::string("TERM is not set");
  int error = 0;
  if (setupterm(nullptr, STDOUT_FILENO, &error) != OK)
    return "no terminfo entry for TERM=" + std::string(term);
  const char* cup = tigetstr("cup");  // cursor addressing: what drawing a screen needs
  const bool addressable = cup != nullptr && cup != reinterpret_cast<const char*>(-1);
  del_curterm(cur_term);
  if (!addressable) return "TERM=" + std::string(term) + " cannot move the cursor";
  return std::nullopt;
}

}  // namespace gptoss::ui

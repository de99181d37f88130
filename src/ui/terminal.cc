#include "ui/terminal.h"

#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/error.h"
#include "ui/event_queue.h"

namespace gptoss::ui {
namespace {

// Signal handlers can reach only static storage. These hold the flags, the wake-up pipe and the
// tty modes to put back if the process dies; nothing else in the program reads them directly.
volatile sig_atomic_t g_interrupt = 0;
volatile sig_atomic_t g_resize = 0;
volatile sig_atomic_t g_quit = 0;
int g_wake_fd = -1;
struct termios g_saved_tty;
bool g_have_saved_tty = false;

// Paste markers, mouse-wheel reports (SGR encoding) on; the reverse string turns them off.
constexpr char kModesOn[] = "\x1b[?2004h\x1b[?1000h\x1b[?1006h";
constexpr char kModesOff[] = "\x1b[?1006l\x1b[?1000l\x1b[?2004l";
// What a dying process writes: modes off, cursor visible, attributes reset, main screen back.
constexpr char kEmergencyReset[] = "\x1b[?1006l\x1b[?1000l\x1b[?2004l\x1b[0m\x1b[?25h\x1b[?1049l\r\n";

void wake() {
  if (g_wake_fd >= 0) {
    char b = 1;
    ssize_t n = ::write(g_wake_fd, &b, 1);
    (void)n;
  }
}

void on_flag_signal(int sig) {
  int saved_errno = errno;
  if (sig == SIGINT) g_interrupt = 1;
  if (sig == SIGWINCH) g_resize = 1;
  if (sig == SIGTERM || sig == SIGHUP) g_quit = sig;
  wake();
  errno = saved_errno;
}

// Only async-signal-safe calls: tcsetattr and write, then the default action.
void on_fatal_signal(int sig) {
  if (g_have_saved_tty) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved_tty);
  ssize_t n = ::write(STDOUT_FILENO, kEmergencyReset, sizeof kEmergencyReset - 1);
  (void)n;
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

constexpr int kFlagSignals[] = {SIGINT, SIGWINCH, SIGTERM, SIGHUP};
constexpr int kFatalSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGQUIT};
struct sigaction g_old_actions[64];

void install(int sig, void (*handler)(int), int flags) {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = flags;
  ::sigaction(sig, &sa, &g_old_actions[sig]);
}

void write_modes(const char* s) {
  std::fputs(s, stdout);
  std::fflush(stdout);
}

// Colour pairs, one per role that has a colour.
enum Pair : short {
  kPairUser = 1,
  kPairAssistant,
  kPairCode,
  kPairCodeBlock,
  kPairHeading,
  kPairBullet,
  kPairTool,
  kPairNotice,
  kPairError,
  kPairDemo,
  kPairReasoning,
  kPairStatus,
  kPairCodeKeyword,
  kPairCodeString,
  kPairCodeComment,
};

}  // namespace

Terminal::Terminal(const WakePipe& wake_pipe, bool colors) {
  g_have_saved_tty = ::tcgetattr(STDIN_FILENO, &g_saved_tty) == 0;
  g_wake_fd = wake_pipe.write_fd();
  for (int sig : kFlagSignals) install(sig, on_flag_signal, SA_RESTART);
  for (int sig : kFatalSignals) install(sig, on_fatal_signal, SA_RESETHAND);

  if (!initscr()) throw gptoss::Error("terminal: cannot start curses (is TERM set?)");
  raw();  // Ctrl-C, Ctrl-Z, Ctrl-S reach us as keys; no flow control
  noecho();
  nonl();
  keypad(stdscr, FALSE);  // keys.cc decodes escape sequences; readline sees the raw bytes
  set_escdelay(25);
  curs_set(1);
  if (colors && has_colors()) {
    start_color();
    use_default_colors();
    colors_ = true;
    wide_palette_ = COLORS >= 256;
    init_pair(kPairUser, COLOR_CYAN, -1);
    init_pair(kPairAssistant, COLOR_GREEN, -1);
    init_pair(kPairHeading, COLOR_MAGENTA, -1);
    init_pair(kPairBullet, COLOR_YELLOW, -1);
    init_pair(kPairTool, COLOR_BLUE, -1);
    init_pair(kPairNotice, COLOR_YELLOW, -1);
    init_pair(kPairError, COLOR_RED, -1);
    init_pair(kPairDemo, COLOR_RED, -1);
    init_pair(kPairReasoning, wide_palette_ ? 245 : COLOR_WHITE, -1);
    if (wide_palette_) {
      init_pair(kPairCode, 215, 236);
      init_pair(kPairCodeBlock, 252, 236);
      init_pair(kPairCodeKeyword, 75, 236);
      init_pair(kPairCodeString, 114, 236);
      init_pair(kPairCodeComment, 244, 236);
    } else {
      init_pair(kPairCode, COLOR_YELLOW, -1);
      init_pair(kPairCodeBlock, COLOR_GREEN, -1);
      init_pair(kPairCodeKeyword, COLOR_CYAN, -1);
      init_pair(kPairCodeString, COLOR_YELLOW, -1);
      init_pair(kPairCodeComment, COLOR_WHITE, -1);
    }
    init_pair(kPairStatus, COLOR_BLACK, COLOR_WHITE);
  }
  write_modes(kModesOn);
}

void Terminal::release() {
  if (released_) return;
  released_ = true;
  write_modes(kModesOff);
  endwin();
  if (g_have_saved_tty) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved_tty);
}

void Terminal::suspend() {
  write_modes(kModesOff);
  endwin();
  if (g_have_saved_tty) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved_tty);
  struct sigaction dfl, old;
  std::memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  ::sigaction(SIGTSTP, &dfl, &old);
  ::raise(SIGTSTP);  // stops here until SIGCONT
  ::sigaction(SIGTSTP, &old, nullptr);
  reset_prog_mode();
  write_modes(kModesOn);
  apply_resize();  // the window may have changed meanwhile
}

void Terminal::lend(const std::function<void()>& run) {
  write_modes(kModesOff);
  endwin();
  if (g_have_saved_tty) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved_tty);
  run();
  reset_prog_mode();
  write_modes(kModesOn);
  apply_resize();  // the editor may have left the screen in any state, or the window changed
}

void Terminal::write_escape(std::string_view bytes) {
  std::fflush(stdout);  // after what curses has buffered
  while (!bytes.empty()) {
    const ssize_t n = ::write(STDOUT_FILENO, bytes.data(), bytes.size());
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      return;  // a terminal that went away: nothing to copy to
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

Terminal::~Terminal() {
  release();
  for (int sig : kFlagSignals) ::sigaction(sig, &g_old_actions[sig], nullptr);
  for (int sig : kFatalSignals) ::sigaction(sig, &g_old_actions[sig], nullptr);
  g_wake_fd = -1;
}

SignalFlags Terminal::take_signals() {
  SignalFlags f;
  f.interrupt = g_interrupt != 0;
  f.resize = g_resize != 0;
  f.quit = g_quit;
  g_interrupt = 0;
  g_resize = 0;
  g_quit = 0;
  return f;
}

void Terminal::apply_resize() {
  struct winsize ws;
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0) {
    resizeterm(ws.ws_row, ws.ws_col);
  }
  clearok(curscr, TRUE);
}

attr_t Terminal::attributes(const Style& style) const {
  attr_t a = A_NORMAL;
  auto pair = [&](short p) { return colors_ ? COLOR_PAIR(p) : A_NORMAL; };
  switch (style.role) {
    case Role::kText:
      break;
    case Role::kCode:
      a |= colors_ ? pair(kPairCode) : A_BOLD;
      break;
    case Role::kCodeBlock:
      a |= pair(kPairCodeBlock);
      break;
    case Role::kCodeFence:
      a |= pair(kPairCodeBlock) | A_DIM;
      break;
    case Role::kCodeKeyword:
      a |= pair(kPairCodeKeyword) | A_BOLD;
      break;
    case Role::kCodeString:
      a |= pair(kPairCodeString);
      break;
    case Role::kCodeComment:
      a |= pair(kPairCodeComment) | A_DIM;
      break;
    case Role::kHeading:
      a |= pair(kPairHeading) | A_BOLD | (colors_ ? 0 : A_UNDERLINE);
      break;
    case Role::kBullet:
      a |= pair(kPairBullet);
      break;
    case Role::kQuote:
    case Role::kRule:
      a |= A_DIM;
      break;
    case Role::kUserLabel:
      a |= pair(kPairUser) | A_BOLD | (colors_ ? 0 : A_UNDERLINE);
      break;
    case Role::kUserText:
      a |= pair(kPairUser);
      break;
    case Role::kAssistantLabel:
      a |= pair(kPairAssistant) | A_BOLD | (colors_ ? 0 : A_UNDERLINE);
      break;
    case Role::kReasoning:
      a |= pair(kPairReasoning) | A_DIM;
      break;
    case Role::kReasoningLabel:
      a |= pair(kPairReasoning) | A_DIM | A_ITALIC;
      break;
    case Role::kTool:
      a |= pair(kPairTool);
      break;
    case Role::kNotice:
      a |= pair(kPairNotice);
      break;
    case Role::kError:
      a |= pair(kPairError) | A_BOLD;
      break;
    case Role::kDemo:
      a |= pair(kPairDemo) | A_BOLD;
      break;
  }
  if (style.bold) a |= A_BOLD;
  if (style.italic) a |= A_ITALIC;
  return a;
}

attr_t Terminal::status_attributes() const { return A_REVERSE; }

}  // namespace gptoss::ui

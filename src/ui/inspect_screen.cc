#include "ui/inspect_screen.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "common/error.h"
#include "ui/event_queue.h"
#include "ui/keys.h"
#include "ui/transcript.h"

namespace gptoss::ui {
namespace {

// Colour pairs of the cells, after the chat's own (terminal.cc uses 1..16).
constexpr short kFirstPair = 40;

// Cell backgrounds: distinct hues for expert ids, a cold-to-hot ramp for measures.
void init_cell_pairs() {
  const bool wide = COLORS >= 256;
  const short expert_256[kExpertColours] = {196, 208, 226, 46, 51, 33, 129, 201, 130, 100, 30, 61};
  const short expert_8[6] = {COLOR_RED, COLOR_GREEN, COLOR_YELLOW, COLOR_BLUE, COLOR_MAGENTA, COLOR_CYAN};
  const short ramp[kRampColours] = {COLOR_BLUE, COLOR_CYAN, COLOR_GREEN, COLOR_YELLOW, COLOR_RED};
  for (int i = 0; i < kExpertColours; ++i) {
    const short bg = wide ? expert_256[i] : expert_8[i % 6];
    const short fg = bg == COLOR_BLUE || bg == COLOR_MAGENTA || bg == COLOR_RED ? COLOR_WHITE : COLOR_BLACK;
    init_pair(static_cast<short>(kFirstPair + i), fg, bg);
  }
  for (int i = 0; i < kRampColours; ++i)
    init_pair(static_cast<short>(kFirstPair + kExpertColours + i), i == 0 ? COLOR_WHITE : COLOR_BLACK,
              ramp[i]);
}

attr_t cell_attr(const Terminal& terminal, InspectMeasure m, int colour) {
  if (!terminal.colors()) return A_NORMAL;
  const int pair = kFirstPair + (m == InspectMeasure::kExpert ? colour : kExpertColours + colour);
  return COLOR_PAIR(pair);
}

// Writes UTF-8 `text` at (y, x), at most `cells` columns of it.
void put(int y, int x, const std::string& text, int cells, attr_t attr = A_NORMAL) {
  if (cells <= 0) return;
  std::wstring w = utf8_to_wide(text);
  int used = 0;
  size_t n = 0;
  while (n < w.size() && used + char_width(w[n]) <= cells) used += char_width(w[n++]);
  attrset(attr);
  mvaddnwstr(y, x, w.c_str(), static_cast<int>(n));
  attrset(A_NORMAL);
}

struct Layout {
  int grid_rows = 0;    // layers shown in the grid
  int label_cells = 0;  // "L23 "
  int columns = 0;      // tokens shown in the grid
  int detail_y = 0;     // the detail pane's title row
  int detail_rows = 0;  // its layer lines
};

Layout layout(const InspectView& v, int H, int W) {
  Layout g;
  // Title, token header, detail title and help line take four rows; the grid gets half the rest.
  g.grid_rows = std::min(v.layers(), std::max(1, (H - 4) / 2));
  g.label_cells = static_cast<int>(std::to_string(std::max(0, v.layers() - 1)).size()) + 2;
  g.columns = std::max(1, (W - g.label_cells) / v.cell_width());
  g.detail_y = 2 + g.grid_rows;
  g.detail_rows = std::max(0, H - 1 - (g.detail_y + 1));
  return g;
}

void draw(const Terminal& terminal, InspectView& v, const std::string& note) {
  const int H = LINES, W = COLS;
  erase();
  if (H < 8 || W < 24) {
    put(0, 0, "(window too small for /inspect; q closes)", W);
    refresh();
    return;
  }
  const Layout g = layout(v, H, W);
  const int ft = v.first_token(g.columns), fl = v.first_layer(g.grid_rows);
  const int last = std::min(v.tokens(), ft + g.columns);
  const int cw = v.cell_width();

  put(0, 0,
      "/inspect: last reply, tokens " + std::to_string(ft + 1) + "-" + std::to_string(last) + " of " +
          std::to_string(v.tokens()) + " x " + std::to_string(v.layers()) +
          " layers; cells: " + describe(v.measure()),
      W, A_BOLD);
  for (int t = ft; t < last; ++t) {  // each token's first characters above its column
    const int x = g.label_cells + (t - ft) * cw;
    std::string piece = v.visible_piece(t);
    piece.erase(0, std::min(piece.find_first_not_of(' '), piece.size()));  // most pieces start with one
    put(1, x, piece, cw - 1, t == v.token() ? A_BOLD | A_UNDERLINE : A_DIM);
  }
  for (int r = 0; r < g.grid_rows && fl + r < v.layers(); ++r) {
    const int l = fl + r, y = 2 + r;
    std::string label = "L";  // appended: "L" + to_string trips GCC 12's false -Wrestrict
    label += std::to_string(l);
    put(y, 0, label, g.label_cells - 1, l == v.layer() ? A_BOLD : A_DIM);
    for (int t = ft; t < last; ++t) {
      const InspectCell c = v.cell(t, l);
      const bool here = t == v.token() && l == v.layer();
      put(y, g.label_cells + (t - ft) * cw, c.text, cw - 1,
          here ? A_REVERSE | A_BOLD : cell_attr(terminal, v.measure(), c.colour));
    }
  }
  put(g.detail_y, 0, v.token_title(v.token()) + (note.empty() ? "" : "  " + note), W, A_BOLD);
  // The detail pane's layers: a window around the cursor's layer.
  const int rows = std::min(g.detail_rows, v.layers());
  const int first = std::clamp(v.layer() - rows / 2, 0, std::max(0, v.layers() - rows));
  for (int r = 0; r < rows; ++r) {
    const int l = first + r;
    put(g.detail_y + 1 + r, 0, v.detail_line(v.token(), l), W, l == v.layer() ? A_BOLD : A_NORMAL);
  }
  put(H - 1, 0, inspect_key_help(), W, A_REVERSE);
  move(H - 1, W - 1);
  refresh();
}

}  // namespace

InspectScreenEnd run_inspect_screen(Terminal& terminal, const WakePipe& wake, InspectView& view,
                                    const std::function<std::vector<chat::LensTop>(int)>& lens) {
  InspectScreenEnd end;
  if (terminal.colors()) init_cell_pairs();
  const int old_cursor = curs_set(0);
  KeyDecoder decoder;
  std::string note;
  bool open = true, dirty = true;
  while (open) {
    if (dirty) {
      if (!view.lens(view.token())) {
        // The lens is computed the first time a token is shown: say so while it runs.
        draw(terminal, view, "(computing the logit lens...)");
        try {
          view.set_lens(view.token(), lens(view.token()));
          note =
              view.lens(view.token())->empty() ? "(no logit lens: the cache no longer holds this reply)" : "";
        } catch (const gptoss::Error& e) {
          view.set_lens(view.token(), {});
          note = std::string("(no logit lens: ") + e.what() + ")";
        }
      }
      draw(terminal, view, note);
      dirty = false;
    }
    struct pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {wake.read_fd(), POLLIN, 0}};
    const int n = ::poll(fds, 2, decoder.pending() ? 40 : 1000);
    const SignalFlags sig = terminal.take_signals();
    if (sig.resize) {
      terminal.apply_resize();
      dirty = true;
    }
    if (sig.quit) {
      end.quit_signal = sig.quit;
      break;
    }
    if (sig.interrupt) break;
    if (n > 0 && (fds[1].revents & POLLIN)) wake.drain();
    std::vector<Key> keys;
    if (n > 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
      char buf[512];
      const ssize_t got = ::read(STDIN_FILENO, buf, sizeof buf);
      if (got > 0) {
        keys = decoder.feed(std::string_view(buf, static_cast<size_t>(got)));
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        end.terminal_gone = true;
        break;
      }
    } else if (n == 0 && decoder.pending()) {
      keys = decoder.flush();  // a lone Esc
    }
    const int page = std::max(1, layout(view, LINES, COLS).columns);
    for (const Key& k : keys) {
      std::vector<InspectKey> acts;
      switch (k.kind) {
        case KeyKind::kReadline:
          acts = inspect_keys(k.text);
          break;
        case KeyKind::kPageUp:
          acts = {InspectKey::kPageLeft};
          break;
        case KeyKind::kPageDown:
          acts = {InspectKey::kPageRight};
          break;
        case KeyKind::kHome:
        case KeyKind::kTop:
          acts = {InspectKey::kFirst};
          break;
        case KeyKind::kEnd:
        case KeyKind::kBottom:
          acts = {InspectKey::kLast};
          break;
        case KeyKind::kInterrupt:
          acts = {InspectKey::kClose};
          break;
        case KeyKind::kRedraw:
          clearok(curscr, TRUE);
          break;
        default:
          break;
      }
      for (InspectKey a : acts) open = open && view.handle(a, page);
      dirty = true;
    }
  }
  if (old_cursor != ERR) curs_set(old_cursor);
  return end;
}

}  // namespace gptoss::ui

// The full-screen /inspect view (inspect_view.h is its model): a grid of the last reply's tokens
// by layers, a detail pane for the token under the cursor, a help line. Runs its own loop on the
// main thread until q, Esc or Ctrl-C; the chat redraws its screen afterwards.
#pragma once

#include <functional>
#include <vector>

#include "chat/turn_inspection.h"
#include "ui/inspect_view.h"
#include "ui/terminal.h"

namespace gptoss::ui {

class WakePipe;

struct InspectScreenEnd {
  int quit_signal = 0;         // SIGTERM/SIGHUP arrived: the chat ends
  bool terminal_gone = false;  // stdin closed
};

// `lens(t)` returns the logit lens of token t (Backend::lens; it may take a while and may throw
// gptoss::Error, which is shown in the detail pane).
InspectScreenEnd run_inspect_screen(Terminal& terminal, const WakePipe& wake, InspectView& view,
                                    const std::function<std::vector<chat::LensTop>(int token)>& lens);

}  // namespace gptoss::ui

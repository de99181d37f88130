// What the chat shows before the conversation: the loading progress and, when no model is found,
// the screen that says how to get one (or to try the demo right away).
#pragma once

#include <string>
#include <vector>

#include "ui/model_discovery.h"

namespace gptoss::ui {

class Terminal;

// The stages a load goes through, in order, as the progress bar lists them.
const std::vector<std::string>& load_stages(bool demo);

// Draws the loading screen: `stage` is in progress at `fraction` (0..1); earlier stages are done.
void draw_loading(const Terminal& terminal, const std::string& title, const std::string& detail, bool demo,
                  const std::string& stage, double fraction);

// The "no model found" text: where the program looked, the download command, how to point the
// program at the weights, and the --demo alternative. One paragraph per element. `program` is
// how the commands name the program (relaunch.h: program_command).
std::vector<std::string> no_model_help(const DiscoveredModel& discovered, const std::string& demo_dir,
                                       const std::string& program);

// Shows no_model_help full-screen and waits for a key: true if the user pressed D (start the
// demo), false for Q, Escape, Ctrl-C or Ctrl-D.
bool ask_no_model(Terminal& terminal, const std::vector<std::string>& help);

}  // namespace gptoss::ui

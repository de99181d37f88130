// Placeholder until its issue lands; replaced by the room that owns it.
#include "ui/subcommands.h"
#include "common/error.h"

namespace gptoss::ui {
int cmd_make_test_model(int, char**) { throw gptoss::Error("not built yet"); }
}  // namespace gptoss::ui

// Writes a random test checkpoint so that the target folder is only ever complete: the files go to
// a hidden sibling folder first and move into place when all are written. Ctrl-C or a full disk
// midway leaves the target as it was (and a stale sibling that the next write removes).
#pragma once

#include <string>

#include "engine/test_model.h"

namespace gptoss::engine {

// Like write_test_model, but atomic as above. A missing or empty `dir` is replaced by the
// new folder in one rename; a folder holding other files gets the model files moved in, the two
// config.json last (so a checkpoint without them is never taken for a complete one). Throws
// gptoss::Error naming the folder or file at fault.
void write_test_model_atomically(const std::string& dir, const TestModelPreset& preset,
                                 const TestModelOptions& options = {});

// The hidden sibling a write into `dir` uses while it runs: DIR/../.NAME.partial-PID.
std::string partial_model_dir(const std::string& dir, long pid);

}  // namespace gptoss::engine

// `gpt-oss-chat bench --cold`: how soon a model answers when its files are not in memory.
#pragma once

#include <cstdint>

#include "ui/cli.h"

namespace gptoss::ui {

// One cold-start run (flags as cmd_bench parsed them): time to ready and to the first token of a
// short prompt, printed as text or --json. Returns the exit code.
int bench_cold(const CliArgs& args);

// Bytes this process caused to be fetched from storage (page-cache misses), from /proc/self/io;
// 0 when unreadable.
uint64_t storage_read_bytes();

}  // namespace gptoss::ui

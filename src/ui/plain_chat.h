// The chat without a terminal (stdin or stdout is not a TTY, or --plain): each input line is a
// message (or a /command), each answer is written to `out` as it streams, followed by a newline.
// Reasoning is not printed; notices and errors go to `err`. Scriptable: `echo hi | gpt-oss-chat`.
#pragma once

#include <cstdio>

#include "ui/app.h"

namespace gptoss::ui {

// Returns the exit code: 0, or 1 if a turn or a save failed. Ctrl-C (SIGINT) stops the current
// answer; EOF on `in` ends the chat. With a session name, the conversation is saved under it.
int run_plain_chat(const AppConfig& config, std::FILE* in, std::FILE* out, std::FILE* err);

// One prompt, one answer, as `ollama run` and `llm` do (`gpt-oss-chat "why?"`, `cat f | gpt-oss-chat`):
// `message` is sent as it is (lines starting with '/' are text), the answer streams to `out`.
// With a session name, the session goes on and is saved. Returns 0, or 1 if the turn or save failed.
int run_one_prompt(const AppConfig& config, const std::string& message, std::FILE* out, std::FILE* err);

// The message of a one-shot run: the prompt argument, then (after a blank line) what was piped in.
std::string one_shot_message(const std::string& prompt_argument, const std::string& piped);

}  // namespace gptoss::ui

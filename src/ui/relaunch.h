// The commands the program suggests (on quit, in hints) must work when pasted: the program is
// named as the shell finds it ("gpt-oss-chat" if that is on $PATH, else its full path), and the
// model flag is repeated when discovery would not find the same model again.
#pragma once

#include <string>
#include <string_view>

#include "ui/model_discovery.h"

namespace gptoss::ui {

// `s` as one shell word: unchanged if it holds only safe characters, else in single quotes.
std::string shell_quote(std::string_view s);

// "gpt-oss-chat" if the first gpt-oss-chat on env's $PATH is the file `exe`; else `exe`, quoted.
std::string program_command(const EnvLookup& env, const std::string& exe);

// The running program's path (/proc/self/exe).
std::string self_executable();

// The command that starts the chat again on the same model: the program, then "--demo", or
// "--model DIR" when `model_dir` is not what discovery finds from any folder (`model_flag`: the
// model came from --model or from the current folder).
std::string relaunch_command(const std::string& program, bool demo, bool model_flag,
                             const std::string& model_dir);

}  // namespace gptoss::ui

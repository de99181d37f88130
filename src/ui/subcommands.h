// The subcommands of gpt-oss-chat, one file each (cmd_<name>.cc). Each takes argv with argv[0]
// the subcommand's name, prints its own --help, and returns the exit code. Usage errors throw
// UsageError (exit 2); other gptoss::Error exits 1. main.cc does the catching.
#pragma once

namespace gptoss::ui {

int cmd_chat(int argc, char** argv);             // the ncurses chat (default)
int cmd_generate(int argc, char** argv);         // one answer to stdout
int cmd_tokenize(int argc, char** argv);         // text on stdin -> JSON ids
int cmd_detokenize(int argc, char** argv);       // JSON ids on stdin -> bytes
int cmd_harmony(int argc, char** argv);          // harmony render|parse
int cmd_render(int argc, char** argv);           // the next prompt of a saved session
int cmd_logits(int argc, char** argv);           // .npy logits of a token sequence
int cmd_make_test_model(int argc, char** argv);  // a random checkpoint in both layouts
int cmd_bench(int argc, char** argv);            // prefill/decode speed, memory, I/O
int cmd_inspect(int argc, char** argv);          // routing, sinks, logit lens of a prompt
int cmd_serve(int argc, char** argv);            // the OpenAI-compatible HTTP server
int cmd_sessions(int argc, char** argv);         // list, show, rename, delete saved sessions

}  // namespace gptoss::ui

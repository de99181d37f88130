// gpt-oss-chat: dispatches to a subcommand; with none (or only options) it starts the chat.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "ui/cli.h"
#include "ui/subcommands.h"

namespace {

struct Subcommand {
  const char* name;
  int (*run)(int argc, char** argv);
  const char* summary;
};

constexpr Subcommand kSubcommands[] = {
    {"chat", gptoss::ui::cmd_chat, "the terminal chat (default)"},
    {"generate", gptoss::ui::cmd_generate, "answer one prompt on stdout"},
    {"serve", gptoss::ui::cmd_serve, "an OpenAI-compatible HTTP server for the model"},
    {"tokenize", gptoss::ui::cmd_tokenize, "UTF-8 text on stdin -> JSON token ids"},
    {"detokenize", gptoss::ui::cmd_detokenize, "JSON token ids on stdin -> text"},
    {"harmony", gptoss::ui::cmd_harmony, "render or parse harmony conversations (JSON)"},
    {"sessions", gptoss::ui::cmd_sessions, "list, show (as Markdown), rename or delete saved sessions"},
    {"render", gptoss::ui::cmd_render, "the prompt the next turn of a saved session would see"},
    {"logits", gptoss::ui::cmd_logits, "logits of a token sequence as .npy"},
    {"make-test-model", gptoss::ui::cmd_make_test_model, "write a random checkpoint"},
    {"bench", gptoss::ui::cmd_bench, "measure load, prefill and decode speed"},
    {"inspect", gptoss::ui::cmd_inspect, "what the model did inside: routing, sinks, logit lens"},
};

void print_overview(std::FILE* out) {
  std::fprintf(out, "usage: gpt-oss-chat [SUBCOMMAND] [OPTIONS]\n\nsubcommands:\n");
  for (const auto& s : kSubcommands) std::fprintf(out, "  %-16s %s\n", s.name, s.summary);
  std::fprintf(out, "\n'gpt-oss-chat SUBCOMMAND --help' describes each one.\n");
}

// Levenshtein distance, for "did you mean".
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// The subcommand a one-word argument is a typo of (at most 2 edits), or nullptr.
const char* misspelt_subcommand(std::string_view word) {
  if (word.find(' ') != std::string_view::npos) return nullptr;
  for (const auto& s : kSubcommands) {
    if (edit_distance(word, s.name) <= 2) return s.name;
  }
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  const Subcommand* chosen = &kSubcommands[0];
  int shift = 0;  // argv index of the subcommand's own name
  if (argc > 1 && argv[1][0] != '-') {
    chosen = nullptr;
    for (const auto& s : kSubcommands) {
      if (std::strcmp(argv[1], s.name) == 0) chosen = &s;
    }
    if (!chosen) {
      // Not a subcommand: a prompt for the chat (`gpt-oss-chat "why is the sky blue?"`), unless it
      // looks like a mistyped one.
      if (const char* near = misspelt_subcommand(argv[1])) {
        std::fprintf(stderr,
                     "gpt-oss-chat: unknown subcommand '%s' (did you mean '%s'? to ask it as a prompt: "
                     "gpt-oss-chat -- %s)\n",
                     argv[1], near, argv[1]);
        print_overview(stderr);
        return 2;
      }
      chosen = &kSubcommands[0];
    } else {
      shift = 1;
    }
  } else if (argc > 1 && (std::string_view(argv[1]) == "--version")) {
    std::printf("gpt-oss-chat %s\n", GPTOSS_VERSION_STRING);
    return 0;
  }
  try {
    return chosen->run(argc - shift, argv + shift);
  } catch (const gptoss::ui::UsageError& e) {
    std::fprintf(stderr, "gpt-oss-chat %s: %s\n(see 'gpt-oss-chat %s --help')\n", chosen->name, e.what(),
                 chosen->name);
    return 2;
  } catch (const gptoss::Error& e) {
    std::fprintf(stderr, "gpt-oss-chat %s: %s\n", chosen->name, e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gpt-oss-chat %s: internal error: %s\n", chosen->name, e.what());
    return 1;
  }
}

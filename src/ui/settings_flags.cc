#include "ui/settings_flags.h"

#include <limits>
#include <string>

namespace gptoss::ui {
namespace {

// One limit per flag for every subcommand. The context is checked against the model later.
constexpr long long kMaxContextFlag = 1 << 24;
constexpr long long kMaxThreads = 1024;

}  // namespace

const std::vector<FlagSpec>& settings_flags() {
  static const std::vector<FlagSpec> kFlags = {
      {"--effort", true},     {"--system", true},  {"--temperature", true},
      {"--top-p", true},      {"--top-k", true},   {"--seed", true},
      {"--max-tokens", true}, {"--context", true}, {"--threads", true},
  };
  return kFlags;
}

std::vector<FlagSpec> with_settings_flags(std::vector<FlagSpec> own) {
  own.insert(own.end(), settings_flags().begin(), settings_flags().end());
  return own;
}

void apply_settings_flags(const CliArgs& args, chat::SessionSettings& s) {
  if (auto effort = args.get("--effort")) {
    auto parsed = chat::parse_effort(*effort);
    if (!parsed) throw UsageError("--effort takes low, medium or high (found '" + *effort + "')");
    s.effort = *parsed;
  }
  if (auto system = args.get("--system")) s.instructions = chat::replace_invalid_utf8(*system);
  s.sampling.temperature = args.get_double("--temperature", s.sampling.temperature, 0.0, 100.0);
  s.sampling.top_p = args.get_double("--top-p", s.sampling.top_p, 0.0, 1.0, /*lo_exclusive=*/true);
  s.sampling.top_k = static_cast<int>(args.get_int("--top-k", s.sampling.top_k, 0, 1 << 30));
  if (args.has("--seed")) {
    s.sampling.seed =
        static_cast<uint64_t>(args.get_int("--seed", 0, 0, std::numeric_limits<long long>::max()));
  }
  s.max_new_tokens = static_cast<int>(args.get_int("--max-tokens", s.max_new_tokens, 1, kMaxContextFlag));
  s.context_tokens = static_cast<int>(args.get_int("--context", s.context_tokens, 16, kMaxContextFlag));
  if ((args.has("--max-tokens") || args.has("--context")) && s.max_new_tokens >= s.context_tokens) {
    throw UsageError("--max-tokens must be below the context size (found " +
                     std::to_string(s.max_new_tokens) + " for a context of " +
                     std::to_string(s.context_tokens) + ")");
  }
  threads_flag(args);
}

int threads_flag(const CliArgs& args) {
  return static_cast<int>(args.get_int("--threads", 0, 0, kMaxThreads));
}

}  // namespace gptoss::ui

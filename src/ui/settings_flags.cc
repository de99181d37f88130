#include "ui/settings_flags.h"

#include <limits>
#include <string>

#include "chat/remote_backend.h"

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

const std::vector<FlagSpec>& remote_flags() {
  static const std::vector<FlagSpec> kFlags = {
      {"--remote", true}, {"--api-key", true}, {"--remote-model", true}};
  return kFlags;
}

std::vector<FlagSpec> with_settings_flags(std::vector<FlagSpec> own) {
  own.insert(own.end(), settings_flags().begin(), settings_flags().end());
  own.insert(own.end(), remote_flags().begin(), remote_flags().end());
  return own;
}

void check_remote_flags(const CliArgs& args) {
  if (!args.has("--remote")) {
    for (const char* flag : {"--api-key", "--remote-model"}) {
      if (args.has(flag)) throw UsageError(std::string(flag) + " needs --remote URL");
    }
    return;
  }
  for (const char* flag : {"--model", "--demo"}) {
    if (args.has(flag)) throw UsageError(std::string("--remote and ") + flag + " exclude each other");
  }
  const std::string url = *args.get("--remote");
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    throw UsageError("--remote takes an http:// or https:// URL, e.g. http://host:8000/v1 (found '" + url +
                     "')");
  }
}

std::shared_ptr<chat::Backend> open_remote_from_flags(const CliArgs& args, const EnvLookup& env,
                                                      std::shared_ptr<const tokenizer::Tokenizer> tokenizer) {
  check_remote_flags(args);
  if (!args.has("--remote")) return nullptr;
  chat::RemoteOptions options;
  options.url = *args.get("--remote");
  options.api_key = args.get("--api-key").value_or(env("OPENAI_API_KEY").value_or(""));
  options.model = args.get_or("--remote-model", "");
  return std::make_shared<chat::RemoteBackend>(options, std::move(tokenizer));
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
  // The reply budget must leave room for a prompt; `s` came with the subcommand's default budget.
  if ((args.has("--max-tokens") || args.has("--context")) && s.max_new_tokens >= s.context_tokens) {
    const std::string budget = std::to_string(s.max_new_tokens), context = std::to_string(s.context_tokens);
    if (!args.has("--context")) {
      throw UsageError("--max-tokens " + budget + " must be below the context size of " + context + " tokens");
    }
    throw UsageError("--context " + context + " leaves no room for " +
                     (args.has("--max-tokens") ? "--max-tokens " : "the default reply budget of ") + budget +
                     " tokens (expected --max-tokens below --context)");
  }
  threads_flag(args);
}

int threads_flag(const CliArgs& args) {
  return static_cast<int>(args.get_int("--threads", 0, 0, kMaxThreads));
}

}  // namespace gptoss::ui

// gpt-oss-chat logits --model DIR --tokens 1,2,3|FILE --out F.npy [--decode] [--threads N]
// The logits of a token sequence as a float32 .npy [n_tokens, vocab], for parity checks against
// an independent reference (np_forward.py has the same interface).
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "ui/cli.h"
#include "ui/npy.h"
#include "ui/subcommands.h"
#include "ui/token_ids.h"

namespace gptoss::ui {
namespace {

constexpr const char* kUsage =
    "usage: gpt-oss-chat logits --model DIR --tokens IDS|FILE --out F.npy [--decode] [--threads N]\n"
    "\n"
    "Writes the logits of every position of a token sequence as float32 .npy [n_tokens, vocab].\n"
    "  --model DIR     checkpoint folder (HF layout or original/)\n"
    "  --tokens IDS    comma- or space-separated token ids, or a file holding them\n"
    "  --out F.npy     output file\n"
    "  --decode        one token at a time through the KV cache (default: one batched prefill)\n"
    "  --threads N     worker threads (default: all cores)\n";

// "1,2,3" or "1 2 3", or the text of a file holding that. UsageError on anything else.
std::vector<int32_t> parse_token_ids(const std::string& spec) {
  std::string text = spec;
  if (std::ifstream file(spec); file) {
    std::stringstream ss;
    ss << file.rdbuf();
    text = ss.str();
  }
  return parse_token_list(text, "--tokens");
}

}  // namespace

int cmd_logits(int argc, char** argv) {
  const CliArgs args = parse_cli(
      argc, argv,
      {{"--model", true}, {"--tokens", true}, {"--out", true}, {"--decode", false}, {"--threads", true}});
  if (args.help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!args.positionals.empty())
    throw UsageError("logits: unexpected argument '" + args.positionals[0] + "'");
  const std::string dir = args.require("--model");
  const std::string out = args.require("--out");
  const std::vector<int32_t> ids = parse_token_ids(args.require("--tokens"));
  const int threads = static_cast<int>(args.get_int("--threads", 0, 0, 1024));

  engine::LoadOptions load;
  load.threads = threads;
  auto model = engine::Model::open(dir, load);
  const size_t V = model->config().vocab;
  for (int32_t id : ids)
    if (static_cast<size_t>(id) >= V)
      throw UsageError("--tokens: id " + std::to_string(id) + " is outside the vocabulary [0, " +
                       std::to_string(V) + ")");

  engine::ContextOptions options;
  options.max_tokens = static_cast<int>(ids.size());
  engine::Context ctx(model, options);
  std::vector<float> logits(ids.size() * V);
  if (args.has("--decode")) {
    for (size_t t = 0; t < ids.size(); ++t) {
      const std::span<const float> row = ctx.decode(ids[t]);
      std::copy(row.begin(), row.end(), logits.begin() + t * V);
    }
  } else {
    ctx.prefill(ids, logits);
  }
  const size_t shape[2] = {ids.size(), V};
  write_npy_f32(out, logits, shape);
  return 0;
}

}  // namespace gptoss::ui

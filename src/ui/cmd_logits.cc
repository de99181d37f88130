// gpt-oss-chat logits --model DIR (--tokens 1,2,3 | --tokens-file FILE) --out F.npy [--decode] [--threads N]
// The logits of a token sequence as a float32 .npy [n_tokens, vocab], for parity checks against
// an independent reference (np_forward.py has the same interface).
#include <cerrno>
#include <cstdio>
#include <string>
#include <vector>

#include "common/input_limits.h"
#include "engine/engine.h"
#include "ui/cli.h"
#include "ui/npy.h"
#include "ui/precision_option.h"
#include "ui/ram_option.h"
#include "ui/subcommands.h"
#include "ui/token_ids.h"

namespace gptoss::ui {
namespace {

constexpr const char* kUsage =
    "usage: gpt-oss-chat logits --model DIR (--tokens IDS | --tokens-file FILE) --out F.npy [--decode]\n"
    "                           [--threads N] [--ram SIZE] [--precision exact|fast]\n"
    "\n"
    "Writes the logits of every position of a token sequence as float32 .npy [n_tokens, vocab].\n"
    "  --model DIR         checkpoint folder (HF layout or original/)\n"
    "  --tokens IDS        comma- or space-separated token ids\n"
    "  --tokens-file FILE  a file holding such ids (at most 64 MiB)\n"
    "  --out F.npy         output file\n"
    "  --decode            one token at a time through the KV cache (default: one batched prefill)\n"
    "  --threads N         worker threads (default: one per physical core)\n"
    "  --ram SIZE          memory budget, e.g. 6G (default: GPT_OSS_RAM, else detected)\n"
    "  --precision P       exact (default: f32 activations) or fast (as close as a bf16 reference)\n";

// The ids of --tokens or --tokens-file (exactly one of them). A file is read only when named by
// --tokens-file, so `--tokens 7` never reads a file that happens to be called "7".
std::vector<int32_t> token_ids(const CliArgs& args) {
  const auto literal = args.get("--tokens");
  const auto file = args.get("--tokens-file");
  if (literal && file) throw UsageError("give --tokens or --tokens-file, not both");
  if (literal) {
    try {
      return parse_token_list(*literal, "--tokens");
    } catch (const gptoss::Error& e) {
      throw UsageError(e.what());  // a bad flag value is a usage error; a bad file is not
    }
  }
  if (!file) throw UsageError("missing required --tokens or --tokens-file");
  return parse_token_list(read_file_capped(*file, kMaxTextInputBytes), *file);
}

}  // namespace

int cmd_logits(int argc, char** argv) {
  const CliArgs args = parse_cli(argc, argv,
                                 {{"--model", true},
                                  {"--tokens", true},
                                  {"--tokens-file", true},
                                  {"--out", true},
                                  {"--decode", false},
                                  {"--threads", true},
                                  {"--ram", true},
                                  {"--precision", true}});
  if (args.help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!args.positionals.empty())
    throw UsageError("logits: unexpected argument '" + args.positionals[0] + "'");
  const std::string dir = args.require("--model");
  const std::string out = args.require("--out");
  const std::vector<int32_t> ids = token_ids(args);
  const int threads = static_cast<int>(args.get_int("--threads", 0, 0, 1024));

  engine::LoadOptions load;
  load.threads = threads;
  load.ram_budget_bytes = ram_budget_from(args).bytes;
  load.context_tokens = static_cast<int>(ids.size());
  load.precision = engine::parse_precision(precision_from(args, "exact"), "--precision");
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

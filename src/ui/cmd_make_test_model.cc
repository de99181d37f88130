// gpt-oss-chat make-test-model DIR --preset tiny|small|20b|120b [--seed N] [--shard-gb G]
// A random checkpoint in both layouts (HF at DIR, OpenAI's at DIR/original), for tests and benches.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>

#include "engine/test_model.h"
#include "ui/cli.h"
#include "engine/model_writer.h"
#include "ui/subcommands.h"

namespace gptoss::ui {
namespace {

constexpr const char* kUsage =
    "usage: gpt-oss-chat make-test-model DIR --preset tiny|small|20b|120b [--seed N] [--shard-gb G]\n"
    "                                [--layout hf|original|both]\n"
    "\n"
    "Writes a gpt-oss checkpoint with random weights in both layouts, holding the same numbers:\n"
    "  DIR/config.json + DIR/model.safetensors (or shards + model.safetensors.index.json)\n"
    "  DIR/original/config.json + DIR/original/model.safetensors\n"
    "\n"
    "  --preset P      model size: tiny (3 layers, H=64), small, 20b or 120b (real shapes)\n"
    "  --seed N        random seed (default 0); the same seed gives the same files\n"
    "  --shard-gb G    HF shard size in GiB (default 5); one file when the model fits\n"
    "  --layout L      hf, original or both (default both); one layout halves the disk space\n";

}  // namespace

int cmd_make_test_model(int argc, char** argv) {
  const CliArgs args = parse_cli(argc, argv, {{"--preset", true}, {"--seed", true}, {"--shard-gb", true}, {"--layout", true}});
  if (args.help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (args.positionals.size() != 1) throw UsageError("expected one output folder DIR");
  const std::string preset_name = args.require("--preset");
  const engine::TestModelPreset* preset = engine::find_test_model_preset(preset_name);
  if (!preset) throw UsageError("unknown --preset '" + preset_name + "' (expected tiny, small, 20b or 120b)");
  engine::TestModelOptions options;
  options.seed = static_cast<uint64_t>(args.get_int("--seed", 0, 0, 1ll << 62));
  const double shard_gb = args.get_double("--shard-gb", 5.0, 1e-6, 1e6);
  options.shard_bytes = static_cast<uint64_t>(std::llround(shard_gb * (1ull << 30)));
  const std::string layout = args.get_or("--layout", "both");
  if (layout != "hf" && layout != "original" && layout != "both")
    throw UsageError("--layout: unknown layout '" + layout + "' (expected hf, original or both)");
  options.write_hf = layout != "original";
  options.write_original = layout != "hf";
  options.on_file = [](const std::string& path) { std::fprintf(stderr, "writing %s\n", path.c_str()); };

  const auto start = std::chrono::steady_clock::now();
  engine::write_test_model_atomically(args.positionals[0], *preset, options);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "wrote %s (preset %s, seed %llu) in %.1f s\n", args.positionals[0].c_str(),
               preset->name.c_str(), static_cast<unsigned long long>(options.seed), seconds);
  return 0;
}

}  // namespace gptoss::ui

// gpt-oss-chat logits --model DIR --tokens 1,2,3|FILE --out F.npy [--decode] [--threads N]
// The logits of a token sequence as a float32 .npy [n_tokens, vocab], for parity checks against
// an independent reference (np_forward.py has the same interface).
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "ui/cli.h"
#include "ui/ram_option.h"
#include "ui/subcommands.h"

namespace gptoss::ui {
namespace {

constexpr const char* kUsage =
    "usage: gpt-oss-chat logits --model DIR --tokens IDS|FILE --out F.npy [--decode] [--threads N]\n"
    "                             [--ram SIZE]\n"
    "\n"
    "Writes the logits of every position of a token sequence as float32 .npy [n_tokens, vocab].\n"
    "  --model DIR     checkpoint folder (HF layout or original/)\n"
    "  --tokens IDS    comma- or space-separated token ids, or a file holding them\n"
    "  --out F.npy     output file\n"
    "  --decode        one token at a time through the KV cache (default: one batched prefill)\n"
    "  --threads N     worker threads (default: all cores)\n"
    "  --ram SIZE      memory budget, e.g. 6G (default: GPT_OSS_RAM, else detected)\n";

// "1,2,3" or "1 2 3", or the text of a file holding that. UsageError on anything else.
std::vector<int32_t> parse_token_ids(const std::string& spec) {
  std::string text = spec;
  if (std::ifstream file(spec); file) {
    std::stringstream ss;
    ss << file.rdbuf();
    text = ss.str();
  }
  for (char& c : text)
    if (c == ',' || c == '\n' || c == '\t' || c == '\r') c = ' ';
  std::vector<int32_t> ids;
  std::istringstream in(text);
  std::string word;
  while (in >> word) {
    errno = 0;
    char* end = nullptr;
    const long long id = std::strtoll(word.c_str(), &end, 10);
    if (*end != '\0' || errno == ERANGE || id < 0 || id > INT32_MAX)
      throw UsageError("--tokens: not a token id: '" + word + "'");
    ids.push_back(static_cast<int32_t>(id));
  }
  if (ids.empty()) throw UsageError("--tokens: no token ids given");
  return ids;
}

// NPY format 1.0: magic, version, header length (u16 LE), a Python dict literal padded with
// spaces to a multiple of 64 bytes and ended by '\n', then the raw little-endian data.
void write_npy_f32(const std::string& path, const std::vector<float>& data, size_t rows, size_t cols) {
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(rows) + ", " +
                     std::to_string(cols) + "), }";
  const size_t preamble = 10;  // magic (6) + version (2) + length (2)
  size_t total = preamble + dict.size() + 1;
  dict.append((64 - total % 64) % 64, ' ');
  dict.push_back('\n');
  const uint16_t header_len = static_cast<uint16_t>(dict.size());
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw gptoss::Error(path + ": cannot open for writing: " + std::strerror(errno));
  const unsigned char magic[8] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  const unsigned char len[2] = {static_cast<unsigned char>(header_len & 0xFF),
                                static_cast<unsigned char>(header_len >> 8)};
  bool ok = std::fwrite(magic, 1, 8, f) == 8 && std::fwrite(len, 1, 2, f) == 2 &&
            std::fwrite(dict.data(), 1, dict.size(), f) == dict.size() &&
            std::fwrite(data.data(), sizeof(float), data.size(), f) == data.size();  // x86: little-endian
  ok = (std::fclose(f) == 0) && ok;
  if (!ok) throw gptoss::Error(path + ": write failed: " + std::strerror(errno));
}

}  // namespace

int cmd_logits(int argc, char** argv) {
  const CliArgs args = parse_cli(
      argc, argv,
      {{"--model", true}, {"--tokens", true}, {"--out", true}, {"--decode", false}, {"--threads", true}, {"--ram", true}});
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
  load.ram_budget_bytes = ram_budget_from(args).bytes;
  load.context_tokens = static_cast<int>(ids.size());
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
  write_npy_f32(out, logits, ids.size(), V);
  return 0;
}

}  // namespace gptoss::ui

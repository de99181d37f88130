// `gpt-oss-chat tokenize [--special]` and `gpt-oss-chat detokenize`: o200k_harmony from the shell.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/input_limits.h"
#include "tokenizer/tokenizer.h"
#include "ui/cli.h"
#include "ui/subcommands.h"

namespace gptoss::ui {
namespace {

constexpr const char* kTokenizeUsage =
    "usage: gpt-oss-chat tokenize [--special]\n"
    "\n"
    "Reads UTF-8 text on stdin and prints its o200k_harmony token ids as a JSON array.\n"
    "\n"
    "  --special   recognise special-token strings such as <|start|> (otherwise they are text)\n"
    "  -h, --help  show this help\n"
    "\n"
    "Exits 1 with the byte offset if the input is not valid UTF-8.\n";

constexpr const char* kDetokenizeUsage =
    "usage: gpt-oss-chat detokenize\n"
    "\n"
    "Reads a JSON array of o200k_harmony token ids on stdin and writes their bytes to stdout\n"
    "(special tokens as their names, e.g. <|end|>).\n"
    "\n"
    "  -h, --help  show this help\n"
    "\n"
    "Exits 1 on malformed JSON or an id outside 0..201087.\n";

std::string read_stdin() { return read_capped(stdin, kMaxTextInputBytes, "stdin"); }

void write_stdout(const std::string& bytes) {
  if (std::fwrite(bytes.data(), 1, bytes.size(), stdout) != bytes.size() || std::fflush(stdout) != 0) {
    throw gptoss::Error("stdout: write failed");
  }
}

// The ids of a JSON array of integers; throws gptoss::Error naming what is wrong.
std::vector<int32_t> parse_id_array(const std::string& text) {
  if (auto problem = excess_json_nesting(text)) throw gptoss::Error("stdin: " + *problem);
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for "1E400"
    // e.what() is one line: "[json.exception.parse_error.101] parse error at line 1, column 4: ..."
    throw gptoss::Error("stdin: bad JSON (" + capped(e.what(), kMaxParseErrorBytes) + ")");
  }
  if (!doc.is_array()) {
    throw gptoss::Error(std::string("stdin: expected a JSON array of token ids, found ") + doc.type_name());
  }
  std::vector<int32_t> ids;
  ids.reserve(doc.size());
  for (size_t i = 0; i < doc.size(); ++i) {
    const nlohmann::json& v = doc[i];
    const bool integral = v.is_number_integer();
    if (!integral ||
        (v.is_number_unsigned() ? v.get<uint64_t>() > INT32_MAX
                                : v.get<int64_t>() < INT32_MIN || v.get<int64_t>() > INT32_MAX)) {
      throw gptoss::Error("stdin: element " + std::to_string(i) + ": unknown token id " + capped(v.dump()) +
                          " (expected an integer in 0..201087)");
    }
    ids.push_back(v.get<int32_t>());
  }
  return ids;
}

}  // namespace

int cmd_tokenize(int argc, char** argv) {
  const CliArgs args = parse_cli(argc, argv, {{"--special", false}});
  if (args.help) {
    std::fputs(kTokenizeUsage, stdout);
    return 0;
  }
  if (!args.positionals.empty()) throw UsageError("unexpected argument '" + args.positionals[0] + "'");

  const auto tokenizer = tokenizer::Tokenizer::load_default();
  const std::string text = read_stdin();
  std::vector<int32_t> ids;
  try {
    ids = args.has("--special") ? tokenizer->encode_with_special(text, {}, /*allow_all=*/true)
                                : tokenizer->encode(text);
  } catch (const tokenizer::InvalidUtf8Error& e) {
    throw gptoss::Error("stdin: byte " + std::to_string(e.byte_offset()) + ": invalid UTF-8 (" +
                        std::string(e.what()).substr(std::string(e.what()).find('(') + 1));
  }
  std::string out = "[";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) out += ", ";
    out += std::to_string(ids[i]);
  }
  out += "]\n";
  write_stdout(out);
  return 0;
}

int cmd_detokenize(int argc, char** argv) {
  const CliArgs args = parse_cli(argc, argv, {});
  if (args.help) {
    std::fputs(kDetokenizeUsage, stdout);
    return 0;
  }
  if (!args.positionals.empty()) throw UsageError("unexpected argument '" + args.positionals[0] + "'");

  const auto tokenizer = tokenizer::Tokenizer::load_default();
  const std::vector<int32_t> ids = parse_id_array(read_stdin());
  std::string bytes;
  for (size_t i = 0; i < ids.size(); ++i) {
    const auto token = tokenizer->token_bytes(ids[i]);
    if (!token) {
      throw gptoss::Error("stdin: element " + std::to_string(i) + ": unknown token id " +
                          std::to_string(ids[i]) + " (expected 0.." +
                          std::to_string(tokenizer->vocab_size() - 1) + ")");
    }
    bytes.append(*token);
  }
  write_stdout(bytes);
  return 0;
}

}  // namespace gptoss::ui

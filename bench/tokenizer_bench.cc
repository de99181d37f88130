// o200k_harmony tokenizer speed on one thread: vocabulary load, encode and decode MB/s on a
// deterministic mixed corpus (>= 10 MiB), and the long single-shape inputs that would expose
// quadratic code.
//
//   flock /tmp/gptoss-build.lock build/bench/tokenizer_bench
//
// The corpus is built from files in the repository, in a fixed order, so every run and every
// machine measures the same bytes: English prose (*.md), code (src/ and tests/ *.cc, *.h), the
// multilingual text of the tokenizer and harmony vectors (CJK, emoji, RTL scripts...), plus
// generated whitespace runs (spaces, tabs, newlines) and digit runs.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace {

namespace fs = std::filesystem;
using gptoss::tokenizer::StreamDecoder;
using gptoss::tokenizer::Tokenizer;

constexpr size_t kCorpusBytes = 10u << 20;
constexpr size_t kMiB = 1u << 20;

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// Files under `dir` whose extension is in `extensions`, sorted so the order is fixed.
std::string concat_files(const fs::path& dir, std::initializer_list<const char*> extensions) {
  std::vector<fs::path> paths;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const std::string ext = entry.path().extension().string();
    if (std::find(extensions.begin(), extensions.end(), ext) != extensions.end())
      paths.push_back(entry.path());
  }
  std::sort(paths.begin(), paths.end());
  std::string text;
  for (const auto& p : paths) text += slurp(p) + "\n";
  return text;
}

// Every "text"/"content" string value of the JSONL vector files (tokenizer and harmony).
std::string vector_texts(const fs::path& data_dir) {
  std::string text;
  const std::function<void(const nlohmann::json&)> collect = [&](const nlohmann::json& j) {
    if (j.is_string()) {
      text += j.get<std::string>();
      text += '\n';
    } else if (j.is_structured()) {
      for (const auto& item : j) collect(item);
    }
  };
  for (const char* file : {"tokenizer/ordinary.jsonl", "tokenizer/special.jsonl", "harmony/render.jsonl",
                           "harmony/parse.jsonl"}) {
    std::istringstream lines(slurp(data_dir / file));
    std::string line;
    while (std::getline(lines, line)) {
      if (!line.empty()) collect(nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false));
    }
  }
  return text;
}

// A cut of `text` of about `bytes` starting at `offset` (mod its size), on UTF-8 boundaries.
std::string slice(const std::string& text, size_t offset, size_t bytes) {
  if (text.empty()) return "";
  std::string out;
  size_t i = offset % text.size();
  while ((uint8_t(text[i]) & 0xC0) == 0x80) i = (i + 1) % text.size();
  while (out.size() < bytes) {
    const size_t take = std::min(bytes - out.size(), text.size() - i);
    out.append(text, i, take);
    i = (i + take) % text.size();
  }
  while (!out.empty() && (uint8_t(out.back()) & 0xC0) == 0x80) out.pop_back();  // drop a cut char
  while (!out.empty() && uint8_t(out.back()) >= 0xC0) out.pop_back();
  return out;
}

struct Corpus {
  std::string prose, code, multilingual, mixed;
};

const Corpus& corpus() {
  static const Corpus c = [] {
    const fs::path root = GPTOSS_SOURCE_DIR;
    Corpus out;
    out.prose = slurp(root / "README.md") + slurp(root / "assets" / "README.md") +
                slurp(root / "tests" / "data" / "README.md");
    out.code = concat_files(root / "src", {".cc", ".h"}) + concat_files(root / "tests", {".cc", ".h"});
    out.multilingual = vector_texts(root / "tests" / "data");
    std::mt19937 rng(20260);  // fixed seed: the same corpus every run
    size_t round = 0;
    while (out.mixed.size() < kCorpusBytes) {
      out.mixed += slice(out.prose, round * 7919, 24 << 10);
      out.mixed += slice(out.code, round * 32749, 32 << 10);
      out.mixed += slice(out.multilingual, round * 4099, 16 << 10);
      std::string spaces(1 + rng() % 4096, ' ');  // a long whitespace run, tabs and newlines mixed in
      for (size_t k = 0; k < spaces.size() / 64; ++k) spaces[rng() % spaces.size()] = "\t\n"[rng() % 2];
      out.mixed += spaces + "x";
      std::string digits(1 + rng() % 4096, '0');  // a long digit run
      for (char& d : digits) d = char('0' + rng() % 10);
      out.mixed += " " + digits + "\n";
      ++round;
    }
    return out;
  }();
  return c;
}

const Tokenizer& tokenizer() {
  static const std::shared_ptr<const Tokenizer> t = Tokenizer::load_default();
  return *t;
}

void BM_LoadVocabulary(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(Tokenizer::load_default());
}
BENCHMARK(BM_LoadVocabulary)->Unit(benchmark::kMillisecond)->Iterations(20);

void encode_bench(benchmark::State& state, const std::string& text) {
  size_t tokens = 0;
  for (auto _ : state) {
    const auto ids = tokenizer().encode(text);
    tokens = ids.size();
    benchmark::DoNotOptimize(ids.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations() * text.size()));
  state.counters["input_MiB"] = double(text.size()) / kMiB;
  state.counters["bytes/token"] = double(text.size()) / double(std::max<size_t>(tokens, 1));
}

void BM_EncodeMixedCorpus(benchmark::State& state) { encode_bench(state, corpus().mixed); }
BENCHMARK(BM_EncodeMixedCorpus)->Unit(benchmark::kMillisecond)->MinTime(3);

void BM_EncodeProse(benchmark::State& state) { encode_bench(state, slice(corpus().prose, 0, kMiB)); }
BENCHMARK(BM_EncodeProse)->Unit(benchmark::kMillisecond);

void BM_EncodeCode(benchmark::State& state) { encode_bench(state, slice(corpus().code, 0, kMiB)); }
BENCHMARK(BM_EncodeCode)->Unit(benchmark::kMillisecond);

void BM_EncodeMultilingual(benchmark::State& state) {
  encode_bench(state, slice(corpus().multilingual, 0, kMiB));
}
BENCHMARK(BM_EncodeMultilingual)->Unit(benchmark::kMillisecond);

void BM_EncodeChatMessage(benchmark::State& state) {
  encode_bench(state, "Can you explain what a mixture-of-experts layer does, in two short paragraphs?");
}
BENCHMARK(BM_EncodeChatMessage)->Unit(benchmark::kMicrosecond);

void BM_EncodeWithSpecialHarmonyPrompt(benchmark::State& state) {
  std::string text;
  for (int i = 0; i < 2000; ++i) {
    text += "<|start|>user<|message|>" + slice(corpus().prose, size_t(i) * 977, 400) +
            "<|end|><|start|>assistant<|channel|>final<|message|>" +
            slice(corpus().code, size_t(i) * 1301, 400) + "<|end|>";
  }
  for (auto _ : state) benchmark::DoNotOptimize(tokenizer().encode_with_special(text, {}, true).data());
  state.SetBytesProcessed(int64_t(state.iterations() * text.size()));
}
BENCHMARK(BM_EncodeWithSpecialHarmonyPrompt)->Unit(benchmark::kMillisecond);

// The shapes a quadratic merge or regex would choke on: one 1 MiB piece each.
void BM_EncodeOneMiBWord(benchmark::State& state) {
  std::mt19937 rng(5);
  std::string word(kMiB, 'a');
  for (char& c : word) c = char('a' + rng() % 26);
  encode_bench(state, word);
}
BENCHMARK(BM_EncodeOneMiBWord)->Unit(benchmark::kMillisecond);

void BM_EncodeOneMiBSpaces(benchmark::State& state) { encode_bench(state, std::string(kMiB, ' ')); }
BENCHMARK(BM_EncodeOneMiBSpaces)->Unit(benchmark::kMillisecond);

void BM_EncodeOneMiBDigits(benchmark::State& state) { encode_bench(state, std::string(kMiB, '7')); }
BENCHMARK(BM_EncodeOneMiBDigits)->Unit(benchmark::kMillisecond);

void BM_DecodeMixedCorpus(benchmark::State& state) {
  const auto ids = tokenizer().encode(corpus().mixed);
  for (auto _ : state) benchmark::DoNotOptimize(tokenizer().decode(ids).data());
  state.SetBytesProcessed(int64_t(state.iterations() * corpus().mixed.size()));
  state.counters["tokens"] = double(ids.size());
}
BENCHMARK(BM_DecodeMixedCorpus)->Unit(benchmark::kMillisecond);

void BM_StreamDecodeMixedCorpus(benchmark::State& state) {
  const auto ids = tokenizer().encode(corpus().mixed);
  for (auto _ : state) {
    StreamDecoder decoder(tokenizer());
    size_t bytes = 0;
    for (int32_t id : ids) bytes += decoder.push(id).size();
    bytes += decoder.flush().size();
    benchmark::DoNotOptimize(bytes);
  }
  state.SetBytesProcessed(int64_t(state.iterations() * corpus().mixed.size()));
}
BENCHMARK(BM_StreamDecodeMixedCorpus)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

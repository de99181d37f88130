#include "tokenizer/tokenizer.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "tokenizer/bpe.h"
#include "tokenizer/pretokenize.h"
#include "tokenizer/sha256.h"
#include "tokenizer/specials.h"
#include "tokenizer/utf8.h"
#include "tokenizer/vocab.h"

namespace gptoss::tokenizer {

struct Tokenizer::Impl {
  explicit Impl(Vocab v) : vocab(std::move(v)) {}
  Vocab vocab;  // ranks 0..199997 of o200k_base; rank == id
  Pretokenizer pretokenizer;
  SpecialTokens specials;

  // Appends the ids of text that contains no special tokens (already valid UTF-8).
  void encode_ordinary(std::string_view text, std::vector<int32_t>& out) const {
    pretokenizer.split(text, [&](std::string_view piece) { bpe_encode(vocab, piece, out); });
  }
};

namespace {

constexpr const char* kVocabFileName = "o200k_base.tiktoken";

std::string read_file(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) throw TokenizerError(path + ": cannot open (" + std::strerror(errno) + ")");
  std::string bytes;
  char buffer[1 << 16];
  size_t n;
  if (std::fseek(file, 0, SEEK_END) == 0) {
    const long size = std::ftell(file);
    if (size > 0) bytes.reserve(size_t(size));
    std::rewind(file);
  }
  while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) bytes.append(buffer, n);
  const bool failed = std::ferror(file);
  std::fclose(file);
  if (failed) throw TokenizerError(path + ": read failed");
  return bytes;
}

void check_utf8(std::string_view text) {
  const size_t bad = first_invalid_utf8(text);
  if (bad == std::string_view::npos) return;
  char found[64];
  const Utf8Sequence seq = next_utf8_sequence(text.substr(bad));
  std::string hex;
  for (size_t i = 0; i < std::max<size_t>(seq.length, 1) && bad + i < text.size(); ++i) {
    std::snprintf(found, sizeof found, "%s0x%02X", i ? " " : "", unsigned(uint8_t(text[bad + i])));
    hex += found;
  }
  const char* problem = seq.status == Utf8Status::kTruncated ? "truncated" : "ill-formed";
  throw InvalidUtf8Error("input text: byte " + std::to_string(bad) + ": invalid UTF-8 (" + problem +
                             " sequence, found " + hex + ")",
                         bad);
}

}  // namespace

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::~Tokenizer() = default;

std::shared_ptr<const Tokenizer> Tokenizer::load(const std::string& tiktoken_path) {
  const std::string bytes = read_file(tiktoken_path);
  const std::string digest =
      sha256_hex(std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  if (digest != kO200kBaseSha256) {
    throw TokenizerError(tiktoken_path + ": sha256 mismatch, not OpenAI's o200k_base (expected " +
                         std::string(kO200kBaseSha256) + ", found " + digest + ")");
  }
  Vocab vocab = Vocab::parse(bytes, tiktoken_path);
  // Belt and braces behind the hash: the special ids start right after the ranks, and BPE
  // starts from single bytes, so all 256 must be tokens.
  if (vocab.size() != kO200kBaseTokens) {
    throw TokenizerError(tiktoken_path + ": wrong token count (expected " + std::to_string(kO200kBaseTokens) +
                         ", found " + std::to_string(vocab.size()) + ")");
  }
  for (int b = 0; b < 256; ++b) {
    const char byte = char(b);
    if (vocab.rank(std::string_view(&byte, 1)) == Vocab::kNoRank) {
      throw TokenizerError(tiktoken_path + ": byte " + std::to_string(b) + " is not a token");
    }
  }
  return std::shared_ptr<const Tokenizer>(new Tokenizer(std::make_unique<Impl>(std::move(vocab))));
}

std::shared_ptr<const Tokenizer> Tokenizer::load_default() {
  namespace fs = std::filesystem;
  if (const char* dir = std::getenv("GPT_OSS_ASSETS"); dir && *dir) {
    return load((fs::path(dir) / kVocabFileName).string());
  }
  std::vector<fs::path> candidates;
  std::error_code error;
  const fs::path exe = fs::read_symlink("/proc/self/exe", error);
  if (!error) {
    candidates.push_back(exe.parent_path() / ".." / "share" / "gpt-oss-chat" / kVocabFileName);  // installed
    candidates.push_back(exe.parent_path() / ".." / "assets" / kVocabFileName);
    candidates.push_back(exe.parent_path() / "assets" / kVocabFileName);
  }
  candidates.push_back(fs::path(GPTOSS_ASSETS_DIR) / kVocabFileName);
  std::string tried;
  for (const fs::path& path : candidates) {
    if (fs::is_regular_file(path, error)) return load(path.lexically_normal().string());
    tried += (tried.empty() ? "" : ", ") + path.lexically_normal().string();
  }
  throw TokenizerError(std::string(kVocabFileName) + ": not found (looked in $GPT_OSS_ASSETS, " + tried +
                       ")");
}

std::vector<int32_t> Tokenizer::encode(std::string_view text) const {
  check_utf8(text);
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 4 + 1);
  impl_->encode_ordinary(text, ids);
  return ids;
}

std::vector<int32_t> Tokenizer::encode_with_special(std::string_view text,
                                                    std::span<const std::string> allowed,
                                                    bool allow_all) const {
  for (const std::string& name : allowed) {
    if (!impl_->specials.id(name)) {
      throw TokenizerError("encode: '" + name + "' is not a special token of o200k_harmony");
    }
  }
  // By name, as tiktoken's allowed_special: allowing <|endofprompt|> does not allow
  // <|reserved_200018|>, though both are id 200018.
  const auto is_allowed = [&](std::string_view name) {
    return allow_all || std::find(allowed.begin(), allowed.end(), name) != allowed.end();
  };
  check_utf8(text);

  // As tiktoken: split at the leftmost allowed special, encode the text between ordinarily (the
  // regex sees each stretch on its own), and emit the special's id.
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 4 + 1);
  size_t start = 0;  // first byte not yet encoded
  for (size_t pos = text.find("<|"); pos != std::string_view::npos; pos = text.find("<|", pos + 1)) {
    const std::optional<SpecialTokens::Match> match = impl_->specials.match_at(text.substr(pos));
    if (!match || !is_allowed(match->name)) continue;
    impl_->encode_ordinary(text.substr(start, pos - start), ids);
    ids.push_back(match->id);
    start = pos + match->name.size();
    pos = start - 1;
  }
  impl_->encode_ordinary(text.substr(start), ids);
  return ids;
}

std::string Tokenizer::decode(std::span<const int32_t> ids) const {
  std::string bytes;
  bytes.reserve(ids.size() * 5);
  for (const int32_t id : ids) {
    const std::optional<std::string_view> token = token_bytes(id);
    if (!token) {
      throw TokenizerError("decode: unknown token id " + std::to_string(id) + " (expected 0.." +
                           std::to_string(kHarmonyVocabSize - 1) + ")");
    }
    bytes.append(*token);
  }
  return bytes;
}

std::optional<std::string_view> Tokenizer::token_bytes(int32_t id) const {
  if (id >= 0 && id < impl_->vocab.size()) return impl_->vocab.bytes(id);
  return impl_->specials.name(id);
}

std::optional<int32_t> Tokenizer::special_id(std::string_view name) const { return impl_->specials.id(name); }

std::optional<std::string_view> Tokenizer::special_name(int32_t id) const { return impl_->specials.name(id); }

bool Tokenizer::is_special(int32_t id) const { return id >= kFirstSpecialId && id < kHarmonyVocabSize; }

int32_t Tokenizer::vocab_size() const { return kHarmonyVocabSize; }

}  // namespace gptoss::tokenizer

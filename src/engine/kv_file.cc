#include "engine/kv_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "engine/bf16.h"
#include "engine/kv_cache.h"

namespace gptoss::engine {

static_assert(std::endian::native == std::endian::little, "the KV cache file is little-endian");

namespace {

constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ull, kFnvPrime = 0x100000001b3ull;
constexpr uint64_t kOddMultiplier = 0x9e3779b97f4a7c15ull;  // odd: multiplying by it is a bijection

uint64_t fnv1a(uint64_t h, const void* data, size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * kFnvPrime;
  return h;
}

template <class T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <class T>
uint8_t* store(uint8_t* p, T v) {
  std::memcpy(p, &v, sizeof v);
  return p + sizeof v;
}

size_t element_bytes(KvDtype dtype) { return dtype == KvDtype::kF32 ? 4 : 2; }

std::string hex64(uint64_t v) {
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(v));
  return out;
}

std::string range_text(uint64_t expected, uint64_t found) {
  return "(expected " + std::to_string(expected) + ", found " + std::to_string(found) + ")";
}

std::string bytes_text(uint64_t expected, uint64_t found) {
  return "(expected " + std::to_string(expected) + " bytes, found " + std::to_string(found) + ")";
}

// True if any of the n values at p (f32 or bf16 bit patterns) is an infinity or NaN.
bool any_non_finite(const uint8_t* p, size_t n, KvDtype dtype) {
  bool bad = false;
  if (dtype == KvDtype::kF32) {
    for (size_t i = 0; i < n; ++i) bad |= (load<uint32_t>(p + 4 * i) & 0x7f800000u) == 0x7f800000u;
  } else {
    for (size_t i = 0; i < n; ++i) bad |= (load<uint16_t>(p + 2 * i) & 0x7f80u) == 0x7f80u;
  }
  return bad;
}

uint8_t* put_row(uint8_t* out, const float* x, size_t n, KvDtype dtype) {
  if (dtype == KvDtype::kF32) {
    std::memcpy(out, x, n * sizeof(float));
    return out + n * sizeof(float);
  }
  for (size_t i = 0; i < n; ++i) out = store<uint16_t>(out, f32_to_bf16(x[i]));
  return out;
}

const uint8_t* get_row(float* x, const uint8_t* in, size_t n, KvDtype dtype) {
  if (dtype == KvDtype::kF32) {
    std::memcpy(x, in, n * sizeof(float));
    return in + n * sizeof(float);
  }
  for (size_t i = 0; i < n; ++i) x[i] = bf16_to_f32(load<uint16_t>(in + 2 * i));
  return in + 2 * n;
}

// Row p of layer l's keys (or values) as f32: the cache's own row, or `buf` widened from bf16.
const float* widened_row(const KvCache& cache, int l, int p, bool keys, std::vector<float>& buf) {
  if (cache.type() == KvType::kF32) return keys ? cache.key(l, p) : cache.value(l, p);
  const uint16_t* bits = keys ? cache.key_bf16(l, p) : cache.value_bf16(l, p);
  for (size_t i = 0; i < buf.size(); ++i) buf[i] = bf16_to_f32(bits[i]);
  return buf.data();
}

}  // namespace

uint64_t kv_fingerprint(const Model& model) {
  const ModelInfo& info = model.info();
  uint64_t h = fnv1a(kFnvOffset, info.fingerprint.data(), info.fingerprint.size());
  constexpr uint64_t kSamples = 16, kSampleBytes = 64;
  for (const std::string& path : info.files) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (fd < 0 || ::fstat(fd, &st) != 0) {
      const std::string why = std::strerror(errno);
      if (fd >= 0) ::close(fd);
      throw LoadError(path + ": file: cannot read it to fingerprint the model (" + why + ")");
    }
    const auto size = static_cast<uint64_t>(st.st_size);
    h = fnv1a(h, &size, sizeof size);
    for (uint64_t i = 0; i < kSamples; ++i) {
      uint8_t sample[kSampleBytes] = {};
      const uint64_t offset = size > kSampleBytes ? (size - kSampleBytes) / (kSamples - 1) * i : 0;
      if (::pread(fd, sample, kSampleBytes, static_cast<off_t>(offset)) < 0) {
        const std::string why = std::strerror(errno);
        ::close(fd);
        throw LoadError(path + ": file: cannot read it to fingerprint the model (" + why + ")");
      }
      h = fnv1a(h, sample, kSampleBytes);
    }
    ::close(fd);
  }
  return h;
}

uint64_t checksum64(std::span<const uint8_t> bytes) {
  // Each lane takes every fourth word: (lane ^ word) * odd is a bijection of the lane for a fixed
  // word and of the word for a fixed lane, so a changed word changes its lane's end value; the
  // lanes are then folded in by bijective steps, so it changes the result.
  uint64_t lane[4] = {kFnvOffset, kFnvOffset ^ 1, kFnvOffset ^ 2, kFnvOffset ^ 3};
  const uint8_t* p = bytes.data();
  const size_t n = bytes.size();
  size_t i = 0;
  for (; i + 32 <= n; i += 32)
    for (int k = 0; k < 4; ++k) lane[k] = (lane[k] ^ load<uint64_t>(p + i + 8 * k)) * kOddMultiplier;
  uint8_t tail[32] = {};
  std::memcpy(tail, p + i, n - i);
  for (int k = 0; k < 4; ++k) lane[k] = (lane[k] ^ load<uint64_t>(tail + 8 * k)) * kOddMultiplier;
  uint64_t h = n;
  for (int k = 0; k < 4; ++k) {
    h = (h ^ lane[k]) * kOddMultiplier;
    h ^= h >> 29;
  }
  return h;
}

uint64_t kv_file_bytes(const KvCache& cache, uint64_t n, KvDtype dtype) {
  uint64_t positions = 0;
  for (int l = 0; l < cache.layers(); ++l) positions += cache.kept_for(l, static_cast<int>(n));
  return kKvHeaderBytes + 4 * static_cast<uint64_t>(cache.layers()) + 4 * n +
         positions * 2 * cache.row() * element_bytes(dtype) + 8;
}

std::string write_kv_file(const Config& cfg, const KvCache& cache, std::span<const int32_t> tokens,
                          uint64_t fingerprint, KvDtype dtype) {
  const int n = static_cast<int>(tokens.size()), L = cfg.n_layers;
  const size_t row = cache.row();
  std::string file(kv_file_bytes(cache, tokens.size(), dtype), '\0');
  std::vector<float> buf(row);
  uint8_t* out = reinterpret_cast<uint8_t*>(file.data());
  std::memcpy(out, kKvMagic, sizeof kKvMagic);
  out += sizeof kKvMagic;
  out = store<uint32_t>(out, kKvVersion);
  out = store<uint32_t>(out, static_cast<uint32_t>(dtype));
  out = store<uint64_t>(out, fingerprint);
  out = store<uint32_t>(out, static_cast<uint32_t>(L));
  out = store<uint32_t>(out, static_cast<uint32_t>(cfg.n_kv_heads));
  out = store<uint32_t>(out, static_cast<uint32_t>(cfg.head_dim));
  out = store<uint32_t>(out, static_cast<uint32_t>(cfg.sliding_window));
  out = store<uint64_t>(out, static_cast<uint64_t>(n));
  for (int l = 0; l < L; ++l) out = store<uint32_t>(out, static_cast<uint32_t>(cache.kept_for(l, n)));
  std::memcpy(out, tokens.data(), tokens.size_bytes());
  out += tokens.size_bytes();
  for (int l = 0; l < L; ++l) {
    const int first = n - cache.kept_for(l, n);
    for (int p = first; p < n; ++p) out = put_row(out, widened_row(cache, l, p, /*keys=*/true, buf), row, dtype);
    for (int p = first; p < n; ++p) out = put_row(out, widened_row(cache, l, p, /*keys=*/false, buf), row, dtype);
  }
  const auto body = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(file.data()), file.size() - 8);
  store<uint64_t>(out, checksum64(body));
  return file;
}

std::vector<int32_t> read_kv_file(KvCache& cache, std::span<const uint8_t> bytes,
                                  const KvExpectations& expect, const std::string& source) {
  auto fail = [&](const std::string& field, const std::string& problem) {
    throw KvFileError(source + ": " + field + ": " + problem);
  };
  const Config& cfg = *expect.cfg;
  if (bytes.size() < kKvHeaderBytes + 8)
    fail("header", "truncated " + bytes_text(kKvHeaderBytes + 8, bytes.size()));
  const uint8_t* p = bytes.data();
  if (std::memcmp(p, kKvMagic, sizeof kKvMagic) != 0) fail("magic", "not a gpt-oss-chat KV cache file");
  const auto version = load<uint32_t>(p + 8);
  if (version != kKvVersion)
    fail("version", "written by another version of the program " + range_text(kKvVersion, version));
  const auto dtype_code = load<uint32_t>(p + 12);
  if (dtype_code > 1)
    fail("dtype", "unknown (expected 0 for f32 or 1 for bf16, found " + std::to_string(dtype_code) + ")");
  const auto dtype = static_cast<KvDtype>(dtype_code);
  const auto fingerprint = load<uint64_t>(p + 16);
  if (fingerprint != expect.fingerprint)
    fail("fingerprint", "made with another model (expected " + hex64(expect.fingerprint) + ", found " +
                            hex64(fingerprint) + ")");
  const struct {
    const char* field;
    int expected;
  } dims[] = {{"n_layers", cfg.n_layers},
              {"n_kv_heads", cfg.n_kv_heads},
              {"head_dim", cfg.head_dim},
              {"sliding_window", cfg.sliding_window}};
  for (size_t i = 0; i < std::size(dims); ++i) {
    const auto found = load<uint32_t>(p + 24 + 4 * i);
    if (found != static_cast<uint32_t>(dims[i].expected))
      fail(dims[i].field, "does not match the model " + range_text(dims[i].expected, found));
  }
  const auto n64 = load<uint64_t>(p + 40);
  if (n64 < 1 || n64 > expect.capacity)
    fail("n_tokens", "out of range (expected 1.." + std::to_string(expect.capacity) + ", found " +
                         std::to_string(n64) + ")");
  const int n = static_cast<int>(n64);
  const uint64_t size = kv_file_bytes(cache, n64, dtype);
  if (bytes.size() != size)
    fail("size", std::string(bytes.size() < size ? "truncated" : "longer than its header says") + " " +
                     bytes_text(size, bytes.size()));
  const auto stored = load<uint64_t>(p + size - 8);
  const uint64_t computed = checksum64(bytes.first(size - 8));
  if (stored != computed)
    fail("checksum",
         "mismatch, the file is damaged (expected " + hex64(computed) + ", found " + hex64(stored) + ")");

  const uint8_t* kept = p + kKvHeaderBytes;
  for (int l = 0; l < cfg.n_layers; ++l) {
    const auto found = load<uint32_t>(kept + 4 * l);
    if (found != static_cast<uint32_t>(cache.kept_for(l, n)))
      fail("kept[" + std::to_string(l) + "]",
           "positions of the layer " + range_text(cache.kept_for(l, n), found));
  }
  std::vector<int32_t> tokens(n);
  std::memcpy(tokens.data(), kept + 4 * cfg.n_layers, 4 * tokens.size());
  for (int t = 0; t < n; ++t)
    if (tokens[t] < 0 || tokens[t] >= cfg.vocab)
      fail("tokens[" + std::to_string(t) + "]", "id out of range (expected 0.." +
                                                    std::to_string(cfg.vocab - 1) + ", found " +
                                                    std::to_string(tokens[t]) + ")");
  if (tokens.size() > expect.sequence.size())
    fail("tokens", "more than the conversation holds " + range_text(expect.sequence.size(), tokens.size()));
  for (int t = 0; t < n; ++t)
    if (tokens[t] != expect.sequence[t])
      fail("tokens", "not a prefix of the conversation (they differ at position " + std::to_string(t) + ")");

  const uint8_t* data = kept + 4 * cfg.n_layers + 4 * tokens.size();
  const size_t row = cache.row();
  const size_t values = (size - 8 - static_cast<size_t>(data - p)) / element_bytes(dtype);
  if (any_non_finite(data, values, dtype)) fail("data", "holds an infinite or NaN key or value");
  // Everything is checked: only now does the cache change.
  std::vector<float> key_rows, value_rows;
  for (int l = 0; l < cfg.n_layers; ++l) {
    const int first = n - cache.kept_for(l, n);
    // A layer's keys, then its values: read both, then store each position (rounded if the cache
    // keeps bf16, which a bf16 file already is, so that round trip is exact).
    const size_t kept = static_cast<size_t>(n - first);
    key_rows.resize(kept * row), value_rows.resize(kept * row);
    for (size_t i = 0; i < kept; ++i) data = get_row(key_rows.data() + i * row, data, row, dtype);
    for (size_t i = 0; i < kept; ++i) data = get_row(value_rows.data() + i * row, data, row, dtype);
    for (size_t i = 0; i < kept; ++i)
      cache.store(l, first + static_cast<int>(i), key_rows.data() + i * row, value_rows.data() + i * row);
  }
  cache.restore(n);
  return tokens;
}

}  // namespace gptoss::engine

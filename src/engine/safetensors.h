// safetensors: parse and validate a header from a byte span, and map files read-only.
//
// Layout (model.md): an 8-byte little-endian header length n, n bytes of JSON
// (`name -> {dtype, shape, data_offsets: [begin, end]}` relative to the data section, plus
// `__metadata__`), then the data section. Parsing trusts nothing, the way ggml's gguf_reader
// does: every read is bounded, the header length is capped, `count * size` is checked for
// overflow, names are unique, extents lie inside the data and do not overlap, and each size is
// dtype x shape. All of that is finished before any tensor pointer is handed out.
//
// This reader is the only engine code the independent reference (tests/reference) shares.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine.h"

namespace gptoss::engine {

// The element types safetensors defines. Only BF16 and U8 appear in gpt-oss checkpoints; the
// others are recognised so that a file using them gets a precise error from the checkpoint.
enum class Dtype {
  kBool,
  kU8,
  kI8,
  kF8E4M3,
  kF8E5M2,
  kI16,
  kU16,
  kF16,
  kBF16,
  kI32,
  kU32,
  kF32,
  kF64,
  kI64,
  kU64
};

size_t dtype_bytes(Dtype dtype);      // bytes per element
const char* dtype_name(Dtype dtype);  // as spelled in the header: "BF16", "U8"...

// Why a header was refused; one value per named test case in tests/engine/safetensors_test.cc.
enum class SafetensorsProblem {
  kFileTooShort,   // fewer than 8 bytes
  kHeaderTooLong,  // header length above kMaxHeaderBytes
  kHeaderPastEnd,  // header length runs past the end of the bytes
  kBadJson,        // not JSON, or not an object
  kBadEntry,       // an entry without dtype/shape/data_offsets of the right JSON types
  kUnknownDtype,   // dtype not in safetensors' list
  kOverflow,       // element count or byte size does not fit 64 bits
  kSizeMismatch,   // end - begin != dtype size x shape
  kOffsetPastEnd,  // begin > end, or end past the data section
  kOverlap,        // two tensors share bytes
  kDuplicate,      // the same name twice
  kMisaligned,     // data not aligned to the element size (views would be misaligned)
  kIo,             // open/stat/mmap failed (MappedFile only)
};

// A refused file. what() is one line naming the file and the tensor at fault.
// `text` with control characters written as \n, \r, \t or \xNN, so that names and strings read
// from a file keep an error message on one line.
std::string escape_control_chars(std::string_view text);

class SafetensorsError : public LoadError {
 public:
  SafetensorsError(SafetensorsProblem problem, const std::string& message)
      : LoadError(escape_control_chars(message)), problem_(problem) {}
  SafetensorsProblem problem() const { return problem_; }

 private:
  SafetensorsProblem problem_;
};

struct TensorEntry {
  std::string name;
  Dtype dtype = Dtype::kU8;
  std::vector<int64_t> shape;
  uint64_t data_offset = 0;  // file position of the first byte
  uint64_t data_bytes = 0;
  const uint8_t* data = nullptr;  // into the parsed span; set only after everything validated
};

// The validated header of one safetensors file: a directory of tensors over a byte span.
class SafetensorsHeader {
 public:
  static constexpr uint64_t kMaxHeaderBytes = 100ull << 20;  // real headers are < 1 MiB

  // Parses `bytes` (the whole file). `file` names the source in errors. Throws
  // SafetensorsError on the first problem found; no entry exists until all checks passed.
  static SafetensorsHeader parse(std::span<const uint8_t> bytes, const std::string& file);

  const std::string& file() const { return file_; }
  // Tensors in data order (ascending offset).
  const std::vector<TensorEntry>& tensors() const { return tensors_; }
  // The entry called `name`, or nullptr.
  const TensorEntry* find(const std::string& name) const;
  // `__metadata__` string values (non-string values are ignored).
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  uint64_t header_bytes() const { return header_bytes_; }  // the JSON, without the 8-byte length

 private:
  std::string file_;
  std::vector<TensorEntry> tensors_;
  std::map<std::string, size_t> index_;
  std::map<std::string, std::string> metadata_;
  uint64_t header_bytes_ = 0;
};

// One safetensors file mapped read-only (MAP_PRIVATE) and validated. Mapping reads no tensor
// bytes; pages come in when a kernel touches them. Reads past the end of a file truncated while
// mapped are caught (see changed_while_mapped) instead of killing the process. Throws SafetensorsError (kIo
// for system errors, or the header's problem, e.g. a file shorter than its header says).
class MappingGuard;  // mapping_guard.h

class MappedFile {
 public:
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::string& path() const { return path_; }
  uint64_t size_bytes() const { return size_; }
  std::span<const uint8_t> bytes() const { return {data_, static_cast<size_t>(size_)}; }
  const SafetensorsHeader& header() const { return header_; }
  // True once a read of the mapping found the file shorter than when it was mapped (SIGBUS,
  // caught by a MappingGuard); the bytes read since are zeros, so nothing computed from them counts.
  bool changed_while_mapped() const;

 private:
  std::string path_;
  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
  SafetensorsHeader header_;
  std::unique_ptr<MappingGuard> guard_;
};

}  // namespace gptoss::engine

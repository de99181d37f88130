#include "engine/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "common/input_limits.h"
#include "engine/mapping_guard.h"

namespace gptoss::engine {
namespace {

using nlohmann::json;

struct DtypeInfo {
  const char* name;
  Dtype dtype;
  size_t bytes;
};

constexpr DtypeInfo kDtypes[] = {
    {"BOOL", Dtype::kBool, 1},      {"U8", Dtype::kU8, 1},          {"I8", Dtype::kI8, 1},
    {"F8_E4M3", Dtype::kF8E4M3, 1}, {"F8_E5M2", Dtype::kF8E5M2, 1}, {"I16", Dtype::kI16, 2},
    {"U16", Dtype::kU16, 2},        {"F16", Dtype::kF16, 2},        {"BF16", Dtype::kBF16, 2},
    {"I32", Dtype::kI32, 4},        {"U32", Dtype::kU32, 4},        {"F32", Dtype::kF32, 4},
    {"F64", Dtype::kF64, 8},        {"I64", Dtype::kI64, 8},        {"U64", Dtype::kU64, 8},
};

const DtypeInfo& info_of(Dtype dtype) {
  for (const DtypeInfo& d : kDtypes)
    if (d.dtype == dtype) return d;
  return kDtypes[1];  // unreachable: every enumerator is listed
}

[[noreturn]] void fail(SafetensorsProblem problem, const std::string& file, const std::string& where,
                       const std::string& what) {
  throw SafetensorsError(problem, file + ": " + capped(where) + ": " + what);
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// nlohmann keeps the last of duplicate keys silently; this callback remembers the first
// duplicate at any depth so the header can be refused.
struct DuplicateFinder {
  std::vector<std::set<std::string>> open_objects;
  std::string duplicate;
  int duplicate_depth = -1;

  bool on_event(int depth, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        open_objects.emplace_back();
        break;
      case json::parse_event_t::object_end:
        if (!open_objects.empty()) open_objects.pop_back();
        break;
      case json::parse_event_t::key:
        if (!open_objects.empty() && !open_objects.back().insert(parsed.get<std::string>()).second &&
            duplicate_depth < 0) {
          duplicate = parsed.get<std::string>();
          duplicate_depth = depth;
        }
        break;
      default:
        break;
    }
    return true;
  }
};

uint64_t read_le64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// One tensor entry of the JSON header, checked for types, dtype and overflow; offsets are
// checked against the data section by the caller.
TensorEntry parse_entry(const std::string& file, const std::string& name, const json& value) {
  auto bad = [&](const std::string& what) { fail(SafetensorsProblem::kBadEntry, file, name, what); };
  if (!value.is_object()) bad("entry is not a JSON object");
  auto dtype_it = value.find("dtype");
  auto shape_it = value.find("shape");
  auto offsets_it = value.find("data_offsets");
  if (dtype_it == value.end() || !dtype_it->is_string()) bad("missing or non-string \"dtype\"");
  if (shape_it == value.end() || !shape_it->is_array()) bad("missing or non-array \"shape\"");
  if (offsets_it == value.end() || !offsets_it->is_array() || offsets_it->size() != 2 ||
      !(*offsets_it)[0].is_number_unsigned() || !(*offsets_it)[1].is_number_unsigned())
    bad("\"data_offsets\" must be two non-negative integers");

  TensorEntry entry;
  entry.name = name;
  const std::string dtype = dtype_it->get<std::string>();
  const DtypeInfo* found = nullptr;
  for (const DtypeInfo& d : kDtypes)
    if (dtype == d.name) found = &d;
  if (!found) fail(SafetensorsProblem::kUnknownDtype, file, name, "unknown dtype \"" + capped(dtype) + "\"");
  entry.dtype = found->dtype;

  uint64_t count = 1;
  for (const json& dim : *shape_it) {
    if (!dim.is_number_unsigned()) bad("shape entries must be non-negative integers");
    const uint64_t d = dim.get<uint64_t>();
    if (d > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
        (d != 0 && count > std::numeric_limits<uint64_t>::max() / d))
      fail(SafetensorsProblem::kOverflow, file, name, "element count overflows 64 bits");
    count *= d;
    entry.shape.push_back(static_cast<int64_t>(d));
  }
  if (count > std::numeric_limits<uint64_t>::max() / found->bytes)
    fail(SafetensorsProblem::kOverflow, file, name, "byte size overflows 64 bits");
  const uint64_t want_bytes = count * found->bytes;

  const uint64_t begin = (*offsets_it)[0].get<uint64_t>();
  const uint64_t end = (*offsets_it)[1].get<uint64_t>();
  entry.data_offset = begin;  // relative for now; parse() makes it a file position
  entry.data_bytes = end >= begin ? end - begin : 0;
  if (end < begin)
    fail(SafetensorsProblem::kOffsetPastEnd, file, name,
         "data_offsets end before they begin (found [" + std::to_string(begin) + ", " + std::to_string(end) +
             "])");
  if (entry.data_bytes != want_bytes)
    fail(SafetensorsProblem::kSizeMismatch, file, name,
         "byte size is not dtype x shape (expected " + std::to_string(want_bytes) + " for " + dtype + " " +
             shape_text(entry.shape) + ", found " + std::to_string(entry.data_bytes) + ")");
  return entry;
}

}  // namespace

std::string escape_control_chars(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7F) {
      out += "\\x";
      out += "0123456789abcdef"[u >> 4];
      out += "0123456789abcdef"[u & 0xF];
    } else {
      out += c;
    }
  }
  return out;
}

size_t dtype_bytes(Dtype dtype) { return info_of(dtype).bytes; }
const char* dtype_name(Dtype dtype) { return info_of(dtype).name; }

SafetensorsHeader SafetensorsHeader::parse(std::span<const uint8_t> bytes, const std::string& file) {
  // 1. The header length, bounded by the cap and the bytes present.
  if (bytes.size() < 8)
    fail(SafetensorsProblem::kFileTooShort, file, "header",
         "file too short for the 8-byte header length (found " + std::to_string(bytes.size()) + " bytes)");
  const uint64_t header_bytes = read_le64(bytes.data());
  if (header_bytes > kMaxHeaderBytes)
    fail(SafetensorsProblem::kHeaderTooLong, file, "header",
         "header length too large (expected at most " + std::to_string(kMaxHeaderBytes) + ", found " +
             std::to_string(header_bytes) + ")");
  if (header_bytes > bytes.size() - 8)
    fail(SafetensorsProblem::kHeaderPastEnd, file, "header",
         "header runs past the end of the file (expected " + std::to_string(8 + header_bytes) +
             " bytes at least, found " + std::to_string(bytes.size()) + ")");
  const uint64_t data_start = 8 + header_bytes;
  const uint64_t data_size = bytes.size() - data_start;

  // 2. The JSON, with duplicate keys caught.
  const char* text = reinterpret_cast<const char*>(bytes.data() + 8);
  if (auto problem = excess_json_nesting(std::string_view(text, header_bytes)))
    fail(SafetensorsProblem::kBadJson, file, "header", *problem);
  DuplicateFinder duplicates;
  json header;
  try {
    header = json::parse(text, text + header_bytes, [&](int depth, json::parse_event_t event, json& parsed) {
      return duplicates.on_event(depth, event, parsed);
    });
  } catch (const json::exception& e) {
    fail(SafetensorsProblem::kBadJson, file, "header",
         "invalid JSON (" + capped(e.what(), kMaxParseErrorBytes) + ")");
  }
  if (!header.is_object()) fail(SafetensorsProblem::kBadJson, file, "header", "header is not a JSON object");
  if (duplicates.duplicate_depth >= 0)
    fail(SafetensorsProblem::kDuplicate, file, duplicates.duplicate,
         duplicates.duplicate_depth <= 1 ? "tensor named twice in the header"
                                         : "key repeated inside an entry");

  // 3. Each entry on its own.
  SafetensorsHeader result;
  result.file_ = file;
  result.header_bytes_ = header_bytes;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it->is_object()) fail(SafetensorsProblem::kBadEntry, file, "__metadata__", "not a JSON object");
      for (auto m = it->begin(); m != it->end(); ++m)
        if (m->is_string()) result.metadata_[m.key()] = m->get<std::string>();
      continue;
    }
    result.tensors_.push_back(parse_entry(file, it.key(), it.value()));
  }

  // 4. Extents against the data section, then against each other.
  for (TensorEntry& t : result.tensors_) {
    // begin + bytes may wrap, so compare by parts
    if (t.data_offset > data_size || t.data_bytes > data_size - t.data_offset)
      fail(SafetensorsProblem::kOffsetPastEnd, file, t.name,
           "data lies outside the data section (expected end <= " + std::to_string(data_size) + ", found [" +
               std::to_string(t.data_offset) + ", " + std::to_string(t.data_offset + t.data_bytes) + "])");
    const size_t align = dtype_bytes(t.dtype);
    const uintptr_t address = reinterpret_cast<uintptr_t>(bytes.data()) + data_start + t.data_offset;
    if (address % align != 0)
      fail(SafetensorsProblem::kMisaligned, file, t.name,
           "data not aligned to its " + std::to_string(align) + "-byte elements (file offset " +
               std::to_string(data_start + t.data_offset) + ")");
  }
  std::sort(result.tensors_.begin(), result.tensors_.end(), [](const TensorEntry& a, const TensorEntry& b) {
    return a.data_offset != b.data_offset ? a.data_offset < b.data_offset : a.data_bytes < b.data_bytes;
  });
  const TensorEntry* furthest = nullptr;  // the earlier tensor reaching furthest
  for (const TensorEntry& t : result.tensors_) {
    if (t.data_bytes == 0) continue;
    if (furthest && t.data_offset < furthest->data_offset + furthest->data_bytes)
      fail(SafetensorsProblem::kOverlap, file, t.name,
           "data overlaps tensor " + capped(furthest->name) + " (starts at " + std::to_string(t.data_offset) +
               ", before " + std::to_string(furthest->data_offset + furthest->data_bytes) + ")");
    if (!furthest || t.data_offset + t.data_bytes > furthest->data_offset + furthest->data_bytes)
      furthest = &t;
  }

  // 5. Only now: file positions and pointers.
  for (size_t i = 0; i < result.tensors_.size(); ++i) {
    TensorEntry& t = result.tensors_[i];
    t.data_offset += data_start;
    t.data = bytes.data() + t.data_offset;
    result.index_[t.name] = i;
  }
  return result;
}

const TensorEntry* SafetensorsHeader::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

MappedFile::MappedFile(const std::string& path) : path_(path) {
  auto io_error = [&](const char* what) {
    fail(SafetensorsProblem::kIo, path, "file", std::string(what) + " failed (" + std::strerror(errno) + ")");
  };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) io_error("open");
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int saved = errno;
    ::close(fd);
    errno = saved;
    io_error("stat");
  }
  size_ = static_cast<uint64_t>(st.st_size);
  if (size_ > 0) {
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      const int saved = errno;
      ::close(fd);
      errno = saved;
      io_error("mmap");
    }
    data_ = static_cast<const uint8_t*>(p);
    guard_ = std::make_unique<MappingGuard>(data_, size_);
  }
  ::close(fd);
  try {
    header_ = SafetensorsHeader::parse(bytes(), path);
  } catch (...) {
    guard_.reset();
    if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
    throw;
  }
}

MappedFile::~MappedFile() {
  guard_.reset();  // before the range can be mapped again by someone else
  if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
}

bool MappedFile::changed_while_mapped() const { return guard_ && guard_->faulted(); }

}  // namespace gptoss::engine

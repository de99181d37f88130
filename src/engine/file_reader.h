// Reads of checkpoint bytes into memory of our own, without leaving them in the page cache.
//
// Why: under a cgroup (v1 and v2) the page cache a process causes is charged to it. Reading an
// expert through the page cache and keeping a copy in a slot would count it twice, and the
// kernel would reclaim our dense weights' pages before the stale expert pages. O_DIRECT reads
// straight into the slot; where a file system refuses O_DIRECT (tmpfs), pread plus
// POSIX_FADV_DONTNEED drops the pages right after the copy. O_DIRECT is preferred: measured on
// this project's machine (README "Low-memory machines"), it reads random 13 MiB pieces at least
// as fast as buffered reads and costs no copy out of the page cache.
#pragma once

#include <cstdint>
#include <string>

namespace gptoss::engine {

inline constexpr uint64_t kReadAlign = 4096;  // O_DIRECT offset, length and address alignment

// Bytes of a region that can take any `bytes`-long piece at any file offset: the piece starts at
// offset % kReadAlign inside it, and whole aligned blocks are read around it.
inline uint64_t copy_region_bytes(uint64_t bytes) {
  return (bytes + kReadAlign - 1) / kReadAlign * kReadAlign + kReadAlign;
}

class FileReader {
 public:
  // Opens `path` read-only (O_DIRECT when `direct` and the file system allows it). Throws
  // LoadError "<path>: file: cannot open (...)".
  FileReader(const std::string& path, bool direct = true);
  ~FileReader();
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;

  // Reads bytes [offset, offset + bytes) into `region` (kReadAlign-aligned, at least
  // copy_region_bytes(bytes) long) and returns where they start: region + offset % kReadAlign,
  // so that a piece keeps the alignment it has in a mapping of the file. Thread-safe. Throws
  // gptoss::Error "<path>: <what>: read failed ... (expected N bytes, found M)" when the file
  // no longer holds them (truncated after loading) or the read fails.
  const uint8_t* read(uint8_t* region, uint64_t offset, uint64_t bytes, const std::string& what) const;

  bool direct() const { return direct_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
  bool direct_ = false;
};

}  // namespace gptoss::engine

#include "engine/file_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "engine/engine.h"

namespace gptoss::engine {

FileReader::FileReader(const std::string& path, bool direct) : path_(path) {
  if (direct) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_DIRECT | O_CLOEXEC);
    direct_ = fd_ >= 0;
  }
  if (fd_ < 0) fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw LoadError(path + ": file: cannot open (" + std::strerror(errno) + ")");
}

FileReader::~FileReader() {
  if (fd_ >= 0) ::close(fd_);
}

const uint8_t* FileReader::read(uint8_t* region, uint64_t offset, uint64_t bytes,
                                const std::string& what) const {
  const uint64_t lead = offset % kReadAlign;
  // O_DIRECT: whole aligned blocks around the piece; the last may stop at the end of the file.
  const uint64_t begin = direct_ ? offset - lead : offset;
  const uint64_t want = direct_ ? (lead + bytes + kReadAlign - 1) / kReadAlign * kReadAlign : bytes;
  const uint64_t needed = direct_ ? lead + bytes : bytes;
  uint8_t* dst = direct_ ? region : region + lead;
  uint64_t got = 0;
  while (got < want) {
    const ssize_t r = ::pread(fd_, dst + got, want - got, static_cast<off_t>(begin + got));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0)
      throw gptoss::Error(path_ + ": " + what + ": read failed at offset " + std::to_string(offset) + " (" +
                          std::strerror(errno) + ")");
    if (r == 0) break;  // end of file
    got += static_cast<uint64_t>(r);
  }
  if (got < needed)
    throw gptoss::Error(path_ + ": " + what + ": file shorter than when loaded (expected " +
                        std::to_string(bytes) + " bytes at offset " + std::to_string(offset) + ", found " +
                        std::to_string(got > (needed - bytes) ? got - (needed - bytes) : 0) + ")");
  if (!direct_)
    posix_fadvise(fd_, static_cast<off_t>(offset), static_cast<off_t>(bytes), POSIX_FADV_DONTNEED);
  return region + lead;
}

}  // namespace gptoss::engine

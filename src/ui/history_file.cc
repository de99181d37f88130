#include "ui/history_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

namespace gptoss::ui {

std::string escape_history_entry(std::string_view entry) {
  std::string out;
  for (char c : entry) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string unescape_history_entry(std::string_view line) {
  std::string out;
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\\' && i + 1 < line.size()) {
      char n = line[++i];
      out += n == 'n' ? '\n' : n;
    } else {
      out += line[i];
    }
  }
  return out;
}

namespace {

// Holds an exclusive lock on `<path>.lock` while it lives. The lock is on a file of its own, never
// renamed: a compaction renames a new history file over the path, and a lock on the history file
// itself would be lost with the old one. (-1 when the lock file cannot be opened: the caller goes
// on without it rather than lose the entry.)
class HistoryLock {
 public:
  explicit HistoryLock(const std::string& path)
      : fd_(::open((path + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);
  }
  ~HistoryLock() {
    if (fd_ >= 0) ::close(fd_);  // and the lock with it
  }
  HistoryLock(const HistoryLock&) = delete;
  HistoryLock& operator=(const HistoryLock&) = delete;

 private:
  int fd_;
};

bool write_all(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

std::vector<std::string> entries_of(const std::string& text) {
  std::vector<std::string> entries;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start)
      entries.push_back(unescape_history_entry(std::string_view(text).substr(start, end - start)));
    start = end + 1;
  }
  return entries;
}

std::string read_fd(int fd) {
  std::string text;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  return text;
}

}  // namespace

std::vector<std::string> read_history_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  const std::string text = read_fd(fd);
  ::close(fd);
  return entries_of(text);
}

bool append_history_file(const std::string& path, const std::string& entry) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  const HistoryLock lock(path);
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  ::fchmod(fd, 0600);  // a file from an older version was world-readable
  const bool ok = write_all(fd, escape_history_entry(entry) + "\n");
  ::close(fd);
  return ok;
}

bool compact_history_file(const std::string& path, size_t keep) {
  const HistoryLock lock(path);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  std::vector<std::string> entries = entries_of(read_fd(fd));
  const size_t first = entries.size() > keep ? entries.size() - keep : 0;
  std::string text;
  for (size_t i = first; i < entries.size(); ++i) text += escape_history_entry(entries[i]) + "\n";
  // A name of this process's own: two chats compacting at once must not share a temporary file.
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int out = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  bool ok = out >= 0 && write_all(out, text) && ::fsync(out) == 0;
  if (out >= 0) ok = ::close(out) == 0 && ok;
  std::error_code ec;
  if (ok) std::filesystem::rename(tmp, path, ec);
  if (!ok || ec) std::filesystem::remove(tmp, ec);
  ::close(fd);
  return ok && !ec;
}

}  // namespace gptoss::ui

#include "chat/session_files.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "chat/session_store.h"

namespace gptoss::chat {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const std::string& path, const std::string& step, const std::string& problem) {
  throw SessionFileError(path + ": " + step + ": " + problem);
}

// rename(2) that refuses to replace `to` (RENAME_NOREPLACE: no window between a check and the
// move). Returns 0 or -1 with errno.
int rename_no_replace(const std::string& from, const std::string& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return -1;
  // A file system without RENAME_NOREPLACE: a hard link fails with EEXIST just the same.
  if (::link(from.c_str(), to.c_str()) != 0) return -1;
  return ::unlink(from.c_str());
}

}  // namespace

std::vector<std::string> delete_session(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) fail(path, "delete", "no such session file");
  std::vector<std::string> removed;
  for (const std::string& file : {path, kv_cache_path(path)}) {
    if (file != path && !fs::exists(file, ec)) continue;
    if (::unlink(file.c_str()) != 0) fail(file, "delete", std::strerror(errno));
    removed.push_back(file);
  }
  return removed;
}

void rename_session(const std::string& from, const std::string& to) {
  std::error_code ec;
  if (!fs::is_regular_file(from, ec)) fail(from, "rename", "no such session file");
  if (fs::exists(to, ec))
    fail(to, "rename", "already holds another session; delete it first or choose another name");
  const std::string kv_from = kv_cache_path(from), kv_to = kv_cache_path(to);
  if (fs::exists(kv_to, ec)) fail(kv_to, "rename", "a KV cache file is in the way; delete it first");
  if (rename_no_replace(from, to) != 0) {
    const int err = errno;
    fail(err == EEXIST ? to : from, "rename",
         err == EEXIST ? "already holds another session" : std::strerror(err));
  }
  if (fs::exists(kv_from, ec) && rename_no_replace(kv_from, kv_to) != 0) {
    // The cache is only a cache: without it the session loads, just slower at first.
    std::error_code ignored;
    fs::remove(kv_from, ignored);
  }
}

}  // namespace gptoss::chat

#include "chat/session_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "chat/session_store.h"

namespace gptoss::chat {
namespace {

// The whole file, refused (before any allocation) if it is longer than `limit`.
std::vector<uint8_t> read_capped(const std::string& path, uint64_t limit) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw gptoss::Error(path + ": open: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || static_cast<uint64_t>(st.st_size) > limit) {
    const bool too_big = st.st_size > 0 && static_cast<uint64_t>(st.st_size) > limit;
    const std::string why = too_big ? "larger than any cache of this model (expected at most " +
                                          std::to_string(limit) + " bytes, found " +
                                          std::to_string(st.st_size) + ")"
                                    : std::strerror(errno);
    ::close(fd);
    throw gptoss::Error(path + ": size: " + why);
  }
  std::vector<uint8_t> bytes(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // shorter than fstat said: the engine reports it truncated
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  bytes.resize(done);
  return bytes;
}

}  // namespace

std::string save_session_cache(const ChatSession& session, const std::string& session_path) {
  const std::string path = kv_cache_path(session_path);
  try {
    if (session.backend().info().remote) return "";
    const std::string bytes = session.backend().export_cache(session.resume_prompt());
    if (bytes.empty()) {
      std::error_code ec;
      std::filesystem::remove(path, ec);  // an older cache would only be refused when loaded
      return "";
    }
    write_file_atomically(path, bytes);
    return "";
  } catch (const gptoss::Error& e) {
    return std::string("KV cache not saved (") + e.what() + "); the session will be prefilled when loaded";
  }
}

CacheRestore restore_session_cache(ChatSession& session, const std::string& session_path) {
  const std::string path = kv_cache_path(session_path);
  CacheRestore result;
  std::error_code ec;
  if (session.backend().info().remote || !std::filesystem::exists(path, ec)) return result;
  try {
    Backend& backend = session.backend();
    const int context = session.settings().context_tokens;
    const uint64_t limit = backend.cache_file_limit(context);
    if (limit == 0) return result;
    const std::vector<uint8_t> bytes = read_capped(path, limit);
    result.tokens = backend.import_cache(bytes, session.resume_prompt(), context, path);
  } catch (const gptoss::Error& e) {
    result.notice = std::string("KV cache not used (") + e.what() + "); the conversation will be prefilled";
  }
  return result;
}

}  // namespace gptoss::chat

#include "ui/external_editor.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

namespace gptoss::ui {

std::string editor_command(const EnvLookup& env) {
  for (const char* name : {"VISUAL", "EDITOR"}) {
    std::optional<std::string> v = env(name);
    if (v && v->find_first_not_of(" \t") != std::string::npos) return *v;
  }
  return "vi";
}

namespace {

// Runs `command "$1"` with $1 = path; returns the wait status, or -1 if no child could start.
int run_editor(const std::string& command, const std::string& path) {
  const std::string script = command + " \"$1\"";
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", script.c_str(), "sh", path.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return status;
}

}  // namespace

EditorOutcome edit_in_editor(const std::string& command, const std::string& draft) {
  EditorOutcome out;
  const char* tmp = std::getenv("TMPDIR");
  std::string path = std::string(tmp && *tmp ? tmp : "/tmp") + "/gpt-oss-chat-draft-XXXXXX.md";
  std::string buf = path;
  const int fd = ::mkstemps(buf.data(), 3);  // created 0600: a draft is as private as the history
  if (fd < 0) {
    out.error = path + ": cannot create the draft file for the editor: " + std::strerror(errno);
    return out;
  }
  path = buf;
  const std::string body = draft.empty() || draft.back() == '\n' ? draft : draft + "\n";
  const bool written = ::write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size());
  ::close(fd);
  if (!written) {
    ::unlink(path.c_str());
    out.error = path + ": cannot write the draft for the editor";
    return out;
  }
  const int status = run_editor(command, path);
  if (status == -1) {
    out.error = "cannot start the editor '" + command + "': " + std::strerror(errno);
  } else if (WIFSIGNALED(status)) {
    out.error = "the editor '" + command + "' was killed by signal " + std::to_string(WTERMSIG(status));
  } else if (WEXITSTATUS(status) == 127) {
    out.error = "editor '" + command + "' not found (set $VISUAL or $EDITOR)";
  } else if (WEXITSTATUS(status) != 0) {
    out.error = "the editor '" + command + "' exited with status " + std::to_string(WEXITSTATUS(status));
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      out.error = path + ": the editor left no file to read back";
    } else {
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (!text.empty() && text.back() == '\n') text.pop_back();
      out.text = std::move(text);
    }
  }
  ::unlink(path.c_str());
  return out;
}

}  // namespace gptoss::ui

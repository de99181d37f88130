// What every tmux end-to-end test needs besides its fixture: run a shell command and read its
// output, quote a word for the shell, split a screen capture into rows, and measure a row in
// terminal cells (wide characters count two).
#pragma once

#include <wchar.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

namespace gptoss::e2e {

// The command's standard output ("" if it could not start).
inline std::string run(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

// s in single quotes for sh, embedded quotes escaped.
inline std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

inline std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> lines;
  std::istringstream in(s);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

// Terminal cells `line` takes in the current (UTF-8) locale; -1 if it is not valid UTF-8.
inline int cells(const std::string& line) {
  std::vector<wchar_t> wide(line.size() + 1);
  size_t n = std::mbstowcs(wide.data(), line.c_str(), wide.size());
  if (n == static_cast<size_t>(-1)) return -1;
  int w = ::wcswidth(wide.data(), n);
  return w < 0 ? static_cast<int>(n) : w;
}

}  // namespace gptoss::e2e

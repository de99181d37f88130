#include "ui/attach_file.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "tokenizer/utf8.h"

namespace gptoss::ui {

FileRead read_text_file(const std::string& path, size_t max_bytes) {
  namespace fs = std::filesystem;
  FileRead out;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) {
    out.error = path + ": no such file";
    return out;
  }
  if (!fs::is_regular_file(st)) {
    out.error = path + ": not a regular file (a directory or device cannot be attached)";
    return out;
  }
  const uintmax_t size = fs::file_size(path, ec);
  if (!ec && size > max_bytes) {
    out.error = path + ": too big to attach (" + std::to_string(size) + " bytes; at most " +
                std::to_string(max_bytes) + ")";
    return out;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    out.error = path + ": cannot read: " + std::strerror(errno);
    return out;
  }
  std::string text;
  text.resize(max_bytes + 1);  // a file that grew since the size check is still capped
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > max_bytes) {
    out.error = path + ": too big to attach (more than " + std::to_string(max_bytes) + " bytes)";
    return out;
  }
  if (size_t nul = text.find('\0'); nul != std::string::npos) {
    out.error =
        path + ": byte " + std::to_string(nul) + ": a binary file (NUL byte); only text can be attached";
    return out;
  }
  if (size_t bad = tokenizer::first_invalid_utf8(text); bad != std::string_view::npos) {
    out.error = path + ": byte " + std::to_string(bad) + ": not UTF-8 text; only text can be attached";
    return out;
  }
  out.text = std::move(text);
  return out;
}

std::string fenced_file(std::string_view name, std::string_view contents) {
  size_t longest = 0, run = 0;
  for (char c : contents) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  const std::string fence(std::max<size_t>(3, longest + 1), '`');
  std::string out = fence + std::string(name) + "\n" + std::string(contents);
  if (!contents.empty() && contents.back() != '\n') out += '\n';
  return out + fence;
}

std::vector<FileMention> find_file_mentions(std::string_view message, const std::string& home,
                                            const std::function<bool(const std::string&)>& is_file) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  std::vector<FileMention> out;
  for (size_t i = 0; i < message.size(); ++i) {
    if (message[i] != '@' || (i > 0 && !blank(message[i - 1]))) continue;
    size_t end = i + 1;
    while (end < message.size() && !blank(message[end])) ++end;
    std::string word(message.substr(i + 1, end - i - 1));
    for (;;) {
      if (word.empty()) break;
      std::string path = word.starts_with("~/") && !home.empty() ? home + word.substr(1) : word;
      if (is_file(path)) {
        out.push_back({path});
        break;
      }
      if (std::string_view(".,;:!?)").find(word.back()) == std::string_view::npos) break;
      word.pop_back();
    }
    i = end;
  }
  return out;
}

}  // namespace gptoss::ui

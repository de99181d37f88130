#include "ui/code_highlight.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace gptoss::ui {
namespace {

enum class Family { kNone, kC, kPython, kJs, kShell, kRust, kGo };

Family family_of(std::string_view tag) {
  std::string t;
  for (char c : tag.substr(0, tag.find(' ')))
    t += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* n : {"c", "h", "cpp", "c++", "cc", "cxx", "hpp", "objc"}) {
    if (t == n) return Family::kC;
  }
  for (const char* n : {"python", "py", "python3"}) {
    if (t == n) return Family::kPython;
  }
  for (const char* n : {"js", "javascript", "jsx", "ts", "typescript", "tsx", "mjs"}) {
    if (t == n) return Family::kJs;
  }
  for (const char* n : {"sh", "bash", "shell", "zsh", "console"}) {
    if (t == n) return Family::kShell;
  }
  if (t == "rust" || t == "rs") return Family::kRust;
  if (t == "go" || t == "golang") return Family::kGo;
  return Family::kNone;
}

bool is_keyword(Family f, std::string_view w) {
  static constexpr std::string_view kC[] = {
      "auto",     "bool",    "break",    "case",      "char",    "class", "const",    "constexpr", "continue",
      "default",  "delete",  "do",       "double",    "else",    "enum",  "extern",   "false",     "float",
      "for",      "goto",    "if",       "include",   "inline",  "int",   "long",     "namespace", "new",
      "nullptr",  "private", "public",   "protected", "return",  "short", "signed",   "sizeof",    "static",
      "struct",   "switch",  "template", "this",      "throw",   "true",  "try",      "catch",     "typedef",
      "typename", "union",   "unsigned", "using",     "virtual", "void",  "volatile", "while",     "define"};
  static constexpr std::string_view kPython[] = {
      "False", "None",     "True",  "and",    "as",   "assert", "async",  "await",    "break",
      "class", "continue", "def",   "del",    "elif", "else",   "except", "finally",  "for",
      "from",  "global",   "if",    "import", "in",   "is",     "lambda", "nonlocal", "not",
      "or",    "pass",     "raise", "return", "try",  "while",  "with",   "yield",    "self"};
  static constexpr std::string_view kJs[] = {
      "async",     "await",  "break",  "case",       "catch",     "class", "const",   "continue", "default",
      "delete",    "do",     "else",   "export",     "extends",   "false", "finally", "for",      "function",
      "if",        "import", "in",     "instanceof", "interface", "let",   "new",     "null",     "return",
      "static",    "super",  "switch", "this",       "throw",     "true",  "try",     "type",     "typeof",
      "undefined", "var",    "void",   "while",      "yield",     "from",  "of"};
  static constexpr std::string_view kShell[] = {
      "if",    "then", "else", "elif", "fi",       "for",    "while",   "until",  "do",
      "done",  "case", "esac", "in",   "function", "return", "local",   "export", "set",
      "unset", "echo", "cd",   "exit", "sudo",     "source", "readonly"};
  static constexpr std::string_view kRust[] = {
      "as",    "async",  "await",  "break", "const", "continue", "crate", "dyn",    "else",
      "enum",  "extern", "false",  "fn",    "for",   "if",       "impl",  "in",     "let",
      "loop",  "match",  "mod",    "move",  "mut",   "pub",      "ref",   "return", "self",
      "Self",  "static", "struct", "super", "trait", "true",     "type",  "unsafe", "use",
      "where", "while",  "Some",   "None",  "Ok",    "Err"};
  static constexpr std::string_view kGo[] = {
      "break",       "case",    "chan",  "const",  "continue", "default", "defer",  "else",
      "fallthrough", "for",     "func",  "go",     "goto",     "if",      "import", "interface",
      "map",         "package", "range", "return", "select",   "struct",  "switch", "type",
      "var",         "nil",     "true",  "false",  "err"};
  auto in = [&](const auto& list) {
    return std::find(std::begin(list), std::end(list), w) != std::end(list);
  };
  switch (f) {
    case Family::kC:
      return in(kC);
    case Family::kPython:
      return in(kPython);
    case Family::kJs:
      return in(kJs);
    case Family::kShell:
      return in(kShell);
    case Family::kRust:
      return in(kRust);
    case Family::kGo:
      return in(kGo);
    case Family::kNone:
      return false;
  }
  return false;
}

bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || (c & 0x80); }

void push(std::vector<Span>& out, std::string_view text, Role role) {
  if (text.empty()) return;
  if (!out.empty() && out.back().style.role == role) {
    out.back().text += text;
  } else {
    out.push_back({std::string(text), Style{role}});
  }
}

// The end of the string literal opened by line[i] (past its closing quote, or the line's end).
size_t string_end(std::string_view line, size_t i) {
  const char q = line[i];
  for (size_t j = i + 1; j < line.size(); ++j) {
    if (line[j] == '\\' && q != '`') {
      ++j;
    } else if (line[j] == q) {
      return j + 1;
    }
  }
  return line.size();
}

}  // namespace

std::vector<Span> highlight_code(std::string_view line, std::string_view lang) {
  const Family f = family_of(lang);
  std::vector<Span> out;
  if (f == Family::kNone) {
    push(out, line, Role::kCodeBlock);
    if (out.empty()) out.push_back({"", Style{Role::kCodeBlock}});
    return out;
  }
  const bool hash_comments = f == Family::kPython || f == Family::kShell;
  size_t i = 0;
  while (i < line.size()) {
    const char c = line[i];
    const std::string_view rest = line.substr(i);
    if ((!hash_comments && rest.starts_with("//")) ||
        (hash_comments && c == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t'))) {
      push(out, rest, Role::kCodeComment);
      break;
    }
    if (!hash_comments && rest.starts_with("/*")) {
      const size_t close = line.find("*/", i + 2);
      const size_t end = close == std::string_view::npos ? line.size() : close + 2;
      push(out, line.substr(i, end - i), Role::kCodeComment);
      i = end;
      continue;
    }
    const bool quote =
        c == '"' || (c == '\'' && f != Family::kRust) || (c == '`' && (f == Family::kJs || f == Family::kGo));
    // Rust: 'x' and '\n' are characters; 'a in <'a> is a lifetime, not a string.
    const bool rust_char = f == Family::kRust && c == '\'' && string_end(line, i) <= i + 4 &&
                           string_end(line, i) < line.size() + 1 && string_end(line, i) > i + 2 &&
                           line[string_end(line, i) - 1] == '\'';
    if (quote || rust_char) {
      const size_t end = string_end(line, i);
      push(out, line.substr(i, end - i), Role::kCodeString);
      i = end;
      continue;
    }
    if (word_char(c)) {
      size_t end = i;
      while (end < line.size() && word_char(line[end])) ++end;
      const std::string_view word = line.substr(i, end - i);
      push(out, word, is_keyword(f, word) ? Role::kCodeKeyword : Role::kCodeBlock);
      i = end;
      continue;
    }
    push(out, line.substr(i, 1), Role::kCodeBlock);
    ++i;
  }
  if (out.empty()) out.push_back({"", Style{Role::kCodeBlock}});
  return out;
}

}  // namespace gptoss::ui

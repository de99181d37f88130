// Syntax colour: what each language calls a keyword, a string and a comment, line by line; the
// spans always give the line back whole.
#include "ui/code_highlight.h"

#include <gtest/gtest.h>

#include <string>

namespace gptoss::ui {
namespace {

// "k:def| |f..." : each span as role letter and text, to compare in one line.
std::string roles(const std::vector<Span>& spans) {
  std::string out;
  for (const Span& s : spans) {
    char r = s.style.role == Role::kCodeKeyword   ? 'k'
             : s.style.role == Role::kCodeString  ? 's'
             : s.style.role == Role::kCodeComment ? 'c'
             : s.style.role == Role::kCodeBlock   ? '.'
                                                  : '?';
    out += std::string(1, r) + ":" + s.text + "|";
  }
  return out;
}

TEST(CodeHighlight, Python) {
  EXPECT_EQ(roles(highlight_code("def f(x): return 'a#b'  # note", "python")),
            "k:def|.: f(x): |k:return|.: |s:'a#b'|.:  |c:# note|");
}

TEST(CodeHighlight, CFamilyAndComments) {
  EXPECT_EQ(roles(highlight_code("int n = 0; /* x */ // \"no\"", "cpp")),
            "k:int|.: n = 0; |c:/* x */|.: |c:// \"no\"|");
  EXPECT_EQ(roles(highlight_code("printf(\"a\\\"b\");", "C")), ".:printf(|s:\"a\\\"b\"|.:);|");
  EXPECT_EQ(roles(highlight_code("interval = 1", "c")), ".:interval = 1|") << "keywords are whole words";
}

TEST(CodeHighlight, ShellJsRustGo) {
  EXPECT_EQ(roles(highlight_code("if [ -f a#b ]; then echo \"$x\"; fi", "sh")),
            "k:if|.: [ -f a#b ]; |k:then|.: |k:echo|.: |s:\"$x\"|.:; |k:fi|");
  EXPECT_EQ(roles(highlight_code("const s = `t`;", "js")), "k:const|.: s = |s:`t`|.:;|");
  EXPECT_EQ(roles(highlight_code("fn f<'a>(c: char) -> bool { c == 'x' }", "rust")),
            "k:fn|.: f<'a>(c: char) -> bool { c == |s:'x'|.: }|");
  EXPECT_EQ(roles(highlight_code("func main() { return nil }", "go")),
            "k:func|.: main() { |k:return|.: |k:nil|.: }|");
}

TEST(CodeHighlight, OtherLanguagesArePlain) {
  EXPECT_EQ(roles(highlight_code("if x then y", "")), ".:if x then y|");
  EXPECT_EQ(roles(highlight_code("SELECT 1 -- if", "sql")), ".:SELECT 1 -- if|");
}

}  // namespace
}  // namespace gptoss::ui

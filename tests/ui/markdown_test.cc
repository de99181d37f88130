// Markdown spans: markers become styles, unclosed ones stay literal, code blocks are preformatted.
#include "ui/markdown.h"

#include <gtest/gtest.h>

#include "ui/transcript.h"

namespace gptoss::ui {
namespace {

std::string joined(const std::vector<Span>& spans) {
  std::string s;
  for (const Span& sp : spans) s += sp.text;
  return s;
}

TEST(MarkdownInline, BoldItalicCode) {
  auto spans = parse_inline("a **b** *c* `d` e", Style{});
  ASSERT_EQ(spans.size(), 7u);
  EXPECT_EQ(spans[0].text, "a ");
  EXPECT_EQ(spans[1].text, "b");
  EXPECT_TRUE(spans[1].style.bold);
  EXPECT_FALSE(spans[1].style.italic);
  EXPECT_EQ(spans[3].text, "c");
  EXPECT_TRUE(spans[3].style.italic);
  EXPECT_EQ(spans[5].text, "d");
  EXPECT_EQ(spans[5].style.role, Role::kCode);
  EXPECT_EQ(spans[6].text, " e");
}

TEST(MarkdownInline, NestedEmphasis) {
  auto spans = parse_inline("**bold *both* bold**", Style{});
  ASSERT_EQ(spans.size(), 3u);
  EXPECT_TRUE(spans[0].style.bold);
  EXPECT_TRUE(spans[1].style.bold && spans[1].style.italic);
  EXPECT_EQ(spans[1].text, "both");
}

TEST(MarkdownInline, UnclosedMarkersStayLiteral) {
  auto spans = parse_inline("2 * 3 = 6 and **half", Style{});
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].text, "2 * 3 = 6 and **half");
  spans = parse_inline("a `tick", Style{});
  EXPECT_EQ(joined(spans), "a `tick");
}

TEST(MarkdownInline, SnakeCaseKeepsUnderscores) {
  auto spans = parse_inline("call my_func_name now", Style{});
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].text, "call my_func_name now");
  spans = parse_inline("_it_ works", Style{});
  EXPECT_TRUE(spans[0].style.italic);
}

TEST(MarkdownInline, CodeHidesOtherMarkers) {
  auto spans = parse_inline("`**not bold**`", Style{});
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].text, "**not bold**");
  EXPECT_EQ(spans[0].style.role, Role::kCode);
  EXPECT_FALSE(spans[0].style.bold);
}

TEST(MarkdownBlocks, HeadingsListsQuotesRules) {
  auto lines = render_markdown("# Title ##\n- item *one*\n  2. sub\n> quoted\n---\nplain");
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[0].spans[0].text, "Title");
  EXPECT_EQ(lines[0].spans[0].style.role, Role::kHeading);
  EXPECT_EQ(lines[1].spans[0].text, "\u2022 ");
  EXPECT_EQ(lines[1].spans[0].style.role, Role::kBullet);
  EXPECT_EQ(lines[1].hang, 2);
  EXPECT_TRUE(lines[1].spans[2].style.italic);
  EXPECT_EQ(lines[2].spans[0].text, "  2. ");
  EXPECT_EQ(lines[2].hang, 5);
  EXPECT_EQ(lines[3].spans[0].style.role, Role::kQuote);
  EXPECT_EQ(joined(lines[3].spans), "\u2502 quoted");
  EXPECT_TRUE(lines[4].rule);
  EXPECT_EQ(joined(lines[5].spans), "plain");
}

TEST(MarkdownBlocks, FencedCodeIsPreformatted) {
  auto lines = render_markdown("before\n```python\ndef f():\n\treturn **x**\n```\nafter");
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_TRUE(lines[1].code);
  EXPECT_EQ(lines[1].spans[0].text, "python");
  EXPECT_EQ(lines[1].spans[0].style.role, Role::kCodeFence);
  EXPECT_TRUE(lines[2].code);
  EXPECT_EQ(joined(lines[2].spans), "def f():");
  EXPECT_EQ(joined(lines[3].spans), "    return **x**");  // tab expanded, no emphasis
  for (const Span& s : lines[3].spans) EXPECT_FALSE(s.style.bold || s.style.italic) << s.text;
  EXPECT_EQ(lines[3].spans[0].style.role, Role::kCodeBlock);
  EXPECT_FALSE(lines[4].code);
  EXPECT_EQ(joined(lines[4].spans), "after");
}

TEST(MarkdownBlocks, UnterminatedFenceWhileStreaming) {
  auto lines = render_markdown("```\nx = 1\n");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_TRUE(lines[1].code);
  EXPECT_TRUE(lines[2].code);  // the empty line after is still inside the block
}

TEST(MarkdownBlocks, NotAHeadingWithoutSpace) {
  auto lines = render_markdown("#hashtag");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].spans[0].style.role, Role::kText);
  EXPECT_EQ(lines[0].spans[0].text, "#hashtag");
}

// /copy code takes the blocks as written: the language tag apart, lines whole, fences of any
// length, and a block the reply never closed.
TEST(MarkdownCodeBlocks, FencedBlocksInOrder) {
  auto blocks =
      fenced_code_blocks("Intro\n```python \nprint(1)\n  x = 2\n```\ntext\n~~~~\n```\n~~~~\n```sh\nls -l");
  ASSERT_EQ(blocks.size(), 3u);
  EXPECT_EQ(blocks[0].lang, "python");
  EXPECT_EQ(blocks[0].code, "print(1)\n  x = 2\n");
  EXPECT_EQ(blocks[1].lang, "");
  EXPECT_EQ(blocks[1].code, "```\n");
  EXPECT_EQ(blocks[2].lang, "sh");
  EXPECT_EQ(blocks[2].code, "ls -l\n");
  EXPECT_TRUE(fenced_code_blocks("no code `here`").empty());
}

// Tables: columns as wide as their widest cell, aligned as the delimiter row says, the header
// underlined; inline markup inside cells; pipes in code or escaped are text.
TEST(MarkdownTables, AlignedColumns) {
  auto lines = render_markdown("| a | bb |\n|---|--:|\n| **ccc** | d |\n| `x|y` | \\| |\nafter");
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(joined(lines[0].spans), "a   \u2502 bb");
  EXPECT_TRUE(lines[0].spans[0].style.bold) << "the header is bold";
  EXPECT_EQ(joined(lines[1].spans), "\u2500\u2500\u2500\u2500\u253C\u2500\u2500\u2500");
  EXPECT_EQ(joined(lines[2].spans), "ccc \u2502  d");  // bold markers gone; d right-aligned
  EXPECT_EQ(joined(lines[3].spans), "x|y \u2502  |");
  EXPECT_EQ(joined(lines[4].spans), "after");
}

TEST(MarkdownTables, CentredAndWideCells) {
  ASSERT_TRUE(ensure_utf8_locale()) << "cells are measured with wcwidth";
  auto lines = render_markdown("x | y\n:-:|-\n\u4f60\u597d\u4f60 | 1");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(joined(lines[0].spans), "  x    \u2502 y");  // CJK cell: 6 cells wide
  EXPECT_EQ(joined(lines[2].spans), "\u4f60\u597d\u4f60 \u2502 1");
}

TEST(MarkdownTables, NotATableWithoutDelimiterRow) {
  auto lines = render_markdown("a | b\nc | d");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(joined(lines[0].spans), "a | b");
}

}  // namespace
}  // namespace gptoss::ui

// The pre-tokenizer against pieces worked out by hand from the regex's rules (leftmost-first
// alternation, greedy quantifiers with backtracking, the (?!\S) lookahead, \s = Unicode
// White_Space, case-insensitive contractions), and its whitespace set against PropList.txt.
#include "tokenizer/pretokenize.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tokenizer/unicode16_delta.h"
#include "tokenizer/utf8_reference.h"

namespace gptoss::tokenizer {
namespace {

std::vector<std::string> pieces(const Pretokenizer& p, std::string_view text) {
  std::vector<std::string> out;
  p.split(text, [&](std::string_view piece) { out.emplace_back(piece); });
  return out;
}

// A code point's UTF-8 bytes: the independent encoder of utf8_reference.h.
std::string utf8(char32_t c) { return testing::encode_scalar(c); }

using Pieces = std::vector<std::string>;

class PretokenizeTest : public ::testing::Test {
 protected:
  Pretokenizer p;
};

TEST_F(PretokenizeTest, WordsTakeTheirLeadingSpace) {
  EXPECT_EQ(pieces(p, "Hello world"), (Pieces{"Hello", " world"}));
  EXPECT_EQ(pieces(p, ""), Pieces{});
}

TEST_F(PretokenizeTest, LookaheadLeavesOneSpaceForTheNextWord) {
  // \s+(?!\S) backtracks one space so that " b" keeps its space; branch 6 wins over the longer
  // branch 7 because alternation is leftmost-first.
  EXPECT_EQ(pieces(p, "a   b"), (Pieces{"a", "  ", " b"}));
  EXPECT_EQ(pieces(p, "a\t b"), (Pieces{"a", "\t", " b"}));
  // At the end of the text the lookahead succeeds, so the whole run is one piece.
  EXPECT_EQ(pieces(p, "a   "), (Pieces{"a", "   "}));
}

TEST_F(PretokenizeTest, NewlinesEndAWhitespaceRun) {
  // \s*[\r\n]+ backtracks to the last newline of the run.
  EXPECT_EQ(pieces(p, "x\n\n  y"), (Pieces{"x", "\n\n", " ", " y"}));
  EXPECT_EQ(pieces(p, "x  \n  y"), (Pieces{"x", "  \n", " ", " y"}));
  EXPECT_EQ(pieces(p, "a\r\n"), (Pieces{"a", "\r\n"}));
}

TEST_F(PretokenizeTest, DigitsInGroupsOfThree) {
  EXPECT_EQ(pieces(p, "12345678"), (Pieces{"123", "456", "78"}));
  EXPECT_EQ(pieces(p, "a123"), (Pieces{"a", "123"}));
  EXPECT_EQ(pieces(p, "\u0663\u0664\u0665\u0666"), (Pieces{"\u0663\u0664\u0665", "\u0666"}));  // Arabic-Indic
  EXPECT_EQ(pieces(p, "x\u00B2\u2167"), (Pieces{"x", "\u00B2\u2167"}));  // No and Nl are \p{N}
}

TEST_F(PretokenizeTest, ContractionsAreCaseInsensitive) {
  EXPECT_EQ(pieces(p, "don't"), (Pieces{"don't"}));
  EXPECT_EQ(pieces(p, "DON'T"), (Pieces{"DON'T"}));
  EXPECT_EQ(pieces(p, "You'LL"), (Pieces{"You'LL"}));
  EXPECT_EQ(pieces(p, "we'Re"), (Pieces{"we'Re"}));
  EXPECT_EQ(pieces(p, "I'm"), (Pieces{"I'm"}));
  EXPECT_EQ(pieces(p, "x'D"), (Pieces{"x'D"}));
  EXPECT_EQ(pieces(p, "can't've"), (Pieces{"can't", "'ve"}));
  // Only one suffix is taken; an unknown one is a new piece led by the apostrophe.
  EXPECT_EQ(pieces(p, "it'sn't"), (Pieces{"it's", "n't"}));
  EXPECT_EQ(pieces(p, "o'clock"), (Pieces{"o", "'clock"}));
  // Simple case folding: U+017F LATIN SMALL LETTER LONG S folds to s.
  EXPECT_EQ(pieces(p, "he'\u017F"), (Pieces{"he'\u017F"}));
}

TEST_F(PretokenizeTest, CaseShapesOfWords) {
  EXPECT_EQ(pieces(p, "HelloWorld"), (Pieces{"Hello", "World"}));
  EXPECT_EQ(pieces(p, "HELLOworld"), (Pieces{"HELLOworld"}));
  EXPECT_EQ(pieces(p, "helloWORLD"), (Pieces{"hello", "WORLD"}));
  EXPECT_EQ(pieces(p, "e\u0301t\u00E9"), (Pieces{"e\u0301t\u00E9"}));  // marks join the word
  EXPECT_EQ(pieces(p, "\u01C5a"), (Pieces{"\u01C5a"}));                // Lt leads a word
  EXPECT_EQ(pieces(p, "\u4F60\u597D\u4E16\u754C"), (Pieces{"\u4F60\u597D\u4E16\u754C"}));
}

TEST_F(PretokenizeTest, PunctuationTakesOneSpaceAndTrailingNewlinesOrSlashes) {
  EXPECT_EQ(pieces(p, " !!!"), (Pieces{" !!!"}));
  EXPECT_EQ(pieces(p, "  !!"), (Pieces{" ", " !!"}));
  EXPECT_EQ(pieces(p, "a !!!\n\nb"), (Pieces{"a", " !!!\n\n", "b"}));
  EXPECT_EQ(pieces(p, "x//\ny"), (Pieces{"x", "//\n", "y"}));
  EXPECT_EQ(pieces(p, "hi \U0001F44B\U0001F3FD!"), (Pieces{"hi", " \U0001F44B\U0001F3FD!"}));
  EXPECT_EQ(pieces(p, ".a"), (Pieces{".a"}));  // the optional prefix of a word
}

TEST_F(PretokenizeTest, WhitespaceIsUnicodeWhiteSpaceNotJavaScriptsOrPcresDefault) {
  // White_Space: U+0085 and U+3000 are spaces...
  EXPECT_EQ(pieces(p, "a\u0085\u0085b"), (Pieces{"a", "\u0085", "\u0085b"}));
  EXPECT_EQ(pieces(p, "a\u3000\u3000b"), (Pieces{"a", "\u3000", "\u3000b"}));
  // ...but U+FEFF, U+200B, U+180E and U+001C are not, so a run of them is "punctuation".
  EXPECT_EQ(pieces(p, "a\uFEFF\uFEFFb"), (Pieces{"a", "\uFEFF\uFEFF", "b"}));
  EXPECT_EQ(pieces(p, "a\u200B\u200Bb"), (Pieces{"a", "\u200B\u200B", "b"}));
  EXPECT_EQ(pieces(p, "a\u180E\u180Eb"), (Pieces{"a", "\u180E\u180E", "b"}));
  EXPECT_EQ(pieces(p,
                   "a\x1C\x1C"
                   "b"),
            (Pieces{"a", "\x1C\x1C", "b"}));
}

TEST_F(PretokenizeTest, WhitespaceSetIsExactlyWhiteSpaceOverAllCodePoints) {
  // PropList.txt (Unicode 15), White_Space.
  const auto white_space = [](char32_t c) {
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
           c == 0x3000;
  };
  // For c other than CR/LF, "c c a" splits as [c, "c a"] exactly when c is \s: the run backs off
  // one character for the word. Letters, marks, digits and punctuation split otherwise.
  for (char32_t c = 0; c < 0x110000; ++c) {
    if ((c >= 0xD800 && c < 0xE000) || c == '\r' || c == '\n') continue;
    const std::string ch = utf8(c);
    const bool split_as_space = pieces(p, ch + ch + "a") == Pieces{ch, ch + "a"};
    ASSERT_EQ(split_as_space, white_space(c)) << "U+" << std::hex << uint32_t(c);
  }
}

TEST_F(PretokenizeTest, ClassesFollowUnicode16LikeRustsRegex) {
  // Letters, marks and digits added in Unicode 15.0-16.0, which PCRE2 10.42 (Unicode 14) would
  // treat as unassigned punctuation.
  EXPECT_EQ(pieces(p, "a\U00011F04"), (Pieces{"a\U00011F04"}));  // Kawi letter A, Lo (15.0)
  EXPECT_EQ(pieces(p, "x\U00031350"), (Pieces{"x\U00031350"}));  // CJK extension H, Lo (15.0)
  EXPECT_EQ(pieces(p, "x\U0002EBF0"), (Pieces{"x\U0002EBF0"}));  // CJK extension I, Lo (15.1)
  EXPECT_EQ(pieces(p, "x\U00010D70"), (Pieces{"x\U00010D70"}));  // Garay small letter, Ll (16.0)
  EXPECT_EQ(pieces(p, "a\u0897"), (Pieces{"a\u0897"}));          // Arabic pepper, Mn (16.0)
  // Digits: groups of three, where punctuation would be one run.
  EXPECT_EQ(pieces(p, "\U0001E5F1\U0001E5F2\U0001E5F3\U0001E5F4"),
            (Pieces{"\U0001E5F1\U0001E5F2\U0001E5F3", "\U0001E5F4"}));  // Ol Onal digits, Nd (16.0)
  EXPECT_EQ(pieces(p, "\U0001D2C0\U0001D2C1\U0001D2C2\U0001D2C3"),
            (Pieces{"\U0001D2C0\U0001D2C1\U0001D2C2", "\U0001D2C3"}));  // Kaktovik numerals, No (15.0)
  // Still unassigned in Unicode 16: punctuation-like, so it joins neither word nor digits.
  EXPECT_EQ(pieces(p, "a\U0001E5FB\U0001E5FC"), (Pieces{"a", "\U0001E5FB\U0001E5FC"}));
}

TEST_F(PretokenizeTest, Unicode16StandInTableIsSortedAndKeepsLengths) {
  uint32_t previous_last = 0;
  for (const Unicode16StandIn& r : kUnicode16StandIns) {
    EXPECT_LE(r.first, r.last);
    EXPECT_GT(r.first, previous_last);
    previous_last = r.last;
    EXPECT_EQ(utf8(r.first).size(), utf8(r.stand_in).size()) << std::hex << r.first;
    EXPECT_EQ(utf8(r.last).size(), utf8(r.stand_in).size()) << std::hex << r.last;
    EXPECT_EQ(unicode16_stand_in(r.first), r.stand_in);
    EXPECT_EQ(unicode16_stand_in(r.last), r.stand_in);
    EXPECT_EQ(unicode16_stand_in(r.stand_in), 0u);  // stand-ins are classified right already
  }
  EXPECT_EQ(with_unicode16_stand_ins("plain text \u4E2D\u6587 \U0001F600"), std::nullopt);
  const std::string text = "a\U00011F04b";
  const auto replaced = with_unicode16_stand_ins(text);
  ASSERT_TRUE(replaced.has_value());
  std::string expected = "a";
  expected += utf8(unicode16_stand_in(0x11F04));
  expected += 'b';
  EXPECT_EQ(*replaced, expected);
}

TEST_F(PretokenizeTest, PiecesAreCutFromTheOriginalText) {
  // The matcher sees stand-ins, but the pieces handed out are the caller's bytes.
  const std::string text = "x\U00031350 \U0001E5F1\U0001E5F2 \u0897!";
  std::string joined;
  for (const auto& piece : pieces(p, text)) joined += piece;
  EXPECT_EQ(joined, text);
}

TEST_F(PretokenizeTest, PiecesTileTheText) {
  const std::string text =
      "The 2024 \u00FCber-caf\u00E9's\t\tmenu:\r\n  \u4E2D\u6587 \U0001F600\U0001F600 42!!\n";
  std::string joined;
  for (const auto& piece : pieces(p, text)) joined += piece;
  EXPECT_EQ(joined, text);
}

TEST_F(PretokenizeTest, JitIsUsedOnThisMachine) {
  // Not required for correctness, but the benchmark figures assume it; x86-64 supports it.
#if defined(__x86_64__)
  EXPECT_TRUE(p.jit_enabled());
#endif
}

}  // namespace
}  // namespace gptoss::tokenizer

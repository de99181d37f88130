// The key decoder: our keys are taken out, readline gets whole keys, pastes keep their newlines
// even when they arrive in pieces.
#include "ui/keys.h"

#include <gtest/gtest.h>

namespace gptoss::ui {
namespace {

TEST(Keys, TypingGoesToReadline) {
  KeyDecoder d;
  auto keys = d.feed("hi\x1b[Dx\r");
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].kind, KeyKind::kReadline);
  EXPECT_EQ(keys[0].text, "hi\x1b[Dx\r");
}

TEST(Keys, OurKeysAreTakenOut) {
  KeyDecoder d;
  auto keys = d.feed("a\x1b[5~\x1b[6~\x03\x14\x1b[1;5H\x1b\rb");
  ASSERT_EQ(keys.size(), 8u);
  EXPECT_EQ(keys[0].text, "a");
  EXPECT_EQ(keys[1].kind, KeyKind::kPageUp);
  EXPECT_EQ(keys[2].kind, KeyKind::kPageDown);
  EXPECT_EQ(keys[3].kind, KeyKind::kInterrupt);
  EXPECT_EQ(keys[4].kind, KeyKind::kToggleReasoning);
  EXPECT_EQ(keys[5].kind, KeyKind::kTop);
  EXPECT_EQ(keys[6].kind, KeyKind::kNewline);
  EXPECT_EQ(keys[7].text, "b");
}

TEST(Keys, ControlKeysOfTheChat) {
  KeyDecoder d;
  auto keys = d.feed("\x0c\x1a\x01");
  ASSERT_EQ(keys.size(), 3u);
  EXPECT_EQ(keys[0].kind, KeyKind::kRedraw);
  EXPECT_EQ(keys[1].kind, KeyKind::kSuspend);
  EXPECT_EQ(keys[2].kind, KeyKind::kReadline);  // Ctrl-A stays readline's
}

TEST(Keys, SplitEscapeSequenceWaits) {
  KeyDecoder d;
  EXPECT_TRUE(d.feed("\x1b[").empty());
  EXPECT_TRUE(d.pending());
  auto keys = d.feed("5~");
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].kind, KeyKind::kPageUp);
}

TEST(Keys, LoneEscapeIsFlushed) {
  KeyDecoder d;
  EXPECT_TRUE(d.feed("\x1b").empty());
  auto keys = d.flush();
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].text, "\x1b");
  EXPECT_FALSE(d.pending());
}

TEST(Keys, SplitUtf8CharacterWaits) {
  KeyDecoder d;
  EXPECT_TRUE(d.feed("\xe4\xbd").empty());
  auto keys = d.feed("\xa0!");
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].text, "\xe4\xbd\xa0!");
}

TEST(Keys, BracketedPasteKeepsNewlinesAcrossReads) {
  KeyDecoder d;
  EXPECT_TRUE(d.feed("\x1b[200~line one\r\nline").empty());
  EXPECT_TRUE(d.feed(" two\x03\x1b[20").empty());  // Ctrl-C inside a paste is text, not a key
  auto keys = d.feed("1~z");
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].kind, KeyKind::kPaste);
  EXPECT_EQ(keys[0].text, "line one\nline two\x03");
  EXPECT_EQ(keys[1].text, "z");
}

TEST(Keys, MouseWheel) {
  KeyDecoder d;
  auto keys = d.feed("\x1b[<64;10;5M\x1b[<65;10;5M\x1b[<0;1;1M\x1b[M`!!");
  ASSERT_EQ(keys.size(), 3u);
  EXPECT_EQ(keys[0].kind, KeyKind::kWheelUp);
  EXPECT_EQ(keys[1].kind, KeyKind::kWheelDown);  // the click in between is dropped
  EXPECT_EQ(keys[2].kind, KeyKind::kWheelUp);    // X10 encoding: 96 - 32 = 64
}

TEST(Keys, HomeEndVariants) {
  KeyDecoder d;
  auto keys = d.feed("\x1b[H\x1bOF\x1b[1~\x1b[4~");
  ASSERT_EQ(keys.size(), 4u);
  EXPECT_EQ(keys[0].kind, KeyKind::kHome);
  EXPECT_EQ(keys[1].kind, KeyKind::kEnd);
  EXPECT_EQ(keys[2].kind, KeyKind::kHome);
  EXPECT_EQ(keys[3].kind, KeyKind::kEnd);
}

// Ctrl-J is a portable new line (no Alt needed); Enter (\r) still goes to readline to send.
TEST(Keys, CtrlJAddsALine) {
  KeyDecoder d;
  auto keys = d.feed("a\nb\r");
  ASSERT_EQ(keys.size(), 3u);
  EXPECT_EQ(keys[0].text, "a");
  EXPECT_EQ(keys[1].kind, KeyKind::kNewline);
  EXPECT_EQ(keys[2].kind, KeyKind::kReadline);
  EXPECT_EQ(keys[2].text, "b\r");
}

// Ctrl-X Ctrl-E opens the editor; other Ctrl-X chords stay readline's. A lone Ctrl-X waits for
// its second key however long it takes (a person types the chord slower than an escape sequence).
TEST(Keys, CtrlXCtrlEOpensTheEditor) {
  KeyDecoder d;
  auto keys = d.feed("x\x18\x05y");
  ASSERT_EQ(keys.size(), 3u);
  EXPECT_EQ(keys[1].kind, KeyKind::kEditor);
  EXPECT_EQ(keys[2].text, "y");

  keys = d.feed("\x18");
  EXPECT_TRUE(keys.empty());
  EXPECT_FALSE(d.pending()) << "the event loop must not flush a lone Ctrl-X as a timed-out key";
  EXPECT_TRUE(d.flush().empty());
  keys = d.feed("\x05");
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].kind, KeyKind::kEditor);

  keys = d.feed("\x18\x15");  // Ctrl-X Ctrl-U: readline's undo
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].kind, KeyKind::kReadline);
  EXPECT_EQ(keys[0].text, "\x18\x15");
}

}  // namespace
}  // namespace gptoss::ui

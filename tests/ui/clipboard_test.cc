// OSC 52: base64 against RFC 4648's test vectors, and the escape as a terminal and tmux read it.
#include "ui/clipboard.h"

#include <gtest/gtest.h>

namespace gptoss::ui {
namespace {

TEST(Clipboard, Base64MatchesRfc4648Vectors) {  // RFC 4648 section 10
  EXPECT_EQ(base64(""), "");
  EXPECT_EQ(base64("f"), "Zg==");
  EXPECT_EQ(base64("fo"), "Zm8=");
  EXPECT_EQ(base64("foo"), "Zm9v");
  EXPECT_EQ(base64("foob"), "Zm9vYg==");
  EXPECT_EQ(base64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64(std::string_view("\xff\xfe\x00", 3)), "//4A");
}

TEST(Clipboard, Osc52AndTmuxPassthrough) {
  EXPECT_EQ(osc52_copy("hi", false), "\x1b]52;c;aGk=\x07");
  EXPECT_EQ(osc52_copy("hi", true), "\x1bPtmux;\x1b\x1b]52;c;aGk=\x07\x1b\\");
}

}  // namespace
}  // namespace gptoss::ui

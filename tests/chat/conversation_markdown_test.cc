// The Markdown a conversation becomes for `sessions show`, /export and the scrollback on exit.
#include "chat/conversation_markdown.h"

#include <gtest/gtest.h>

namespace gptoss::chat {
namespace {

Conversation sky() {
  Conversation c;
  c.messages.push_back({"user", {}, {}, {}, {}, "why is the sky blue?\n"});
  c.messages.push_back({"assistant", {}, {}, "analysis", {}, "Rayleigh scattering.\nShort waves scatter."});
  c.messages.push_back(
      {"assistant", {}, "functions.lookup", "commentary", "<|constrain|>json", "{\"q\": \"sky\"}"});
  c.messages.push_back({"tool", "functions.lookup", "assistant", "commentary", {}, "blue ```x```"});
  c.messages.push_back({"assistant", {}, {}, "final", {}, "Because of **Rayleigh** scattering."});
  c.messages.push_back({"user", {}, {}, {}, {}, "thanks"});
  return c;
}

TEST(ConversationMarkdownTest, SectionsReasoningAndToolCalls) {
  EXPECT_EQ(
      conversation_markdown(sky(), {.title = "Sky", .instructions = "Be brief.\nUse SI units."}),
      "# Sky\n"
      "\n"
      "> **Instructions**\n>\n> Be brief.\n> Use SI units.\n"
      "\n"
      "## User\n"
      "\n"
      "why is the sky blue?\n"
      "\n"
      "## Assistant\n"
      "\n"
      "<details>\n<summary>Reasoning</summary>\n\nRayleigh scattering.\nShort waves scatter.\n\n</details>\n"
      "\n"
      "Call to `functions.lookup`:\n\n```json\n{\"q\": \"sky\"}\n```\n"
      "\n"
      "Result of `functions.lookup`:\n\n````\nblue ```x```\n````\n"  // a longer fence than the content's
      "\n"
      "Because of **Rayleigh** scattering.\n"
      "\n"
      "## User\n"
      "\n"
      "thanks\n");
}

TEST(ConversationMarkdownTest, QuotedOrOmittedReasoning) {
  const std::string quoted = conversation_markdown(sky(), {.reasoning = ReasoningStyle::kQuoted});
  EXPECT_EQ(quoted.rfind("## User\n", 0), 0u);  // no title, no instructions
  EXPECT_NE(quoted.find("> **Reasoning**\n>\n> Rayleigh scattering.\n> Short waves scatter.\n"),
            std::string::npos)
      << quoted;
  EXPECT_EQ(quoted.find("<details>"), std::string::npos);
  const std::string omitted = conversation_markdown(sky(), {.reasoning = ReasoningStyle::kOmitted});
  EXPECT_EQ(omitted.find("Rayleigh scattering.\n"), std::string::npos) << omitted;
  EXPECT_NE(omitted.find("Because of **Rayleigh** scattering."), std::string::npos);
}

TEST(ConversationMarkdownTest, FenceOutgrowsTheContent) {
  EXPECT_EQ(code_fence_for("plain"), "```");
  EXPECT_EQ(code_fence_for("a ```` b ` c"), "`````");
}

}  // namespace
}  // namespace gptoss::chat

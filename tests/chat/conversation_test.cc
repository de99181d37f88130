// The section 9 JSON shape: every vector conversation survives from_json -> to_json unchanged
// (key order included), and bad input names the JSON path at fault.
#include "chat/conversation.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "chat/harmony_vectors.h"

namespace gptoss::chat {
namespace {

std::string error_of(const ordered_json& j) {
  try {
    conversation_from_json(j);
  } catch (const ConversationError& e) {
    return e.what();
  }
  return "(no error)";
}

// `levels` object schemas nested through "properties", around a string schema: levels + 1 schema
// levels, 2 * levels + 1 JSON levels.
std::string nested_schema(int levels) {
  std::string deep;
  for (int i = 0; i < levels; ++i) deep += R"({"type": "object", "properties": {"a": )";
  deep += R"({"type": "string"})";
  for (int i = 0; i < levels; ++i) deep += "}}";
  return deep;
}

// A conversation whose developer message declares one function with `schema` as parameters.
ordered_json tools_with_schema(const std::string& schema) {
  return ordered_json::parse(R"({"developer": {"function_tools": [{"name": "f", "parameters": )" + schema +
                             "}]}}");
}

TEST(ConversationJson, VectorConversationsRoundTripExactly) {
  auto cases = harmony_vectors("render.jsonl");
  ASSERT_EQ(cases.size(), 25u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const ordered_json& j = c.json["conversation"];
    ordered_json back = conversation_to_json(conversation_from_json(j));
    EXPECT_EQ(back.dump(), j.dump());  // dump() compares key order too
  }
}

TEST(ConversationJson, ParameterKeyOrderIsKept) {
  auto j = ordered_json::parse(R"({"developer": {"instructions": null, "function_tools": [
      {"name": "f", "description": "d", "parameters": {"type": "object",
       "properties": {"zeta": {"type": "string"}, "alpha": {"type": "number"}}}}]}})");
  Conversation c = conversation_from_json(j);
  const ordered_json& props = (*c.developer->function_tools)[0].parameters->at("properties");
  EXPECT_EQ(props.begin().key(), "zeta");
  EXPECT_EQ(std::next(props.begin()).key(), "alpha");
}

TEST(ConversationJson, NullAndAbsentAreNotSet) {
  Conversation c = conversation_from_json(ordered_json::parse(
      R"({"system": {"model_identity": null}, "messages": [{"role": "user", "content": "hi"}]})"));
  ASSERT_TRUE(c.system.has_value());
  EXPECT_FALSE(c.system->model_identity.has_value());
  EXPECT_FALSE(c.system->reasoning_effort.has_value());
  EXPECT_FALSE(c.system->channel_config.has_value());
  EXPECT_FALSE(c.developer.has_value());
  ASSERT_EQ(c.messages.size(), 1u);
  EXPECT_FALSE(c.messages[0].name.has_value());
  EXPECT_FALSE(c.messages[0].channel.has_value());
  EXPECT_EQ(c.messages[0].content, "hi");
  // to_json writes every field, null when not set
  ordered_json m = message_to_json(c.messages[0]);
  EXPECT_EQ(
      m.dump(),
      R"({"role":"user","name":null,"recipient":null,"channel":null,"content_type":null,"content":"hi"})");
}

TEST(ConversationJson, ErrorsNameTheJsonPath) {
  EXPECT_EQ(error_of(ordered_json::parse(R"({"messages": [{"role": "user", "content": "a"}, {"role": 3}]})")),
            "conversation.messages[1].role: expected a string (found number)");
  EXPECT_EQ(
      error_of(ordered_json::parse(R"({"messages": [{"role": "bot", "content": "a"}]})")),
      "conversation.messages[0].role: expected one of user|assistant|tool|system|developer (found \"bot\")");
  EXPECT_EQ(error_of(ordered_json::parse(R"({"system": {"reasoning_effort": "extreme"}})")),
            "conversation.system.reasoning_effort: expected low|medium|high (found \"extreme\")");
  EXPECT_EQ(error_of(ordered_json::parse(R"({"system": {"reasoning_efort": "low"}})")),
            "conversation.system.reasoning_efort: unknown field");
  // A schema nested 10000 JSON levels deep is refused, not copied and rendered until the stack
  // overflows.
  EXPECT_EQ(error_of(tools_with_schema(nested_schema(5000))),
            "conversation.developer.function_tools[0].parameters: nested too deeply (expected at most 256 "
            "JSON levels, found 10001)");
  // The schema limit counts schemas, not JSON containers: each level here is an object and its
  // "properties" (two containers), so 100 schema levels are 199 JSON levels, still accepted.
  EXPECT_EQ(error_of(tools_with_schema(nested_schema(49))), "(no error)");
  EXPECT_EQ(error_of(tools_with_schema(nested_schema(99))), "(no error)");
  EXPECT_EQ(error_of(tools_with_schema(nested_schema(100))),
            "conversation.developer.function_tools[0].parameters: nested too deeply (expected at most 100 "
            "schema levels, found 101)");
  // Data inside a schema ("enum", "default") is not a schema level.
  EXPECT_EQ(error_of(tools_with_schema(R"({"type": "array", "items": {"enum": [[[[[[1]]]]]]}})")),
            "(no error)");
  // Text from the file is escaped, so the message stays on one line.
  EXPECT_EQ(error_of(ordered_json::parse(R"({"messages": [{"role": "bot\nx", "content": "a"}]})")),
            "conversation.messages[0].role: expected one of user|assistant|tool|system|developer (found "
            "\"bot\\nx\")");
  EXPECT_EQ(error_of(ordered_json::parse(R"({"system": {"a\nb": 1}})")),
            "conversation.system.a\\nb: unknown field");
  EXPECT_EQ(error_of(ordered_json::parse(R"({"developer": {"function_tools": [{"description": "x"}]}})")),
            "conversation.developer.function_tools[0].name: missing (expected a string)");
  EXPECT_EQ(
      error_of(ordered_json::parse(R"({"developer": {"function_tools": [{"name": "f", "parameters": 5}]}})")),
      "conversation.developer.function_tools[0].parameters: expected a JSON Schema object (found number)");
  EXPECT_EQ(error_of(ordered_json::parse(R"({"system": {"channel_config": {"channel_required": "yes"}}})")),
            "conversation.system.channel_config.channel_required: expected a boolean (found string)");
  EXPECT_EQ(error_of(ordered_json::parse(R"([1, 2])")), "conversation: expected an object (found array)");
  EXPECT_EQ(error_of(ordered_json::parse(R"({"messages": {"role": "user"}})")),
            "conversation.messages: expected an array (found object)");
}

TEST(ConversationJson, DefaultSystemContentIsHarmonysNew) {
  SystemContent s = default_system_content();
  EXPECT_EQ(s.model_identity, "You are ChatGPT, a large language model trained by OpenAI.");
  EXPECT_EQ(s.reasoning_effort, "medium");
  EXPECT_EQ(s.knowledge_cutoff, "2024-06");
  EXPECT_FALSE(s.conversation_start_date.has_value());
  ASSERT_TRUE(s.channel_config.has_value());
  EXPECT_EQ(s.channel_config->valid_channels, (std::vector<std::string>{"analysis", "commentary", "final"}));
  EXPECT_TRUE(s.channel_config->channel_required);
  EXPECT_FALSE(s.tools.has_value());
}

}  // namespace
}  // namespace gptoss::chat

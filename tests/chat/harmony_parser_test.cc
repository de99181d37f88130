// The streaming harmony parser against every case of tests/data/harmony/parse.jsonl, the
// streaming events against the whole-list parse, render -> parse round trips, and header, UTF-8
// and error rules of our own.
#include "chat/harmony_parser.h"

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "chat/harmony_render.h"
#include "chat/harmony_vectors.h"
#include "tokenizer/tokenizer.h"

namespace gptoss::chat {
namespace {

namespace special = tokenizer::special;

std::vector<VectorCase> parse_cases() { return harmony_vectors("parse.jsonl"); }

// The cases that parse (the others expect an error, which has no event stream to compare).
std::vector<VectorCase> parse_cases_with_messages() {
  std::vector<VectorCase> cases = parse_cases();
  std::erase_if(cases, [](const VectorCase& c) { return !c.json["expected_messages"].is_array(); });
  return cases;
}

// Vector ids are u32; anything outside int32 (4294967295) is simply not a token.
std::vector<int32_t> tokens_of(const ordered_json& c) {
  std::vector<int32_t> ids;
  for (const auto& t : c["tokens"]) {
    uint64_t v = t.get<uint64_t>();
    ids.push_back(v > 0x7FFFFFFF ? -1 : static_cast<int32_t>(v));
  }
  return ids;
}

ParserOptions options_of(const ordered_json& c) {
  ParserOptions o;
  if (c["role"].is_string()) o.role = c["role"].get<std::string>();
  o.strict = c["strict"].get<bool>();
  return o;
}

ordered_json messages_json(const std::vector<Message>& messages) {
  ordered_json j = ordered_json::array();
  for (const auto& m : messages) j.push_back(message_to_json(m));
  return j;
}

// Records every event; checks that content deltas add up and never hold markup.
struct RecordingSink : EventSink {
  std::vector<Message> begun;
  std::vector<std::string> streamed;  // concatenated deltas per begun message
  std::vector<Message> ended;
  std::vector<std::optional<int32_t>> terminators;
  bool delta_outside_message = false;

  void on_message_begin(const Message& header) override {
    begun.push_back(header);
    streamed.emplace_back();
    EXPECT_TRUE(header.content.empty());
  }
  void on_content_delta(std::string_view text) override {
    if (begun.size() == ended.size()) delta_outside_message = true;
    if (!streamed.empty()) streamed.back() += text;
    EXPECT_FALSE(text.empty());
  }
  void on_message_end(const Message& m, std::optional<int32_t> terminator) override {
    ended.push_back(m);
    terminators.push_back(terminator);
  }
};

class ParseVector : public ::testing::TestWithParam<VectorCase> {};

TEST_P(ParseVector, MessagesOrErrorAsExpected) {
  const ordered_json& c = GetParam().json;
  std::vector<int32_t> tokens = tokens_of(c);
  const bool eos = c["eos"].get<bool>();
  if (c["expected_error"].is_string()) {
    try {
      std::vector<Message> got = parse_tokens(harmony_tokenizer(), tokens, options_of(c), eos);
      FAIL() << "no error; parsed " << messages_json(got).dump();
    } catch (const ParseError& e) {
      EXPECT_NE(std::string(e.what()).find(c["expected_error"].get<std::string>()), std::string::npos)
          << e.what();
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);  // one line
    }
    return;
  }
  std::vector<Message> got = parse_tokens(harmony_tokenizer(), tokens, options_of(c), eos);
  EXPECT_EQ(messages_json(got).dump(), c["expected_messages"].dump());
}

INSTANTIATE_TEST_SUITE_P(HarmonyVectors, ParseVector, ::testing::ValuesIn(parse_cases()),
                         [](const ::testing::TestParamInfo<VectorCase>& info) { return info.param.name; });

class StreamingParseVector : public ::testing::TestWithParam<VectorCase> {};

TEST_P(StreamingParseVector, EventsMatchTheWholeParse) {
  const ordered_json& c = GetParam().json;
  HarmonyParser parser(harmony_tokenizer(), options_of(c));
  RecordingSink sink;
  for (int32_t id : tokens_of(c)) {
    ASSERT_TRUE(parser.push(id, sink)) << *parser.error();
    if (parser.in_message()) {  // current() holds exactly what was streamed so far
      ASSERT_TRUE(parser.current().has_value());
      EXPECT_EQ(parser.current()->content, sink.streamed.back());
    }
  }
  if (c["eos"].get<bool>()) {
    ASSERT_TRUE(parser.finish(sink));
  }
  EXPECT_EQ(messages_json(parser.messages()).dump(), c["expected_messages"].dump());
  EXPECT_EQ(messages_json(sink.ended).dump(), c["expected_messages"].dump());
  EXPECT_FALSE(sink.delta_outside_message);
  ASSERT_EQ(sink.begun.size(), sink.ended.size());
  for (size_t i = 0; i < sink.ended.size(); ++i) {
    EXPECT_EQ(sink.streamed[i], sink.ended[i].content);
    Message header = sink.ended[i];
    header.content.clear();
    EXPECT_EQ(message_to_json(sink.begun[i]).dump(), message_to_json(header).dump());
  }
}

INSTANTIATE_TEST_SUITE_P(HarmonyVectors, StreamingParseVector,
                         ::testing::ValuesIn(parse_cases_with_messages()),
                         [](const ::testing::TestParamInfo<VectorCase>& info) { return info.param.name; });

TEST(ParseVectors, AllTwentyFiveArePresent) {
  EXPECT_EQ(parse_cases().size(), 25u);
  EXPECT_EQ(parse_cases_with_messages().size(), 21u);  // the other 4 expect an error
}

// ids of `text` (ordinary), appended to `ids`.
void add_text(std::vector<int32_t>& ids, const std::string& text) {
  std::vector<int32_t> t = harmony_tokenizer().encode(text);
  ids.insert(ids.end(), t.begin(), t.end());
}

// The id of the one-byte token `b`.
int32_t byte_token(unsigned char b) {
  for (int32_t id = 0; id < 199998; ++id) {
    auto bytes = harmony_tokenizer().token_bytes(id);
    if (bytes && bytes->size() == 1 && static_cast<unsigned char>((*bytes)[0]) == b) return id;
  }
  ADD_FAILURE() << "no token for byte " << int(b);
  return 0;
}

std::vector<Message> parse(const std::vector<int32_t>& ids, ParserOptions o = {}, bool eos = true) {
  return parse_tokens(harmony_tokenizer(), ids, o, eos);
}

std::string parse_error(const std::vector<int32_t>& ids, ParserOptions o = {}, bool eos = true) {
  try {
    parse(ids, o, eos);
  } catch (const ParseError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(HarmonyParser, RenderedConversationParsesBack) {
  Conversation c;
  auto add = [&](std::string role, std::optional<std::string> name, std::optional<std::string> recipient,
                 std::optional<std::string> channel, std::optional<std::string> content_type,
                 std::string content) {
    c.messages.push_back(Message{std::move(role), std::move(name), std::move(recipient), std::move(channel),
                                 std::move(content_type), std::move(content)});
  };
  add("user", std::nullopt, std::nullopt, std::nullopt, std::nullopt, "Weather in Oslo? <|end|> 💖 ünïcödé");
  add("assistant", std::nullopt, std::nullopt, "analysis", std::nullopt, "Need the tool.\nLine two.");
  add("assistant", std::nullopt, "functions.get_weather", "commentary", "<|constrain|>json",
      "{\"city\":\"Oslo\"}");
  add("tool", "functions.get_weather", "assistant", "commentary", std::nullopt, "{\"temp\":-3}");
  add("assistant", std::nullopt, "python", "analysis", "code", "print(1)");
  add("assistant", std::nullopt, std::nullopt, "final", std::nullopt, "It is -3 °C.");
  RenderOptions o;
  o.mode = RenderMode::kConversation;
  o.auto_drop_analysis = false;  // every message, so every message parses back
  std::vector<int32_t> ids = render_ids(harmony_tokenizer(), c, o);
  std::vector<Message> back = parse(ids);
  EXPECT_EQ(messages_json(back).dump(), messages_json(c.messages).dump());
}

TEST(HarmonyParser, StartedWithRoleAfterCompletionPrompt) {
  std::vector<int32_t> ids = {special::kChannel};
  add_text(ids, "commentary to=functions.lookup");
  ids.push_back(special::kConstrain);
  add_text(ids, "json");
  ids.push_back(special::kMessage);
  add_text(ids, "{}");
  ids.push_back(special::kCall);
  HarmonyParser parser(harmony_tokenizer(), ParserOptions{"assistant", true});
  RecordingSink sink;
  for (int32_t id : ids) ASSERT_TRUE(parser.push(id, sink)) << *parser.error();
  ASSERT_EQ(parser.messages().size(), 1u);
  const Message& m = parser.messages()[0];
  EXPECT_EQ(m.role, "assistant");
  EXPECT_EQ(m.recipient, "functions.lookup");
  EXPECT_EQ(m.channel, "commentary");
  EXPECT_EQ(m.content_type, "<|constrain|>json");
  EXPECT_EQ(m.content, "{}");
  EXPECT_EQ(sink.terminators, (std::vector<std::optional<int32_t>>{special::kCall}));
  EXPECT_FALSE(parser.in_message());
  EXPECT_EQ(parser.tokens(), ids);
}

TEST(HarmonyParser, TerminatorsAreReported) {
  std::vector<int32_t> ids = {special::kStart};
  add_text(ids, "assistant");
  ids.push_back(special::kChannel);
  add_text(ids, "final");
  ids.push_back(special::kMessage);
  add_text(ids, "done");
  ids.push_back(special::kReturn);
  ids.push_back(special::kStart);
  add_text(ids, "assistant");
  ids.push_back(special::kMessage);
  add_text(ids, "cut off");
  HarmonyParser parser(harmony_tokenizer());
  RecordingSink sink;
  for (int32_t id : ids) ASSERT_TRUE(parser.push(id, sink));
  EXPECT_TRUE(parser.in_message());
  EXPECT_EQ(parser.current()->content, "cut off");
  ASSERT_TRUE(parser.finish(sink));
  EXPECT_EQ(sink.terminators, (std::vector<std::optional<int32_t>>{special::kReturn, std::nullopt}));
  EXPECT_EQ(parser.messages().size(), 2u);
  // Without end of stream the unfinished message is not a message.
  EXPECT_EQ(parse(ids, {}, /*eos=*/false).size(), 1u);
}

TEST(HarmonyParser, SpecialTokensNeverBecomeContent) {
  std::vector<int32_t> ids = {special::kStart};
  add_text(ids, "assistant");
  ids.push_back(special::kMessage);
  add_text(ids, "ab");
  ids.push_back(special::kConstrain);
  ids.push_back(special::kChannel);
  ids.push_back(special::kStart);
  ids.push_back(200100);  // a reserved special
  add_text(ids, "cd");
  ids.push_back(special::kEnd);
  std::vector<Message> m = parse(ids);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].content, "abcd");
}

TEST(HarmonyParser, Utf8IsHeldBackUntilComplete) {
  std::vector<int32_t> ids = {special::kStart};
  add_text(ids, "assistant");
  ids.push_back(special::kMessage);
  HarmonyParser parser(harmony_tokenizer());
  RecordingSink sink;
  for (int32_t id : ids) ASSERT_TRUE(parser.push(id, sink));
  // U+1F496 (F0 9F 92 96), one byte per token: nothing is shown until the last byte.
  for (unsigned char b : {0xF0, 0x9F, 0x92}) {
    parser.push(byte_token(b), sink);
    EXPECT_EQ(sink.streamed.back(), "");
  }
  parser.push(byte_token(0x96), sink);
  EXPECT_EQ(sink.streamed.back(), "\xF0\x9F\x92\x96");
  // A surrogate code point (ED A0 80) is three maximal invalid subparts: three U+FFFD.
  for (unsigned char b : {0xED, 0xA0, 0x80}) parser.push(byte_token(b), sink);
  // An unfinished sequence at the end is flushed as one U+FFFD.
  parser.push(byte_token(0xE2), sink);
  parser.push(byte_token(0x82), sink);
  parser.push(special::kEnd, sink);
  ASSERT_EQ(parser.messages().size(), 1u);
  EXPECT_EQ(parser.messages()[0].content, "\xF0\x9F\x92\x96\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(HarmonyParser, UnknownIdInContentIsReplacementCharacter) {
  std::vector<int32_t> ids = {special::kStart};
  add_text(ids, "assistant");
  ids.push_back(special::kMessage);
  add_text(ids, "a");
  ids.push_back(250000);
  add_text(ids, "b");
  ids.push_back(special::kEnd);
  EXPECT_EQ(parse(ids).at(0).content,
            "a\xEF\xBF\xBD"
            "b");
}

TEST(HarmonyParser, MalformedOutputErrors) {
  std::vector<int32_t> stray;
  add_text(stray, "hello");
  EXPECT_NE(parse_error(stray).find("Unexpected token"), std::string::npos);

  std::vector<int32_t> unknown_role = {special::kStart};
  add_text(unknown_role, "robot");
  unknown_role.push_back(special::kMessage);
  EXPECT_NE(parse_error(unknown_role).find("Unknown role: \"robot\""), std::string::npos);

  std::vector<int32_t> empty_channel = {special::kStart};
  add_text(empty_channel, "assistant");
  empty_channel.push_back(special::kChannel);
  empty_channel.push_back(special::kMessage);
  EXPECT_NE(parse_error(empty_channel).find("channel marker present but no channel value"),
            std::string::npos);

  std::vector<int32_t> no_role = {special::kStart, special::kMessage};
  EXPECT_NE(parse_error(no_role).find("did not contain a role"), std::string::npos);

  std::vector<int32_t> eos_in_header = {special::kStart};
  add_text(eos_in_header, "assistant");
  EXPECT_NE(parse_error(eos_in_header).find("Unexpected EOS while waiting for message header"),
            std::string::npos);
  EXPECT_EQ(parse(eos_in_header, {}, /*eos=*/false).size(), 0u);

  // After an error the parser stays failed.
  HarmonyParser parser(harmony_tokenizer());
  EXPECT_FALSE(parser.push(stray[0]));
  EXPECT_FALSE(parser.push(special::kStart));
  EXPECT_FALSE(parser.finish());
  EXPECT_NE(parser.error()->find("token 0 (id "), std::string::npos);
}

TEST(HarmonyParser, NonStrictKeepsOnlyTheFirstMalformedMessage) {
  // As harmony: a stop token in an unfinished header closes the message; only the first one
  // (started with the given role) is kept.
  std::vector<int32_t> ids;
  add_text(ids, "lost  words\nhere");
  ids.push_back(special::kEnd);
  ids.push_back(special::kStart);
  add_text(ids, "assistant more words");
  ids.push_back(special::kEnd);
  ids.push_back(special::kStart);
  add_text(ids, "assistant");
  ids.push_back(special::kMessage);
  add_text(ids, "ok");
  ids.push_back(special::kEnd);
  std::vector<Message> m = parse(ids, ParserOptions{"assistant", false}, false);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].content, "lost words here");  // words re-joined by single spaces
  EXPECT_EQ(m[1].content, "ok");
  EXPECT_NE(parse_error(ids, ParserOptions{"assistant", true}, false).find("unexpected tokens remaining"),
            std::string::npos);
}

// Free-text recovery (max_header_tokens) is off by default: harmony's behaviour is kept.
TEST(HarmonyParser, FreeTextRecoveryIsOffByDefault) {
  std::vector<int32_t> ids;
  add_text(ids, std::string(200, 'x') + " words that never reach a message token");
  ParserOptions o{.role = "assistant", .strict = false};
  HarmonyParser parser(harmony_tokenizer(), o);
  for (int32_t id : ids) ASSERT_TRUE(parser.push(id));
  EXPECT_FALSE(parser.in_message());
  EXPECT_TRUE(parser.messages().empty());
}

// With it on, a header that outgrows the limit becomes an assistant message with no channel
// holding that text, and later text streams into it; the events say so as they happen.
TEST(HarmonyParser, LongHeaderBecomesFreeTextMessage) {
  std::vector<int32_t> ids;
  add_text(ids, "The quick brown fox jumps over the lazy dog and keeps running far away");
  ASSERT_GT(ids.size(), 8u);
  ids.push_back(special::kChannel);  // markup inside the would-be header is dropped
  add_text(ids, " more");
  ParserOptions o{.role = "assistant", .strict = false, .max_header_tokens = 8};
  HarmonyParser parser(harmony_tokenizer(), o);
  RecordingSink sink;
  for (int32_t id : ids) ASSERT_TRUE(parser.push(id, sink));
  ASSERT_TRUE(parser.in_message());
  EXPECT_EQ(parser.current()->role, "assistant");
  EXPECT_FALSE(parser.current()->channel.has_value());
  EXPECT_EQ(parser.current()->content,
            "The quick brown fox jumps over the lazy dog and keeps running far away more");
  ASSERT_TRUE(parser.finish(sink));
  ASSERT_EQ(parser.messages().size(), 1u);
  EXPECT_EQ(parser.messages()[0].content,
            "The quick brown fox jumps over the lazy dog and keeps running far away more");
  ASSERT_EQ(sink.streamed.size(), 1u);  // one message begun, its deltas add up to its content
  EXPECT_EQ(sink.streamed[0], parser.messages()[0].content);
}

// A real header under the limit still parses normally with recovery on.
TEST(HarmonyParser, FreeTextRecoveryKeepsRealHeaders) {
  std::vector<int32_t> ids = {special::kChannel};
  add_text(ids, "final");
  ids.push_back(special::kMessage);
  add_text(ids, "Hi");
  ids.push_back(special::kReturn);
  std::vector<Message> m =
      parse(ids, ParserOptions{.role = "assistant", .strict = false, .max_header_tokens = 8});
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].channel, "final");
  EXPECT_EQ(m[0].content, "Hi");
}

// Between messages, text where <|start|> belongs opens a free-text message instead of an error;
// a stray terminator there is ignored.
TEST(HarmonyParser, StrayTextBetweenMessagesBecomesFreeText) {
  std::vector<int32_t> ids = {special::kChannel};
  add_text(ids, "analysis");
  ids.push_back(special::kMessage);
  add_text(ids, "think");
  ids.push_back(special::kEnd);
  ids.push_back(special::kEnd);
  add_text(ids, "loose words");
  ParserOptions o{.role = "assistant", .strict = false, .max_header_tokens = 8};
  std::vector<Message> m = parse(ids, o);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].channel, "analysis");
  EXPECT_EQ(m[1].role, "assistant");
  EXPECT_FALSE(m[1].channel.has_value());
  EXPECT_EQ(m[1].content, "loose words");
  o.max_header_tokens = 0;
  EXPECT_NE(parse_error(ids, o).find("Unexpected token"), std::string::npos);
}

TEST(HarmonyParseHeader, Rules) {
  Message h = parse_header("assistant<|channel|>commentary to=functions.f <|constrain|>json", std::nullopt);
  EXPECT_EQ(h.role, "assistant");
  EXPECT_EQ(h.channel, "commentary");
  EXPECT_EQ(h.recipient, "functions.f");
  EXPECT_EQ(h.content_type, "<|constrain|>json");

  h = parse_header("functions.get_weather to=assistant<|channel|>commentary", std::nullopt);
  EXPECT_EQ(h.role, "tool");
  EXPECT_EQ(h.name, "functions.get_weather");
  EXPECT_EQ(h.recipient, "assistant");

  h = parse_header("<|channel|>final", std::string("assistant"));  // role given
  EXPECT_EQ(h.role, "assistant");
  EXPECT_EQ(h.channel, "final");
  EXPECT_FALSE(h.recipient.has_value());

  h = parse_header(" user ", std::nullopt);  // trimmed; a known role alone
  EXPECT_EQ(h.role, "user");
  EXPECT_FALSE(h.name.has_value());

  h = parse_header("assistant python", std::nullopt);  // a single remaining word is the recipient
  EXPECT_EQ(h.recipient, "python");
  EXPECT_FALSE(h.content_type.has_value());

  // ...even a lone constraint (harmony v0.0.8 does this; a later fix, harmony PR #144, would
  // make it the content type).
  h = parse_header("assistant<|channel|>final <|constrain|>json", std::nullopt);
  EXPECT_EQ(h.recipient, "<|constrain|>json");
  EXPECT_FALSE(h.content_type.has_value());

  h = parse_header("assistant<|channel|>analysis\tcode", std::nullopt);  // channel ends at whitespace
  EXPECT_EQ(h.channel, "analysis");
  EXPECT_EQ(h.recipient, "code");

  EXPECT_THROW(parse_header("assistant a b c", std::nullopt), ParseError);
  EXPECT_THROW(parse_header("", std::nullopt), ParseError);
}

}  // namespace
}  // namespace gptoss::chat

// gpt-oss-chat harmony render [--text] | harmony parse: the harmony renderer and parser over
// JSON on stdin (spec/harmony.md section 9). Other tools drive this; the output is stable.
#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "chat/conversation.h"
#include "chat/harmony_parser.h"
#include "chat/harmony_render.h"
#include "common/error.h"
#include "common/input_limits.h"
#include "tokenizer/tokenizer.h"
#include "ui/cli.h"
#include "ui/subcommands.h"

namespace gptoss::ui {
namespace {

using chat::ordered_json;

constexpr const char* kUsage =
    "usage: gpt-oss-chat harmony render [--text] < CASE.json\n"
    "       gpt-oss-chat harmony parse < COMPLETION.json\n"
    "\n"
    "render: stdin holds {\"conversation\", \"mode\": \"completion\"|\"conversation\"|\"training\",\n"
    "        \"next_turn_role\", \"auto_drop_analysis\"}; prints the JSON array of token ids, or with\n"
    "        --text the rendered text (special tokens as their strings), byte for byte.\n"
    "parse:  stdin holds {\"tokens\": [ids], \"role\": null|\"assistant\"|..., \"strict\": bool, \"eos\": "
    "bool};\n"
    "        prints the JSON array of messages [{role, name, recipient, channel, content_type, content}].\n"
    "        Malformed output (in strict mode) exits 1 with a one-line error.\n"
    "\n"
    "The conversation shape is spec/harmony.md section 9.\n";

const std::string kStdin = "<stdin>";

[[noreturn]] void input_error(const std::string& where, const std::string& problem) {
  throw gptoss::Error(kStdin + ": " + where + ": " + problem);
}

// stdin as JSON; a syntax error names its line:col.
ordered_json read_stdin_json() {
  const std::string text = read_capped(stdin, kMaxTextInputBytes, kStdin);
  if (find_excess_json_nesting(text) != std::string_view::npos) {
    input_error("(top level)",
                "nested too deeply (expected at most " + std::to_string(kMaxJsonNesting) + " levels)");
  }
  try {
    return ordered_json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte is 1-based: the position of the last character read.
    const size_t end = std::min(text.size(), e.byte > 0 ? static_cast<size_t>(e.byte - 1) : size_t{0});
    size_t line = 1, col = 1;
    for (size_t i = 0; i < end; ++i) {
      if (text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    std::string problem = e.what();
    if (size_t at = problem.find("column "); at != std::string::npos) {  // drop nlohmann's own position
      if (size_t colon = problem.find(": ", at); colon != std::string::npos)
        problem = problem.substr(colon + 2);
    } else if (size_t bracket = problem.find("] "); bracket != std::string::npos) {
      problem = problem.substr(bracket + 2);
    }
    input_error(std::to_string(line) + ":" + std::to_string(col),
                "invalid JSON: " + capped(problem, kMaxParseErrorBytes));
  } catch (const nlohmann::json::exception& e) {  // a number beyond a double ("1E400")
    input_error("number", std::string("invalid JSON: ") + capped(e.what(), kMaxParseErrorBytes));
  }
}

void check_keys(const ordered_json& j, std::initializer_list<std::string_view> known) {
  if (!j.is_object()) input_error("(top level)", "expected a JSON object");
  for (const auto& [key, value] : j.items()) {
    bool ok = false;
    for (std::string_view k : known) ok = ok || key == k;
    if (!ok) input_error(chat::json_quoted(capped(key)), "unknown field");
  }
}

bool is_role(const std::string& s) {
  return s == "user" || s == "assistant" || s == "system" || s == "developer" || s == "tool";
}

std::optional<std::string> optional_role(const ordered_json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_string() || !is_role(it->get<std::string>())) {
    input_error(key, "expected null or one of user|assistant|system|developer|tool (found " +
                         capped(it->dump()) + ")");
  }
  return it->get<std::string>();
}

bool optional_bool(const ordered_json& j, const char* key, bool fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) input_error(key, "expected true or false (found " + capped(it->dump()) + ")");
  return it->get<bool>();
}

int harmony_render(int argc, char** argv) {
  CliArgs args = parse_cli(argc, argv, {{"--text", false}}, 2);
  if (args.help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!args.positionals.empty()) throw UsageError("unexpected argument '" + args.positionals[0] + "'");
  ordered_json input = read_stdin_json();
  check_keys(input, {"conversation", "mode", "next_turn_role", "auto_drop_analysis",
                     // a whole vector line may be piped in: its other fields are ignored
                     "name", "source", "notes", "expected_text", "expected_ids"});
  if (!input.contains("conversation")) input_error("conversation", "missing");
  chat::Conversation conversation;
  try {
    conversation = chat::conversation_from_json(input["conversation"]);
  } catch (const chat::ConversationError& e) {
    throw gptoss::Error(kStdin + ": " + e.what());
  }
  chat::RenderOptions options;
  std::string mode = "completion";
  if (auto it = input.find("mode"); it != input.end() && !it->is_null()) {
    mode = it->is_string() ? it->get<std::string>() : capped(it->dump());
  }
  if (mode == "completion") {
    options.mode = chat::RenderMode::kCompletion;
  } else if (mode == "conversation") {
    options.mode = chat::RenderMode::kConversation;
  } else if (mode == "training") {
    options.mode = chat::RenderMode::kTraining;
  } else {
    input_error("mode",
                "expected completion|conversation|training (found " + chat::json_quoted(capped(mode)) + ")");
  }
  options.next_turn_role = optional_role(input, "next_turn_role").value_or("assistant");
  options.auto_drop_analysis = optional_bool(input, "auto_drop_analysis", true);

  std::vector<chat::RenderPiece> pieces;
  try {
    pieces = chat::render_pieces(conversation, options);
  } catch (const chat::RenderError& e) {
    throw gptoss::Error(kStdin + ": conversation." + e.what());
  }
  if (args.has("--text")) {
    const std::string text = chat::pieces_to_text(pieces);
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  }
  auto tokenizer = tokenizer::Tokenizer::load_default();
  const std::string ids = ordered_json(chat::pieces_to_ids(*tokenizer, pieces)).dump();
  std::printf("%s\n", ids.c_str());
  return 0;
}

int harmony_parse(int argc, char** argv) {
  CliArgs args = parse_cli(argc, argv, {}, 2);
  if (args.help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!args.positionals.empty()) throw UsageError("unexpected argument '" + args.positionals[0] + "'");
  ordered_json input = read_stdin_json();
  check_keys(input, {"tokens", "role", "strict", "eos",
                     // a whole vector line may be piped in: its other fields are ignored
                     "name", "source", "notes", "completion_text", "expected_messages", "expected_error"});
  auto tokens_it = input.find("tokens");
  if (tokens_it == input.end() || !tokens_it->is_array())
    input_error("tokens", "expected an array of token ids");
  std::vector<int32_t> tokens;
  tokens.reserve(tokens_it->size());
  for (size_t i = 0; i < tokens_it->size(); ++i) {
    const ordered_json& t = (*tokens_it)[i];
    if (!t.is_number_integer())
      input_error("tokens[" + std::to_string(i) + "]",
                  "expected an integer (found " + capped(t.dump()) + ")");
    // Ids are u32 in harmony; anything outside int32 is simply not a token (decodes to U+FFFD).
    const bool fits = t.is_number_unsigned() ? t.get<uint64_t>() <= 0x7FFFFFFF : t.get<int64_t>() >= 0;
    tokens.push_back(fits ? static_cast<int32_t>(t.get<int64_t>()) : -1);
  }
  chat::ParserOptions options;
  options.role = optional_role(input, "role");
  options.strict = optional_bool(input, "strict", true);
  const bool eos = optional_bool(input, "eos", true);

  auto tokenizer = tokenizer::Tokenizer::load_default();
  std::vector<chat::Message> messages;
  try {
    messages = chat::parse_tokens(*tokenizer, tokens, options, eos);
  } catch (const chat::ParseError& e) {
    throw gptoss::Error(kStdin + ": " + e.what());
  }
  ordered_json out = ordered_json::array();
  for (const auto& m : messages) out.push_back(chat::message_to_json(m));
  std::printf("%s\n", out.dump().c_str());
  return 0;
}

}  // namespace

int cmd_harmony(int argc, char** argv) {
  const std::string action = argc > 1 ? argv[1] : "";
  if (action == "render") return harmony_render(argc, argv);
  if (action == "parse") return harmony_parse(argc, argv);
  if (action == "-h" || action == "--help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (action.empty()) throw UsageError("expected 'render' or 'parse'");
  throw UsageError("unknown action '" + action + "' (expected 'render' or 'parse')");
}

}  // namespace gptoss::ui

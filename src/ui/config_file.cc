#include "ui/config_file.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace gptoss::ui {
namespace {

using json = nlohmann::json;

constexpr const char* kKeys = "model, effort, max-tokens, context, system, colors, scrollback";

[[noreturn]] void bad(const std::string& source, const std::string& key, const std::string& problem) {
  throw UsageError(source + ": " + key + ": " + problem);
}

std::string found(const json& value) {
  return std::string(value.type_name()) + " " + value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string text_value(const std::string& source, const std::string& key, const json& value) {
  if (!value.is_string()) bad(source, key, "expected a string, found " + found(value));
  return value.get<std::string>();
}

int count_value(const std::string& source, const std::string& key, const json& value, int lo, int hi) {
  if (!value.is_number_integer() || value.get<long long>() < lo || value.get<long long>() > hi) {
    bad(source, key,
        "expected a whole number in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], found " +
            found(value));
  }
  return static_cast<int>(value.get<long long>());
}

bool flag_value(const std::string& source, const std::string& key, const json& value) {
  if (!value.is_boolean()) bad(source, key, "expected true or false, found " + found(value));
  return value.get<bool>();
}

// "line:col" of byte `offset` in `text` (1-based), for a JSON syntax error.
std::string line_col(std::string_view text, size_t offset) {
  size_t line = 1, col = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return std::to_string(line) + ":" + std::to_string(col);
}

}  // namespace

std::string user_config_path(const EnvLookup& env) {
  namespace fs = std::filesystem;
  if (auto xdg = env("XDG_CONFIG_HOME"); xdg && xdg->front() == '/')
    return (fs::path(*xdg) / "gpt-oss-chat" / "config.json").string();
  return (fs::path(env("HOME").value_or(".")) / ".config" / "gpt-oss-chat" / "config.json").string();
}

UserConfig parse_user_config(std::string_view text, const std::string& source, const EnvLookup& env) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    // e.what() is "[json.exception.parse_error.101] parse error at line 1, column 2: ..."; keep the part
    // after ': '.
    std::string why = e.what();
    const size_t colon = why.find(": ");
    throw UsageError(source + ": " + line_col(text, e.byte > 0 ? e.byte - 1 : 0) + ": invalid JSON (" +
                     (colon == std::string::npos ? why : why.substr(colon + 2)) + ")");
  }
  if (!j.is_object())
    bad(source, "(top level)", "expected an object {...}, found " + std::string(j.type_name()));
  UserConfig c;
  for (const auto& [key, value] : j.items()) {
    if (key == "model") {
      std::string dir = text_value(source, key, value);
      if (dir.starts_with("~/")) dir = env("HOME").value_or("") + dir.substr(1);
      c.model = dir;
    } else if (key == "effort") {
      c.effort = text_value(source, key, value);
      if (*c.effort != "low" && *c.effort != "medium" && *c.effort != "high")
        bad(source, key, "expected \"low\", \"medium\" or \"high\", found \"" + *c.effort + "\"");
    } else if (key == "max-tokens") {
      c.max_tokens = count_value(source, key, value, 1, 1 << 24);
    } else if (key == "context") {
      c.context = count_value(source, key, value, 256, 1 << 24);
    } else if (key == "system") {
      c.system = text_value(source, key, value);
    } else if (key == "colors") {
      c.colors = flag_value(source, key, value);
    } else if (key == "scrollback") {
      c.scrollback = flag_value(source, key, value);
    } else {
      bad(source, key, std::string("unknown key (expected one of ") + kKeys + ")");
    }
  }
  return c;
}

UserConfig load_user_config(const std::string& path, const EnvLookup& env) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return {};
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) throw UsageError(path + ": cannot be read");
  return parse_user_config(text.str(), path, env);
}

void apply_user_config(CliArgs& args, const UserConfig& config) {
  auto give = [&](const std::string& flag, const std::optional<std::string>& value) {
    if (!value || args.has(flag)) return;
    args.values[flag] = *value;
    args.counts[flag] = 1;
  };
  auto number = [](const std::optional<int>& n) {
    return n ? std::optional(std::to_string(*n)) : std::nullopt;
  };
  if (!args.has("--demo") && !args.has("--remote")) give("--model", config.model);
  give("--effort", config.effort);
  give("--max-tokens", number(config.max_tokens));
  give("--context", number(config.context));
  give("--system", config.system);
}

}  // namespace gptoss::ui

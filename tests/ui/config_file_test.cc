// The config file: every key read, every mistake a one-line error naming the file and the key,
// flags winning over it.
#include "ui/config_file.h"

#include <gtest/gtest.h>

#include <map>

namespace gptoss::ui {
namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional(it->second);
  };
}

std::string error_of(const std::string& text) {
  try {
    parse_user_config(text, "/c/config.json", env_of({}));
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(ConfigFileTest, PathFollowsXdg) {
  EXPECT_EQ(user_config_path(env_of({{"XDG_CONFIG_HOME", "/x"}, {"HOME", "/h"}})),
            "/x/gpt-oss-chat/config.json");
  EXPECT_EQ(user_config_path(env_of({{"HOME", "/h"}})), "/h/.config/gpt-oss-chat/config.json");
}

TEST(ConfigFileTest, ReadsEveryKey) {
  const UserConfig c = parse_user_config(
      R"({"model": "~/gpt-oss-20b", "effort": "high", "max-tokens": 4096, "context": 16384,
          "system": "Be brief.", "colors": false, "scrollback": false})",
      "config.json", env_of({{"HOME", "/home/ada"}}));
  EXPECT_EQ(c.model, "/home/ada/gpt-oss-20b");
  EXPECT_EQ(c.effort, "high");
  EXPECT_EQ(c.max_tokens, 4096);
  EXPECT_EQ(c.context, 16384);
  EXPECT_EQ(c.system, "Be brief.");
  EXPECT_EQ(c.colors, false);
  EXPECT_EQ(c.scrollback, false);
  EXPECT_FALSE(parse_user_config("{}", "config.json", env_of({})).model.has_value());
}

TEST(ConfigFileTest, MistakesNameTheFileAndTheKey) {
  EXPECT_EQ(error_of(R"({"efort": "high"})"),
            "/c/config.json: efort: unknown key (expected one of model, effort, max-tokens, context, system, "
            "colors, "
            "scrollback)");
  EXPECT_EQ(error_of(R"({"max-tokens": "4096"})"),
            "/c/config.json: max-tokens: expected a whole number in [1, 16777216], found string \"4096\"");
  EXPECT_EQ(error_of(R"({"context": 16})"),
            "/c/config.json: context: expected a whole number in [256, 16777216], found number 16");
  EXPECT_EQ(error_of(R"({"colors": "no"})"),
            "/c/config.json: colors: expected true or false, found string \"no\"");
  EXPECT_EQ(error_of(R"({"effort": "max"})"),
            "/c/config.json: effort: expected \"low\", \"medium\" or \"high\", found \"max\"");
  EXPECT_EQ(error_of("[1]"), "/c/config.json: (top level): expected an object {...}, found array");
  EXPECT_EQ(error_of("{\n  \"model\": }").rfind("/c/config.json: 2:12: invalid JSON", 0), 0u)
      << error_of("{\n  \"model\": }");
}

TEST(ConfigFileTest, FlagsWin) {
  std::vector<std::string> words = {"chat", "--effort", "low"};
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  CliArgs args = parse_cli(static_cast<int>(argv.size()), argv.data(),
                           {{"--effort", true},
                            {"--max-tokens", true},
                            {"--model", true},
                            {"--demo", false},
                            {"--remote", true},
                            {"--context", true},
                            {"--system", true}});
  UserConfig c;
  c.effort = "high";
  c.max_tokens = 99;
  c.model = "/m";
  apply_user_config(args, c);
  EXPECT_EQ(args.get("--effort"), "low");
  EXPECT_EQ(args.get("--max-tokens"), "99");
  EXPECT_EQ(args.get("--model"), "/m");
  EXPECT_FALSE(args.has("--context"));
}

}  // namespace
}  // namespace gptoss::ui

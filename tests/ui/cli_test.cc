// The shared command-line parser: flags, values, positionals and the usage errors every
// subcommand relies on for its exit code 2.
#include "ui/cli.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gptoss::ui {
namespace {

CliArgs parse(std::vector<std::string> words) {
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  return parse_cli(static_cast<int>(argv.size()), argv.data(),
                   {{"--model", true}, {"--decode", false}, {"--top-p", true}, {"--n", true}});
}

std::string usage_error(std::vector<std::string> words) {
  try {
    parse(std::move(words));
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Cli, FlagsValuesAndPositionals) {
  CliArgs a = parse({"logits", "DIR", "--model", "m1", "--decode", "--model=m2", "--", "--decode"});
  EXPECT_EQ(a.get("--model"), "m2");  // repeated: last wins
  EXPECT_EQ(a.counts.at("--model"), 2);
  EXPECT_TRUE(a.has("--decode"));
  EXPECT_EQ(a.positionals, (std::vector<std::string>{"DIR", "--decode"}));
  EXPECT_FALSE(a.help);
  EXPECT_TRUE(parse({"x", "-h"}).help);
  EXPECT_EQ(parse({"x", "-"}).positionals, std::vector<std::string>{"-"});  // stdin, not a flag
}

TEST(Cli, UsageErrorsNameTheFlag) {
  EXPECT_EQ(usage_error({"x", "--nope"}), "unknown option --nope");
  EXPECT_EQ(usage_error({"x", "--model"}), "--model needs a value");
  EXPECT_EQ(usage_error({"x", "--decode=1"}), "--decode takes no value");
  EXPECT_THROW(parse({"x"}).require("--model"), UsageError);
}

TEST(Cli, NumbersAreCheckedAgainstTheirRange) {
  CliArgs a = parse({"x", "--n", "12", "--top-p", "0.5"});
  EXPECT_EQ(a.get_int("--n", 0, 1, 100), 12);
  EXPECT_EQ(a.get_int("--missing", 7, 1, 100), 7);
  EXPECT_DOUBLE_EQ(a.get_double("--top-p", 1.0, 0.0, 1.0, true), 0.5);
  EXPECT_THROW(parse({"x", "--n", "12x"}).get_int("--n", 0, 1, 100), UsageError);
  EXPECT_THROW(parse({"x", "--n", "101"}).get_int("--n", 0, 1, 100), UsageError);
  EXPECT_THROW(parse({"x", "--n", "99999999999999999999"}).get_int("--n", 0, 1, 100), UsageError);
  try {
    parse({"x", "--top-p", "0"}).get_double("--top-p", 1.0, 0.0, 1.0, /*lo_exclusive=*/true);
    ADD_FAILURE() << "0 is outside (0, 1]";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()), "--top-p takes a number in (0, 1] (found '0')");
  }
  EXPECT_DOUBLE_EQ(parse({"x", "--top-p", "0"}).get_double("--top-p", 1.0, 0.0, 1.0), 0.0);  // inclusive
}

}  // namespace
}  // namespace gptoss::ui

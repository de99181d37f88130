// Command-line parsing shared by every subcommand: flags, values, usage errors.
//
//   CliArgs args = parse_cli(argc, argv, {{"--model", true}, {"--decode", false}});
//   if (args.help) { print usage; return 0; }
//   std::string dir = args.require("--model");
//
// Usage errors throw UsageError; main() prints "usage: ..." and exits 2. Other gptoss::Error
// exits 1.
#pragma once

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"

namespace gptoss::ui {

class UsageError : public gptoss::Error {
 public:
  using gptoss::Error::Error;
};

struct FlagSpec {
  std::string name;  // "--model"
  bool takes_value;
};

struct CliArgs {
  bool help = false;
  std::map<std::string, std::string> values;  // flags with values; repeated flags: last wins
  std::map<std::string, int> counts;          // how often each flag appeared
  std::vector<std::string> positionals;

  bool has(const std::string& flag) const { return counts.count(flag) > 0; }
  std::optional<std::string> get(const std::string& flag) const;
  std::string require(const std::string& flag) const;  // UsageError if absent
  std::string get_or(const std::string& flag, const std::string& fallback) const;
  // Numeric values; UsageError naming the flag when the text is not a number in [lo, hi].
  long long get_int(const std::string& flag, long long fallback, long long lo, long long hi) const;
  // lo_exclusive: lo itself is refused, as for a probability mass in (0, 1].
  double get_double(const std::string& flag, double fallback, double lo, double hi,
                    bool lo_exclusive = false) const;
};

// Accepts "--flag value" and "--flag=value"; "-h"/"--help" set help. Throws UsageError on an
// unknown flag or a missing value. Arguments start at argv[first].
CliArgs parse_cli(int argc, char** argv, const std::vector<FlagSpec>& flags, int first = 1);

}  // namespace gptoss::ui

#include "ui/cli.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace gptoss::ui {

std::optional<std::string> CliArgs::get(const std::string& flag) const {
  auto it = values.find(flag);
  if (it == values.end()) return std::nullopt;
  return it->second;
}

std::string CliArgs::require(const std::string& flag) const {
  auto v = get(flag);
  if (!v) throw UsageError("missing required " + flag);
  return *v;
}

std::string CliArgs::get_or(const std::string& flag, const std::string& fallback) const {
  auto v = get(flag);
  return v ? *v : fallback;
}

long long CliArgs::get_int(const std::string& flag, long long fallback, long long lo, long long hi) const {
  auto v = get(flag);
  if (!v) return fallback;
  errno = 0;
  char* end = nullptr;
  long long n = std::strtoll(v->c_str(), &end, 10);
  if (v->empty() || *end != '\0' || errno == ERANGE || n < lo || n > hi) {
    throw UsageError(flag + " takes a whole number from " + std::to_string(lo) + " to " +
                     std::to_string(hi) + " (found '" + *v + "')");
  }
  return n;
}

double CliArgs::get_double(const std::string& flag, double fallback, double lo, double hi,
                           bool lo_exclusive) const {
  auto v = get(flag);
  if (!v) return fallback;
  errno = 0;
  char* end = nullptr;
  double x = std::strtod(v->c_str(), &end);
  const bool above_lo = lo_exclusive ? x > lo : x >= lo;
  if (v->empty() || *end != '\0' || errno == ERANGE || !(above_lo && x <= hi)) {
    char range[96];
    std::snprintf(range, sizeof range, "%c%g, %g]", lo_exclusive ? '(' : '[', lo, hi);
    throw UsageError(flag + " takes a number in " + range + " (found '" + *v + "')");
  }
  return x;
}

CliArgs parse_cli(int argc, char** argv, const std::vector<FlagSpec>& flags, int first) {
  CliArgs out;
  bool only_positionals = false;
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (only_positionals || arg.size() < 2 || arg[0] != '-' || arg == "-") {
      out.positionals.push_back(arg);
      continue;
    }
    if (arg == "--") {
      only_positionals = true;
      continue;
    }
    if (arg == "-h" || arg == "--help") {
      out.help = true;
      continue;
    }
    std::string name = arg;
    std::optional<std::string> inline_value;
    if (auto eq = arg.find('='); eq != std::string::npos && arg.rfind("--", 0) == 0) {
      name = arg.substr(0, eq);
      inline_value = arg.substr(eq + 1);
    }
    const FlagSpec* spec = nullptr;
    for (const auto& f : flags) {
      if (f.name == name) spec = &f;
    }
    if (!spec) throw UsageError("unknown option " + name);
    out.counts[name]++;
    if (!spec->takes_value) {
      if (inline_value) throw UsageError(name + " takes no value");
      continue;
    }
    if (inline_value) {
      out.values[name] = *inline_value;
    } else if (i + 1 < argc) {
      out.values[name] = argv[++i];
    } else {
      throw UsageError(name + " needs a value");
    }
  }
  return out;
}

}  // namespace gptoss::ui

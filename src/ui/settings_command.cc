#include "ui/settings_command.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace gptoss::ui {
namespace {

std::string number(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", x);
  return buf;
}

std::optional<double> parse_double(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  double x = std::strtod(text.c_str(), &end);
  if (errno != 0 || *end != '\0') return std::nullopt;
  return x;
}

std::optional<long long> parse_whole(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  long long x = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return std::nullopt;
  return x;
}

SetResult refuse(std::string message) { return SetResult{std::nullopt, std::move(message)}; }

}  // namespace

std::string describe_settings(const chat::SessionSettings& s) {
  std::string text = "Settings of this conversation (/set NAME VALUE changes one; they are saved with it):";
  text += "\n  max-tokens   " + std::to_string(s.max_new_tokens) + "  (reply budget per answer)";
  text += "\n  temperature  " + number(s.sampling.temperature) + "  (0 is greedy)";
  text += "\n  top-p        " + number(s.sampling.top_p) + "  (1 is off)";
  text += "\n  top-k        " + std::to_string(s.sampling.top_k) + "  (0 is off)";
  text += "\n  context      " + std::to_string(s.context_tokens) + "  (tokens in the window)";
  text += "\n  effort       " + std::string(chat::to_string(s.effort)) + "  (also /effort)";
  return text;
}

SetResult apply_set(const chat::SessionSettings& current, std::string_view arg) {
  const size_t space = arg.find(' ');
  const std::string name(arg.substr(0, space));
  std::string value = space == std::string_view::npos ? "" : std::string(arg.substr(space + 1));
  while (!value.empty() && value.front() == ' ') value.erase(0, 1);
  const std::string usage = "/set " + name + ": ";
  if (value.empty()) return refuse(usage + "needs a value (/set alone lists the settings)");
  chat::SessionSettings s = current;
  if (name == "max-tokens" || name == "context" || name == "top-k") {
    std::optional<long long> n = parse_whole(value);
    const long long lo = name == "top-k" ? 0 : 1;
    if (!n || *n < lo || *n > (1 << 24)) {
      return refuse(usage + "expected a whole number from " + std::to_string(lo) + " (found '" + value +
                    "')");
    }
    int& field = name == "max-tokens" ? s.max_new_tokens
                 : name == "context"  ? s.context_tokens
                                      : s.sampling.top_k;
    field = static_cast<int>(*n);
  } else if (name == "temperature" || name == "top-p") {
    std::optional<double> x = parse_double(value);
    const bool ok = x && (name == "temperature" ? *x >= 0 && *x <= 100 : *x > 0 && *x <= 1);
    if (!ok) {
      return refuse(usage +
                    (name == "temperature" ? "expected a number from 0 to 100"
                                           : "expected a number above 0, at most 1") +
                    " (found '" + value + "')");
    }
    (name == "temperature" ? s.sampling.temperature : s.sampling.top_p) = *x;
  } else if (name == "effort") {
    std::optional<chat::ReasoningEffort> e = chat::parse_effort(value);
    if (!e) return refuse(usage + "expected low, medium or high (found '" + value + "')");
    s.effort = *e;
  } else {
    return refuse("/set: unknown setting '" + name +
                  "' (expected max-tokens, temperature, top-p, top-k, context or effort)");
  }
  return SetResult{s, name + " " + value + ", from the next answer."};
}

}  // namespace gptoss::ui

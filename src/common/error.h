// The project's one error type. Library code throws it (or a room's subclass) on cold paths
// only: load, parse, save. Commands catch it, print what() on one line and exit 1.
#pragma once

#include <stdexcept>
#include <string>

namespace gptoss {

// what() is one line: "<file>: <tensor | key | line:col>: <problem> (expected X, found Y)".
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace gptoss

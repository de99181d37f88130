// JSON Schema -> the TypeScript-ish text harmony writes for tool parameters
// (spec/harmony.md section 4; harmony's json_schema_to_typescript, quirks included).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace gptoss::chat {

// The type text of `schema`, e.g. "{\nlocation: string,\n}" or "\"a\" | \"b\"". `indent` prefixes
// the lines of an object's body (nested objects get 4 more spaces per level). Never throws:
// anything it does not understand becomes "any", as in harmony.
std::string json_schema_to_typescript(const nlohmann::ordered_json& schema, const std::string& indent = "");

}  // namespace gptoss::chat

// Follows harmony v0.0.8's json_schema_to_typescript branch by branch, because the model was
// trained on exactly this text: a oneOf wins over "type"; a list of types is joined with " | ";
// objects list their properties in the given key order with comments before and a default after.
#include "chat/json_schema_ts.h"

#include <set>
#include <string_view>
#include <vector>

namespace gptoss::chat {
namespace {

using Json = nlohmann::ordered_json;

// schema[key] if schema is an object holding key (a JSON null counts as present), else nullptr.
const Json* get(const Json& schema, const char* key) {
  if (!schema.is_object()) return nullptr;
  auto it = schema.find(key);
  return it == schema.end() ? nullptr : &*it;
}

const std::string* get_string(const Json& schema, const char* key) {
  const Json* v = get(schema, key);
  return v && v->is_string() ? v->get_ptr<const std::string*>() : nullptr;
}

// "s" with double quotes around it. Appended, not "\"" + s: that form trips GCC 12's false
// -Wrestrict warning (GCC bug 105329).
std::string quoted(const std::string& s) {
  std::string out = "\"";
  out += s;
  out += '"';
  return out;
}

bool is_enum(const Json& schema) {
  const Json* e = get(schema, "enum");
  return e && e->is_array() && !e->empty();
}

bool is_nullable(const Json& schema) {
  const Json* n = get(schema, "nullable");
  return n && n->is_boolean() && n->get<bool>();
}

// "default: ..." as harmony writes it: a string quoted unless the schema is an enum (then
// bare), anything else as compact JSON.
std::string default_text(const Json& value, const Json& schema) {
  if (value.is_string()) {
    const std::string& s = value.get_ref<const std::string&>();
    return is_enum(schema) ? "default: " + s : "default: \"" + s + "\"";
  }
  return "default: " + value.dump();
}

// Appends " | null" for a nullable schema unless the type already mentions null.
std::string with_nullable(std::string type, const Json& schema) {
  if (is_nullable(schema) && type.find("null") == std::string::npos) type += " | null";
  return type;
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

// A schema whose "oneOf" is a list: one "\n{indent} | {variant}" per variant.
std::string one_of_type(const Json& variants, const std::string& indent) {
  std::string out;
  for (const Json& variant : variants) {
    out += "\n" + indent + " | ";
    out += with_nullable(json_schema_to_typescript(variant, indent + "   "), variant);
    std::vector<std::string> trailing;
    if (const std::string* d = get_string(variant, "description")) trailing.push_back(*d);
    if (const Json* d = get(variant, "default")) trailing.push_back(default_text(*d, variant));
    if (!trailing.empty()) out += " // " + join(trailing, " ");
  }
  return out;
}

// A property whose schema has a oneOf list: comments above, "name?:" alone on its line, one
// " | type" line per variant, then a line holding ",". The property's description is written
// above unless the first variant has the same one; a variant never repeats it.
void one_of_property(std::string& out, const std::string& key, bool required, const Json& property,
                     const Json& variants, const std::string& indent) {
  const std::string* property_desc = get_string(property, "description");
  bool skip_property_desc = false;
  if (property_desc && !variants.empty()) {
    const std::string* first_desc = get_string(variants.front(), "description");
    skip_property_desc = first_desc && *first_desc == *property_desc;
  }
  bool desc_above = false;
  if (property_desc && !skip_property_desc) {
    out += indent + "// " + *property_desc + "\n";
    desc_above = true;
  }
  if (const Json* d = get(property, "default")) out += indent + "// " + default_text(*d, property) + "\n";
  out += indent + key + (required ? "" : "?") + ":\n";
  for (size_t i = 0; i < variants.size(); ++i) {
    const Json& variant = variants[i];
    out += indent + " | ";
    out += with_nullable(json_schema_to_typescript(variant, indent + "   "), variant);
    std::vector<std::string> trailing;
    if (!(i == 0 && desc_above)) {
      const std::string* d = get_string(variant, "description");
      if (d && !(property_desc && *d == *property_desc)) trailing.push_back(*d);
    }
    if (const Json* d = get(variant, "default")) trailing.push_back(default_text(*d, variant));
    if (!trailing.empty()) out += " // " + join(trailing, " ");
    out += "\n";
  }
  out += indent + ",\n";
}

std::string object_type(const Json& schema, const std::string& indent) {
  std::string out;
  if (const std::string* d = get_string(schema, "description")) out += indent + "// " + *d + "\n";
  out += "{\n";
  const Json* properties = get(schema, "properties");
  if (properties && properties->is_object()) {
    std::set<std::string> required;
    if (const Json* r = get(schema, "required"); r && r->is_array()) {
      for (const Json& name : *r) {
        if (name.is_string()) required.insert(name.get<std::string>());
      }
    }
    for (const auto& [key, property] : properties->items()) {
      const bool is_required = required.count(key) > 0;
      const Json* one_of = get(property, "oneOf");
      if (const std::string* title = get_string(property, "title")) {
        out += indent + "// " + *title + "\n" + indent + "//\n";
      }
      if (!one_of) {
        if (const std::string* d = get_string(property, "description")) out += indent + "// " + *d + "\n";
      }
      if (const Json* examples = get(property, "examples");
          examples && examples->is_array() && !examples->empty()) {
        out += indent + "// Examples:\n";
        for (const Json& example : *examples) {
          if (example.is_string()) out += indent + "// - \"" + example.get<std::string>() + "\"\n";
        }
      }
      if (one_of && one_of->is_array()) {
        one_of_property(out, key, is_required, property, *one_of, indent);
        continue;
      }
      out += indent + key + (is_required ? "" : "?") + ": ";
      out += with_nullable(json_schema_to_typescript(property, indent + "    "), property);
      out += ",";
      if (!one_of) {
        if (const Json* d = get(property, "default")) out += " // " + default_text(*d, property);
      }
      out += "\n";
    }
  }
  out += indent + "}";
  return out;
}

std::string string_type(const Json& schema) {
  if (const Json* e = get(schema, "enum"); e && e->is_array()) {
    std::vector<std::string> values;
    for (const Json& v : *e) {
      if (v.is_string()) values.push_back(quoted(v.get<std::string>()));
    }
    if (!values.empty()) return join(values, " | ");
  }
  return "string";
}

}  // namespace

std::string json_schema_to_typescript(const Json& schema, const std::string& indent) {
  if (const Json* one_of = get(schema, "oneOf"); one_of && one_of->is_array()) {
    return one_of_type(*one_of, indent);
  }
  const Json* type = get(schema, "type");
  if (type && type->is_array()) {
    std::vector<std::string> types;
    for (const Json& t : *type) {
      if (t.is_string()) types.push_back(t.get<std::string>() == "integer" ? "number" : t.get<std::string>());
    }
    if (!types.empty()) return join(types, " | ");
  }
  if (type && type->is_string()) {
    const std::string& t = type->get_ref<const std::string&>();
    if (t == "object") return object_type(schema, indent);
    if (t == "string") return string_type(schema);
    if (t == "number" || t == "integer") return "number";
    if (t == "boolean") return "boolean";
    if (t == "array") {
      if (const Json* items = get(schema, "items")) return json_schema_to_typescript(*items, indent) + "[]";
      return "Array<any>";
    }
  }
  return "any";
}

}  // namespace gptoss::chat

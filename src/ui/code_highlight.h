// Simple syntax colour for code blocks: keywords, strings and comments of c, cpp, python, js/ts,
// sh, rust and go, one line at a time (a comment or string spanning lines is not followed). Any
// other language, or none, stays one plain span.
#pragma once

#include <string_view>
#include <vector>

#include "ui/styled_text.h"

namespace gptoss::ui {

// The spans of one code line (kCodeBlock, kCodeKeyword, kCodeString, kCodeComment); their texts
// joined are `line`. `lang` is the fence's tag ("python", "c++", "sh"...), case-insensitive.
std::vector<Span> highlight_code(std::string_view line, std::string_view lang);

}  // namespace gptoss::ui

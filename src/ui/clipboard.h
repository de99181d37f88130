// /copy: the terminal's clipboard through OSC 52, which works over ssh and inside tmux (wrapped
// in tmux's passthrough; tmux 3.3+ needs `set -g allow-passthrough on`, or `set-clipboard on`
// for a plain sequence). A terminal that does not support it ignores the request.
#pragma once

#include <string>
#include <string_view>

namespace gptoss::ui {

// RFC 4648 base64 with '=' padding.
std::string base64(std::string_view bytes);

// The escape sequence that sets the clipboard to `text`: ESC ] 52 ; c ; BASE64 BEL; inside tmux
// ESC P tmux; ... ESC \ with every ESC of the inner sequence doubled.
std::string osc52_copy(std::string_view text, bool in_tmux);

}  // namespace gptoss::ui

#include "ui/keys.h"

#include <cstdlib>

namespace gptoss::ui {
namespace {

constexpr char kEsc = '\x1b';
constexpr std::string_view kPasteStart = "\x1b[200~";
constexpr std::string_view kPasteEnd = "\x1b[201~";

void add_readline(std::vector<Key>& out, std::string_view bytes) {
  if (bytes.empty()) return;
  if (!out.empty() && out.back().kind == KeyKind::kReadline) {
    out.back().text += bytes;
  } else {
    out.push_back({KeyKind::kReadline, std::string(bytes)});
  }
}

// Length of the UTF-8 sequence starting with lead byte b (1 for ASCII and stray bytes).
size_t utf8_length(unsigned char b) {
  if ((b & 0xE0) == 0xC0) return 2;
  if ((b & 0xF0) == 0xE0) return 3;
  if ((b & 0xF8) == 0xF0) return 4;
  return 1;
}

// The length of the escape sequence at the start of s, 0 if it is not complete yet.
size_t escape_length(std::string_view s) {
  if (s.size() < 2) return 0;
  if (s[1] == 'O') return s.size() >= 3 ? 3 : 0;  // SS3: one final byte
  if (s[1] != '[') return 2;                       // Alt + key
  if (s.size() >= 3 && s[2] == 'M') return s.size() >= 6 ? 6 : 0;  // X10 mouse: 3 raw bytes
  for (size_t i = 2; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x40 && c <= 0x7E) return i + 1;  // CSI final byte
    if (c < 0x20 || c > 0x7E) return i;         // malformed: stop before the odd byte
  }
  return 0;
}

// Wheel button codes: 64 up, 65 down (modifier bits 4, 8, 16 may be added).
bool wheel(int button, std::vector<Key>& out) {
  if ((button & 64) == 0) return false;
  if ((button & 3) == 0) out.push_back({KeyKind::kWheelUp, {}});
  if ((button & 3) == 1) out.push_back({KeyKind::kWheelDown, {}});
  return true;
}

void decode_escape(std::string_view seq, std::vector<Key>& out) {
  if (seq == "\x1b\r" || seq == "\x1b\n") return out.push_back({KeyKind::kNewline, {}});
  if (seq.size() == 3 && seq[1] == 'O') {
    if (seq[2] == 'H') return out.push_back({KeyKind::kHome, {}});
    if (seq[2] == 'F') return out.push_back({KeyKind::kEnd, {}});
    return add_readline(out, seq);
  }
  if (seq.size() < 3 || seq[1] != '[') return add_readline(out, seq);
  if (seq[2] == 'M' && seq.size() == 6) {  // X10 mouse: button + 32
    wheel(static_cast<unsigned char>(seq[3]) - 32, out);
    return;  // other mouse events are not ours to pass on
  }
  if (seq[2] == '<') {  // SGR mouse: ESC [ < button ; x ; y (M|m)
    wheel(std::atoi(std::string(seq.substr(3)).c_str()), out);
    return;
  }
  std::string_view body = seq.substr(2);
  if (body == "5~" || body == "5;2~") return out.push_back({KeyKind::kPageUp, {}});
  if (body == "6~" || body == "6;2~") return out.push_back({KeyKind::kPageDown, {}});
  if (body == "H" || body == "1~" || body == "7~") return out.push_back({KeyKind::kHome, {}});
  if (body == "F" || body == "4~" || body == "8~") return out.push_back({KeyKind::kEnd, {}});
  if (body == "1;5H" || body == "7^") return out.push_back({KeyKind::kTop, {}});
  if (body == "1;5F" || body == "8^") return out.push_back({KeyKind::kBottom, {}});
  if (body == "I" || body == "O") return;  // focus in/out reports
  add_readline(out, seq);
}

std::string normalise_newlines(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r') {
      out += '\n';
      if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

std::vector<Key> KeyDecoder::feed(std::string_view bytes) {
  buffer_ += bytes;
  std::vector<Key> out;
  size_t i = 0;
  while (i < buffer_.size()) {
    std::string_view rest = std::string_view(buffer_).substr(i);
    if (in_paste_) {
      size_t end = rest.find(kPasteEnd);
      if (end == std::string_view::npos) {
        // Keep a possible partial end marker at the tail for the next call.
        size_t keep = 0;
        for (size_t k = 1; k < kPasteEnd.size() && k <= rest.size(); ++k) {
          if (rest.substr(rest.size() - k) == kPasteEnd.substr(0, k)) keep = k;
        }
        paste_ += rest.substr(0, rest.size() - keep);
        i = buffer_.size() - keep;
        break;
      }
      paste_ += rest.substr(0, end);
      out.push_back({KeyKind::kPaste, normalise_newlines(paste_)});
      paste_.clear();
      in_paste_ = false;
      i += end + kPasteEnd.size();
      continue;
    }
    unsigned char c = static_cast<unsigned char>(rest[0]);
    if (c == static_cast<unsigned char>(kEsc)) {
      size_t n = escape_length(rest);
      if (n == 0) break;  // wait for the rest
      std::string_view seq = rest.substr(0, n);
      if (seq == kPasteStart) {
        in_paste_ = true;
      } else {
        decode_escape(seq, out);
      }
      i += n;
      continue;
    }
    if (c == 0x18) {  // Ctrl-X: a prefix; Ctrl-X Ctrl-E is ours, the rest readline's (C-x C-u...)
      if (rest.size() < 2) break;
      if (rest[1] == 0x05) {
        out.push_back({KeyKind::kEditor, {}});
        i += 2;
      } else {
        add_readline(out, rest.substr(0, 1));
        ++i;
      }
      continue;
    }
    if (c == 0x03) {
      out.push_back({KeyKind::kInterrupt, {}});
    } else if (c == 0x0A) {  // Ctrl-J (Enter sends \r): a new line without Alt
      out.push_back({KeyKind::kNewline, {}});
    } else if (c == 0x14) {
      out.push_back({KeyKind::kToggleReasoning, {}});
    } else if (c == 0x0C) {
      out.push_back({KeyKind::kRedraw, {}});
    } else if (c == 0x1A) {
      out.push_back({KeyKind::kSuspend, {}});
    } else {
      size_t n = utf8_length(c);
      if (n > rest.size()) break;  // an unfinished UTF-8 character
      add_readline(out, rest.substr(0, n));
      i += n;
      continue;
    }
    ++i;
  }
  buffer_.erase(0, i);
  return out;
}

std::vector<Key> KeyDecoder::flush() {
  std::vector<Key> out;
  if (in_paste_ || buffer_ == kCtrlX) return out;
  add_readline(out, buffer_);
  buffer_.clear();
  return out;
}

}  // namespace gptoss::ui

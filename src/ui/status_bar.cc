#include "ui/status_bar.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <vector>

#include "ui/transcript.h"

namespace gptoss::ui {

std::string count_noun(uint64_t n, const std::string& noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

std::string format_bytes(uint64_t bytes) {
  char buf[32];
  double mib = static_cast<double>(bytes) / (1024.0 * 1024.0);
  if (mib >= 1024.0) {
    std::snprintf(buf, sizeof buf, "%.1f GiB", mib / 1024.0);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f MiB", mib);
  }
  return buf;
}

uint64_t resident_memory_bytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size_pages = 0, resident_pages = 0;
  if (!(statm >> size_pages >> resident_pages)) return 0;
  long page = ::sysconf(_SC_PAGESIZE);
  return resident_pages * static_cast<uint64_t>(page > 0 ? page : 4096);
}

namespace {

std::string speed(double tok_s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, tok_s >= 100 ? "%.0f" : "%.1f", tok_s);
  return buf;
}

struct Field {
  std::string text;
  int priority;  // lower goes first when space runs out
};

int width_of(const std::string& s) { return text_width(utf8_to_wide(s)); }

}  // namespace

std::string format_status(const StatusInfo& s, int width) {
  std::vector<Field> left;
  left.push_back({s.demo ? s.model + ", random weights" : s.model, 9});
  if (!s.effort.empty()) left.push_back({"effort " + s.effort, 5});
  if (s.context_size > 0) {
    left.push_back({"ctx " + std::to_string(s.context_used) + "/" + std::to_string(s.context_size), 8});
  }
  if (s.prefill_tok_s > 0 || s.decode_tok_s > 0) {
    left.push_back({"prefill " + speed(s.prefill_tok_s) + " decode " + speed(s.decode_tok_s) + " tok/s", 6});
  }
  if (s.memory_bytes > 0) left.push_back({"mem " + format_bytes(s.memory_bytes), 4});
  if (!s.memory_mode.empty()) left.push_back({s.memory_mode, 3});
  if (!s.expert_cache.empty()) left.push_back({s.expert_cache, 2});
  if (!s.session.empty()) left.push_back({"session " + s.session, 10});  // what /quit saves to: kept longest

  std::string right = s.activity;
  if (s.rows_below > 0) right = "\u2193" + std::to_string(s.rows_below) + " more  " + right;

  const std::string sep = "  ";
  auto join = [&] {
    std::string out = " ";
    for (size_t i = 0; i < left.size(); ++i) out += (i ? sep : "") + left[i].text;
    return out;
  };
  std::string text = join();
  auto too_wide = [&] { return width_of(text) + (right.empty() ? 0 : width_of(right) + 2) > width; };
  while (too_wide() && left.size() > 1) {
    size_t lowest = 0;
    for (size_t i = 1; i < left.size(); ++i) {
      if (left[i].priority < left[lowest].priority) lowest = i;
    }
    left.erase(left.begin() + static_cast<ptrdiff_t>(lowest));
    text = join();
  }
  if (too_wide()) right.clear();

  // Pad (or cut) to exactly `width` cells.
  std::wstring row = utf8_to_wide(text);
  std::wstring tail = utf8_to_wide(right.empty() ? right : right + " ");
  int pad = width - text_width(row) - text_width(tail);
  if (pad >= 0) {
    row += std::wstring(static_cast<size_t>(pad), L' ') + tail;
  } else {
    std::wstring cut;
    int w = 0;
    for (wchar_t c : row) {
      int cw = char_width(c);
      if (w + cw > width) break;
      cut += c;
      w += cw;
    }
    row = cut + std::wstring(static_cast<size_t>(width - w), L' ');
  }
  return wide_to_utf8(row);
}

std::string rereading_progress(uint64_t done, uint64_t total) {
  if (done > total) total = done;
  return std::string(kRereadingPrompt) + ": " + std::to_string(done) + "/" + std::to_string(total) +
         " tokens";
}

}  // namespace gptoss::ui

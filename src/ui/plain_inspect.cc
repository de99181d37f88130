#include "ui/plain_inspect.h"

#include "tokenizer/tokenizer.h"
#include "ui/expert_usage_text.h"
#include "ui/inspect_view.h"

namespace gptoss::ui {

void plain_inspect(chat::Backend& backend, const tokenizer::Tokenizer& tokenizer, const std::string& arg,
                   std::FILE* out, std::FILE* err) {
  if (backend.info().remote) {
    std::fprintf(err,
                 "/inspect needs the local engine: a remote server does not say how it made its answer\n");
    return;
  }
  const auto record = backend.inspect_last_reply();
  if (!record || record->rows() == 0) {
    std::fprintf(err, "nothing to inspect yet: /inspect shows how the model wrote its last answer\n");
    return;
  }
  InspectView view(record, [&](int32_t id) { return tokenizer.decode(std::span<const int32_t>(&id, 1)); });
  std::string text;
  if (arg.empty()) {
    text = view.text_table() +
           "(/inspect N shows token N: its experts and weights, logit lens and sink share "
           "per layer)\n";
  } else {
    const int t = std::stoi(arg) - 1;  // parse_command checked it is a number from 1
    if (t >= view.tokens()) {
      std::fprintf(err, "/inspect %s: the last answer has %d tokens\n", arg.c_str(), view.tokens());
      return;
    }
    view.set_lens(t, backend.lens(t, 5));
    text = view.text_detail(t);
  }
  std::fwrite(text.data(), 1, text.size(), out);
  std::fflush(out);
}

void plain_stats(const chat::ChatSession& session, const std::string& arg, std::FILE* out, std::FILE* err) {
  const chat::ExpertUsage usage = session.backend().expert_usage();
  std::string text;
  if (arg == "experts") {
    text = expert_usage_table(usage);
  } else {
    if (!session.turns().empty()) {
      const chat::TurnStats& s = session.turns().back().stats;
      char buf[200];
      std::snprintf(
          buf, sizeof buf, "Last answer: %llu tokens in %.2f s (%.1f tok/s); prompt: %llu tokens in %.2f s",
          static_cast<unsigned long long>(s.tokens_generated), s.decode_seconds, s.decode_tokens_per_second(),
          static_cast<unsigned long long>(s.tokens_prefilled), s.prefill_seconds);
      text = buf;
    }
    const std::string summary = expert_usage_summary(usage);
    if (!summary.empty()) text += (text.empty() ? "" : "\n") + summary;
  }
  if (text.empty()) {
    std::fprintf(err, "no answer yet, and a remote server does not report expert usage\n");
    return;
  }
  text += "\n";
  std::fwrite(text.data(), 1, text.size(), out);
  std::fflush(out);
}

}  // namespace gptoss::ui

// The status bar while a prompt is read again after /effort, /system or /set context: on 20b a
// long conversation takes minutes, so it counts the tokens done against the conversation's.
#include <chrono>
#include <thread>

#include "chat/backend.h"
#include "ui/app.h"
#include "ui/status_bar.h"

namespace gptoss::ui {

void App::watch_prefill() {
  const int slow_ms = config_.slow_prefill_ms_for_tests;
  config_.backend->set_prefill_hook([this, slow_ms](size_t done) {
    prefill_done_.store(done);
    if (slow_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(slow_ms));
  });
}

void App::unwatch_prefill() { config_.backend->set_prefill_hook(nullptr); }

void App::begin_rereading() {
  rereading_total_ = context_used_;
  prefill_done_.store(0);
  turn_.set_activity(kRereadingPrompt);
}

std::string App::activity() const {
  const std::string& a = turn_.activity();
  if (a != kRereadingPrompt) return a;
  return rereading_progress(prefill_done_.load(), rereading_total_);
}

}  // namespace gptoss::ui

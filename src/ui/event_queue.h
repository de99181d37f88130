// A queue from the worker thread (chat turn, model load) to the UI thread. The worker pushes and
// writes one byte to a pipe; the UI polls the pipe's read end together with stdin, drains the
// pipe and then the queue. Only the UI thread touches curses and readline (style.md section 5).
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <mutex>
#include <utility>

#include "common/error.h"

namespace gptoss::ui {

// A non-blocking self-pipe: wake() from any thread (or a signal handler), drain() on the UI side.
class WakePipe {
 public:
  WakePipe() {
    if (::pipe(fds_) != 0) throw gptoss::Error("pipe: cannot create the UI wake-up pipe");
    for (int fd : fds_) {
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
      ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
  }
  ~WakePipe() {
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  WakePipe(const WakePipe&) = delete;
  WakePipe& operator=(const WakePipe&) = delete;

  int read_fd() const { return fds_[0]; }
  int write_fd() const { return fds_[1]; }

  // Async-signal-safe. A full pipe already means "wake up", so EAGAIN is fine.
  void wake() const {
    char b = 1;
    ssize_t n = ::write(fds_[1], &b, 1);
    (void)n;
  }
  void drain() const {
    char buf[256];
    while (::read(fds_[0], buf, sizeof buf) > 0) {
    }
  }

 private:
  int fds_[2] = {-1, -1};
};

template <typename Event>
class EventQueue {
 public:
  explicit EventQueue(const WakePipe& wake) : wake_(wake) {}

  // Any thread.
  void push(Event e) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      events_.push_back(std::move(e));
    }
    wake_.wake();
  }

  // UI thread: everything queued so far, in order.
  std::deque<Event> take_all() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::deque<Event> out;
    out.swap(events_);
    return out;
  }

 private:
  const WakePipe& wake_;
  std::mutex mutex_;
  std::deque<Event> events_;
};

}  // namespace gptoss::ui

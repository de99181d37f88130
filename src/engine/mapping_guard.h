// Keeps a read-only file mapping from killing the process when the file changes under it.
//
// A mapped checkpoint that is truncated (or deleted and its blocks reused) while the program runs
// raises SIGBUS on the next read of a page past the new end. The guard's SIGBUS handler, when the
// faulting address lies in a guarded range, maps a page of zeros over the faulting page, marks
// the range and returns: the kernel in flight finishes on zeros instead of dying, and the caller
// checks faulted() after each forward step and throws ("the model file changed while in use").
// A SIGBUS anywhere else goes to the handler that was installed before (or the default action).
//
// Why this and not siglongjmp: the fault usually happens on an OpenMP worker thread, and jumping
// out of a worker into another thread's frame is undefined; patching the page lets every thread
// run to the end of the parallel region. The handler calls only mmap and sigaction (direct
// system calls on Linux; glibc's mmap takes no lock and allocates nothing) and reads lock-free
// atomics.
//
// The table of guarded ranges is process-wide state, unavoidably: a signal handler receives no
// context pointer. It holds kMaxGuardedRanges slots; a range registered when all are taken is
// simply unguarded (SIGBUS kills the process as before).
#pragma once

#include <cstddef>

namespace gptoss::engine {

class MappingGuard {
 public:
  static constexpr int kMaxGuardedRanges = 256;

  // Guards [begin, begin + bytes). Installs the SIGBUS handler on first use.
  MappingGuard(const void* begin, size_t bytes);
  ~MappingGuard();
  MappingGuard(const MappingGuard&) = delete;
  MappingGuard& operator=(const MappingGuard&) = delete;

  // True once a read of the range hit SIGBUS (the pages read since came back as zeros).
  bool faulted() const;

 private:
  int slot_ = -1;  // -1: the table was full
};

}  // namespace gptoss::engine

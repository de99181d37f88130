// Which kernel copy this CPU runs (see kernels.h). Compiled once, for the baseline.
#include "engine/kernels.h"

#include "common/error.h"

namespace gptoss::engine {

namespace avx512 {
extern const Kernels kKernels;
extern const Kernels kKernelsVnni;
}
namespace avx2 {
extern const Kernels kKernels;
}
namespace baseline {
extern const Kernels kKernels;
}

namespace {

// __builtin_cpu_supports also checks that the OS saves the wider registers (XCR0), so a CPU
// with AVX-512 under an OS or hypervisor that does not enable it counts as without.
bool cpu_runs(KernelTarget target) {
  __builtin_cpu_init();
  switch (target) {
    case KernelTarget::kAvx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
             __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
             __builtin_cpu_supports("bmi2");
    case KernelTarget::kAvx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
             __builtin_cpu_supports("bmi2");
    case KernelTarget::kBaseline:
      return true;
  }
  return false;
}

}  // namespace

bool cpu_has_vnni() {
  __builtin_cpu_init();
  return cpu_runs(KernelTarget::kAvx512) && __builtin_cpu_supports("avx512vnni");
}

const Kernels& kernels_for(KernelTarget target, bool vnni) {
  switch (target) {
    case KernelTarget::kAvx512:
      return vnni && cpu_has_vnni() ? avx512::kKernelsVnni : avx512::kKernels;
    case KernelTarget::kAvx2:
      return avx2::kKernels;
    case KernelTarget::kBaseline:
      break;
  }
  return baseline::kKernels;
}

std::vector<KernelTarget> runnable_kernel_targets() {
  std::vector<KernelTarget> targets;
  for (KernelTarget t : {KernelTarget::kBaseline, KernelTarget::kAvx2, KernelTarget::kAvx512})
    if (cpu_runs(t)) targets.push_back(t);
  return targets;
}

KernelTarget choose_kernel_target(const std::string& forced) {
  if (forced.empty()) return runnable_kernel_targets().back();
  for (KernelTarget t : {KernelTarget::kBaseline, KernelTarget::kAvx2, KernelTarget::kAvx512}) {
    if (forced != kernels_for(t).name) continue;
    if (!cpu_runs(t)) {
      std::string runnable;
      for (KernelTarget r : runnable_kernel_targets())
        runnable += std::string(runnable.empty() ? "" : ", ") + kernels_for(r).name;
      throw gptoss::Error("GPTOSS_KERNELS: this CPU cannot run '" + forced + "' (expected one of " +
                          runnable + ")");
    }
    return t;
  }
  throw gptoss::Error("GPTOSS_KERNELS: unknown kernel set '" + forced +
                      "' (expected avx512, avx2 or baseline)");
}

}  // namespace gptoss::engine

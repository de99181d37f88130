// Kernel tests run once per kernel copy this machine can execute (kernels.h): a test suite
// declared with TEST_P(Suite, ...) and GPTOSS_FOR_EACH_KERNEL_TARGET(Suite) gets
// Suite/avx512, Suite/avx2, Suite/baseline instances; kernels() is the copy under test.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/kernels.h"

namespace gptoss::engine {

class KernelTargetTest : public testing::TestWithParam<KernelTarget> {
 protected:
  const Kernels& kernels() const { return kernels_for(GetParam()); }
};

inline std::string kernel_target_name(const testing::TestParamInfo<KernelTarget>& info) {
  return kernels_for(info.param).name;
}

// For the int8 kernels, whose AVX-512 copy has two tables: every table this CPU runs, the
// AVX-512 one with and without VNNI. A suite declared with TEST_P(Suite, ...) on
// KernelVariantTest and GPTOSS_FOR_EACH_KERNEL_VARIANT(Suite) gets Suite/avx512_vnni, ...
inline std::vector<const Kernels*> runnable_kernel_variants() {
  std::vector<const Kernels*> out;
  for (KernelTarget t : runnable_kernel_targets()) {
    out.push_back(&kernels_for(t));
    if (t == KernelTarget::kAvx512 && cpu_has_vnni()) out.push_back(&kernels_for(t, /*vnni=*/false));
  }
  return out;
}

class KernelVariantTest : public testing::TestWithParam<const Kernels*> {
 protected:
  const Kernels& kernels() const { return *GetParam(); }
};

inline std::string kernel_variant_name(const testing::TestParamInfo<const Kernels*>& info) {
  return std::string(info.param->name) + (info.param->vnni ? "_vnni" : "");
}

}  // namespace gptoss::engine

#define GPTOSS_FOR_EACH_KERNEL_VARIANT(Suite)                                                             \
  INSTANTIATE_TEST_SUITE_P(Kernels, Suite, testing::ValuesIn(gptoss::engine::runnable_kernel_variants()), \
                           gptoss::engine::kernel_variant_name)

#define GPTOSS_FOR_EACH_KERNEL_TARGET(Suite)                                                             \
  INSTANTIATE_TEST_SUITE_P(Kernels, Suite, testing::ValuesIn(gptoss::engine::runnable_kernel_targets()), \
                           gptoss::engine::kernel_target_name)

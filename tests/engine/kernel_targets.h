// Kernel tests run once per kernel copy this machine can execute (kernels.h): a test suite
// declared with TEST_P(Suite, ...) and GPTOSS_FOR_EACH_KERNEL_TARGET(Suite) gets
// Suite/avx512, Suite/avx2, Suite/baseline instances; kernels() is the copy under test.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "engine/kernels.h"

namespace gptoss::engine {

class KernelTargetTest : public testing::TestWithParam<KernelTarget> {
 protected:
  const Kernels& kernels() const { return kernels_for(GetParam()); }
};

inline std::string kernel_target_name(const testing::TestParamInfo<KernelTarget>& info) {
  return kernels_for(info.param).name;
}

}  // namespace gptoss::engine

#define GPTOSS_FOR_EACH_KERNEL_TARGET(Suite)                                                             \
  INSTANTIATE_TEST_SUITE_P(Kernels, Suite, testing::ValuesIn(gptoss::engine::runnable_kernel_targets()), \
                           gptoss::engine::kernel_target_name)

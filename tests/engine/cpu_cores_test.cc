// The default thread count: physical cores among the allowed CPUs, from a fake sysfs tree.
#include "engine/cpu_cores.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "reference/temp_dir.h"

namespace gptoss::engine {
namespace {

namespace fs = std::filesystem;

class CpuCores : public ::testing::Test {
 protected:
  // cpu<n>/topology/{physical_package_id,core_id} under the fake root.
  void cpu(int n, int package, int core) {
    const fs::path topology = fs::path(root.str()) / ("cpu" + std::to_string(n)) / "topology";
    fs::create_directories(topology);
    std::ofstream(topology / "physical_package_id") << package << "\n";
    std::ofstream(topology / "core_id") << core << "\n";
  }
  testing::TempDir root;
};

TEST_F(CpuCores, HyperthreadSiblingsCountOnce) {
  // A 4-core laptop with 2 threads per core, numbered the way Linux does (siblings n and n + 4).
  for (int n = 0; n < 8; ++n) cpu(n, 0, n % 4);
  EXPECT_EQ(physical_cores(root.str(), {0, 1, 2, 3, 4, 5, 6, 7}), 4);
  EXPECT_EQ(physical_cores(root.str(), {0, 4}), 1);     // an affinity mask of one core's two threads
  EXPECT_EQ(physical_cores(root.str(), {0, 1, 4}), 2);  // ... and one more core
}

TEST_F(CpuCores, EqualCoreIdsOnTwoPackagesAreTwoCores) {
  cpu(0, 0, 0);
  cpu(1, 1, 0);
  EXPECT_EQ(physical_cores(root.str(), {0, 1}), 2);
}

TEST_F(CpuCores, UnreadableTopologyCountsEachCpuAndNeverZero) {
  cpu(0, 0, 0);
  EXPECT_EQ(physical_cores(root.str(), {0, 1, 2}), 3);  // cpu1 and cpu2 have no topology here
  EXPECT_EQ(physical_cores(root.str(), {}), 1);
}

TEST(CpuCoresOfThisMachine, BetweenOneAndTheAllowedCpus) {
  cpu_set_t mask;
  ASSERT_EQ(sched_getaffinity(0, sizeof mask, &mask), 0);
  const int n = physical_cores();
  EXPECT_GE(n, 1);
  EXPECT_LE(n, CPU_COUNT(&mask));
}

}  // namespace
}  // namespace gptoss::engine

#include "engine/cpu_cores.h"

#include <sched.h>

#include <fstream>
#include <set>
#include <utility>

namespace gptoss::engine {

namespace {

// The first integer in a sysfs file, or false if it cannot be read.
bool read_id(const std::string& path, long& id) {
  std::ifstream in(path);
  return static_cast<bool>(in >> id);
}

}  // namespace

int physical_cores(const std::string& sysfs_cpu_dir, const std::vector<int>& cpus) {
  std::set<std::pair<long, long>> cores;  // (package, core)
  int unknown = 0;
  for (int cpu : cpus) {
    const std::string topology = sysfs_cpu_dir + "/cpu" + std::to_string(cpu) + "/topology/";
    long package = 0, core = 0;
    if (read_id(topology + "physical_package_id", package) && read_id(topology + "core_id", core))
      cores.insert({package, core});
    else
      ++unknown;
  }
  const int count = static_cast<int>(cores.size()) + unknown;
  return count > 0 ? count : 1;
}

int physical_cores() {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof mask, &mask) == 0) {
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
      if (CPU_ISSET(cpu, &mask)) cpus.push_back(cpu);
  }
  return physical_cores("/sys/devices/system/cpu", cpus);
}

}  // namespace gptoss::engine

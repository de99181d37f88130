// How many compute threads to run by default: one per physical core this process may use.
// Two hardware threads of one core share its FMA units and caches, so a second compute thread on
// a core slows the matvecs down rather than helping (llama.cpp defaults to physical cores too).
#pragma once

#include <string>
#include <vector>

namespace gptoss::engine {

// Physical cores (distinct package and core ids) among the CPUs in this process's affinity mask;
// at least 1.
int physical_cores();

// The same for the given CPUs, reading `<sysfs_cpu_dir>/cpu<N>/topology/{physical_package_id,
// core_id}`; a CPU whose topology cannot be read counts as a core of its own.
int physical_cores(const std::string& sysfs_cpu_dir, const std::vector<int>& cpus);

}  // namespace gptoss::engine

// The tail of a kernel bench's main(), after it registered one benchmark per kernel variant.
#pragma once

#include <benchmark/benchmark.h>

inline int run_registered_benchmarks(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

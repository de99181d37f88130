#include "reference/q8_reference.h"

#include <algorithm>
#include <cmath>

namespace gptoss::reference {

namespace {
constexpr int kBlock = 32;
}

double q8_dot(const int8_t* q, const float* s, const float* x, int cols, double* magnitude) {
  double sum = 0, abs_sum = 0;
  for (int c = 0; c < cols; ++c) {
    const double term = static_cast<double>(s[c / kBlock]) * q[c] * x[c];
    sum += term;
    abs_sum += std::fabs(term);
  }
  if (magnitude) *magnitude = abs_sum;
  return sum;
}

double q8_input_rounding_bound(const int8_t* q, const float* s, const float* x, int cols) {
  double bound = 0;
  for (int b = 0; b < cols / kBlock; ++b) {
    double weight_abs = 0, x_max = 0;
    for (int c = b * kBlock; c < (b + 1) * kBlock; ++c) {
      weight_abs += std::abs(static_cast<int>(q[c]));
      x_max = std::max(x_max, std::fabs(static_cast<double>(x[c])));
    }
    bound += s[b] * weight_abs * (x_max / 127) / 2;
  }
  return bound;
}

}  // namespace gptoss::reference

// The 8-bit block format's arithmetic in double, written apart from the kernels
// (src/engine/matvec_q8.*): a row of 32-value blocks w[c] = s_b q[c] dotted with a float vector,
// and how far quantising that vector to the same format can move the result.
#pragma once

#include <cstdint>

namespace gptoss::reference {

// Sum over c < cols of s[c / 32] q[c] x[c], in double; also sum of |each term| in *magnitude.
double q8_dot(const int8_t* q, const float* s, const float* x, int cols, double* magnitude);

// The most that replacing x by its 8-bit blocks (each value rounded to the nearest multiple of
// max|x over its block| / 127) can change q8_dot: each value moves by at most half a step, so
// sum over blocks of (s_b sum |q[c]|) x (max|x_b| / 127) / 2.
double q8_input_rounding_bound(const int8_t* q, const float* s, const float* x, int cols);

}  // namespace gptoss::reference

// NumPy .npy files (format 1.0), float32, little-endian: what `logits` and `inspect` write so a
// notebook can np.load them.
#pragma once

#include <cstddef>
#include <span>
#include <string>

namespace gptoss::ui {

// Writes data with the given shape (the product of shape must equal data.size()). Throws
// gptoss::Error naming the path if it cannot be written.
void write_npy_f32(const std::string& path, std::span<const float> data, std::span<const size_t> shape);

}  // namespace gptoss::ui

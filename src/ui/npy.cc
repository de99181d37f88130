#include "ui/npy.h"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "common/error.h"

namespace gptoss::ui {

// Magic, version, header length (u16 LE), then a Python dict literal padded with spaces to a
// multiple of 64 bytes and ended by '\n', then the raw little-endian data.
void write_npy_f32(const std::string& path, std::span<const float> data, std::span<const size_t> shape) {
  size_t count = 1;
  std::string dims;  // "3, 4" for a matrix; Python writes a 1-tuple as "3,"
  for (size_t i = 0; i < shape.size(); ++i) {
    count *= shape[i];
    dims += (i ? ", " : "") + std::to_string(shape[i]);
  }
  if (shape.size() == 1) dims += ",";
  if (count != data.size())
    throw gptoss::Error(path + ": npy shape holds " + std::to_string(count) + " values, data " +
                        std::to_string(data.size()));
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  const size_t preamble = 10;  // magic (6) + version (2) + length (2)
  const size_t total = preamble + dict.size() + 1;
  dict.append((64 - total % 64) % 64, ' ');
  dict.push_back('\n');
  const uint16_t header_len = static_cast<uint16_t>(dict.size());
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw gptoss::Error(path + ": cannot open for writing: " + std::strerror(errno));
  const unsigned char magic[8] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  const unsigned char len[2] = {static_cast<unsigned char>(header_len & 0xFF),
                                static_cast<unsigned char>(header_len >> 8)};
  bool ok = std::fwrite(magic, 1, 8, f) == 8 && std::fwrite(len, 1, 2, f) == 2 &&
            std::fwrite(dict.data(), 1, dict.size(), f) == dict.size() &&
            std::fwrite(data.data(), sizeof(float), data.size(), f) == data.size();  // x86: little-endian
  ok = (std::fclose(f) == 0) && ok;
  if (!ok) throw gptoss::Error(path + ": write failed: " + std::strerror(errno));
}

}  // namespace gptoss::ui

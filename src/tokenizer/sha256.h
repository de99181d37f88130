// SHA-256 (FIPS 180-4), only to check that the shipped vocabulary is the expected file.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

namespace gptoss::tokenizer {

// The 32-byte digest of `data`. The x86 SHA extensions are used when the CPU has them and
// use_sha_extensions is set (tests turn it off to check the portable code too).
std::array<uint8_t, 32> sha256(std::span<const uint8_t> data, bool use_sha_extensions = true);
// The digest as 64 lowercase hex digits.
std::string sha256_hex(std::span<const uint8_t> data, bool use_sha_extensions = true);

}  // namespace gptoss::tokenizer

// The safetensors reader against hand-built byte spans: one good file, then one named case per
// broken input (as llama.cpp's test-gguf.cpp does), each made from the good file's header.
#include "engine/safetensors.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "reference/temp_dir.h"

namespace gptoss::engine {
namespace {

constexpr const char* kFile = "unit.safetensors";

// The good file: "w" BF16 [2, 3] at data [0, 12), "b" U8 [4] at [12, 16).
const std::string kGoodHeader = R"({"__metadata__":{"format":"pt"},)"
                                R"("w":{"dtype":"BF16","shape":[2,3],"data_offsets":[0,12]},)"
                                R"("b":{"dtype":"U8","shape":[4],"data_offsets":[12,16]}})";

// 8-byte LE length, the header padded with spaces to 8 bytes, then data bytes 0, 1, 2, ...
std::vector<uint8_t> file_bytes(std::string header, size_t data_bytes = 16) {
  header.append((8 - header.size() % 8) % 8, ' ');
  std::vector<uint8_t> bytes;
  for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<uint8_t>(static_cast<uint64_t>(header.size()) >> (8 * i)));
  for (char c : header) bytes.push_back(static_cast<uint8_t>(c));
  for (size_t i = 0; i < data_bytes; ++i) bytes.push_back(static_cast<uint8_t>(i));
  return bytes;
}

std::vector<uint8_t> with_length(uint64_t length, size_t total_bytes) {
  std::vector<uint8_t> bytes(total_bytes, ' ');
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<uint8_t>(length >> (8 * i));
  return bytes;
}

// Parses `bytes`, expecting `problem`; the one-line message must name the file and `where`.
void expect_problem(const std::vector<uint8_t>& bytes, SafetensorsProblem problem, const std::string& where) {
  try {
    SafetensorsHeader::parse(bytes, kFile);
    FAIL() << "parsed a broken header; expected problem " << static_cast<int>(problem);
  } catch (const SafetensorsError& e) {
    const std::string message = e.what();
    EXPECT_EQ(e.problem(), problem) << message;
    EXPECT_EQ(message.rfind(std::string(kFile) + ": " + where + ": ", 0), 0u) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

TEST(Safetensors, kGoodFileParses) {
  const std::vector<uint8_t> bytes = file_bytes(kGoodHeader);
  const SafetensorsHeader header = SafetensorsHeader::parse(bytes, kFile);
  ASSERT_EQ(header.tensors().size(), 2u);
  const uint64_t data_start = bytes.size() - 16;

  const TensorEntry* w = header.find("w");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->dtype, Dtype::kBF16);
  EXPECT_EQ(w->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(w->data_offset, data_start);
  EXPECT_EQ(w->data_bytes, 12u);
  EXPECT_EQ(w->data, bytes.data() + data_start);

  const TensorEntry* b = header.find("b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->dtype, Dtype::kU8);
  EXPECT_EQ(b->data_offset, data_start + 12);
  EXPECT_EQ(b->data[0], 12);  // data bytes are 0, 1, 2, ...
  EXPECT_EQ(b->data[3], 15);

  EXPECT_EQ(header.find("missing"), nullptr);
  EXPECT_EQ(header.metadata().at("format"), "pt");
  EXPECT_EQ(header.tensors()[0].name, "w");  // in data order
}

TEST(Safetensors, kScalarAndEmptyTensors) {
  // shape [] holds one element; a zero-sized tensor may sit anywhere in the data.
  const std::vector<uint8_t> bytes = file_bytes(
      R"({"s":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"z":{"dtype":"U8","shape":[0,5],"data_offsets":[2,2]}})",
      4);
  const SafetensorsHeader header = SafetensorsHeader::parse(bytes, kFile);
  EXPECT_EQ(header.find("s")->data_bytes, 4u);
  EXPECT_EQ(header.find("z")->data_bytes, 0u);
}

TEST(Safetensors, DtypeSizes) {
  EXPECT_EQ(dtype_bytes(Dtype::kBF16), 2u);
  EXPECT_EQ(dtype_bytes(Dtype::kU8), 1u);
  EXPECT_EQ(dtype_bytes(Dtype::kF32), 4u);
  EXPECT_EQ(dtype_bytes(Dtype::kI64), 8u);
  EXPECT_STREQ(dtype_name(Dtype::kBF16), "BF16");
  EXPECT_STREQ(dtype_name(Dtype::kF8E4M3), "F8_E4M3");
}

TEST(Safetensors, kFileTooShort) {
  expect_problem(std::vector<uint8_t>(7, 0), SafetensorsProblem::kFileTooShort, "header");
  expect_problem({}, SafetensorsProblem::kFileTooShort, "header");
}

TEST(Safetensors, kHeaderTooLong) {
  expect_problem(with_length(SafetensorsHeader::kMaxHeaderBytes + 1, 64), SafetensorsProblem::kHeaderTooLong,
                 "header");
  expect_problem(with_length(~0ull, 64), SafetensorsProblem::kHeaderTooLong, "header");  // 8 + n would wrap
}

TEST(Safetensors, kHeaderPastEnd) {
  expect_problem(with_length(57, 64), SafetensorsProblem::kHeaderPastEnd, "header");
  std::vector<uint8_t> good = file_bytes(kGoodHeader, 0);
  good.pop_back();  // the header's last byte is missing
  expect_problem(good, SafetensorsProblem::kHeaderPastEnd, "header");
}

TEST(Safetensors, kBadJson) {
  expect_problem(file_bytes(R"({"w":{"dtype":"BF16",)"), SafetensorsProblem::kBadJson, "header");
  expect_problem(file_bytes("[1, 2, 3]"), SafetensorsProblem::kBadJson, "header");
  expect_problem(file_bytes(std::string("{\"w\":\0}", 7)), SafetensorsProblem::kBadJson, "header");
}

// nlohmann parses recursively: a header nested 100,000 levels deep overflowed the stack.
TEST(Safetensors, kNestedTooDeeply) {
  expect_problem(file_bytes(R"({"__metadata__":)" + std::string(100000, '[')), SafetensorsProblem::kBadJson,
                 "header: 1:" + std::to_string(16 + 256));
}

// Names and strings from the file are quoted at most 80 bytes long.
TEST(Safetensors, HugeNamesAreQuotedShort) {
  const std::string name(1 << 16, 'n');
  try {
    SafetensorsHeader::parse(file_bytes(R"({")" + name + R"(":{"dtype":")" + std::string(1 << 16, 'D') +
                                        R"(","shape":[2,3],"data_offsets":[0,12]}})"),
                             kFile);
    FAIL() << "parsed an unknown dtype";
  } catch (const SafetensorsError& e) {
    EXPECT_EQ(std::string(e.what()), std::string(kFile) + ": " + std::string(80, 'n') +
                                         "...: unknown dtype \"" + std::string(80, 'D') + "...\"");
  }
}

TEST(Safetensors, kBadEntry) {
  expect_problem(file_bytes(R"({"w":{"shape":[2,3],"data_offsets":[0,12]}})"), SafetensorsProblem::kBadEntry,
                 "w");
  expect_problem(file_bytes(R"({"w":{"dtype":"BF16","shape":[2,-3],"data_offsets":[0,12]}})"),
                 SafetensorsProblem::kBadEntry, "w");
  expect_problem(file_bytes(R"({"w":{"dtype":"BF16","shape":[2,3],"data_offsets":[0]}})"),
                 SafetensorsProblem::kBadEntry, "w");
  expect_problem(file_bytes(R"({"w":{"dtype":"BF16","shape":[2,3],"data_offsets":[0,12.5]}})"),
                 SafetensorsProblem::kBadEntry, "w");
  expect_problem(file_bytes(R"({"w":7})"), SafetensorsProblem::kBadEntry, "w");
}

TEST(Safetensors, kUnknownDtype) {
  expect_problem(file_bytes(R"({"w":{"dtype":"Q4_0","shape":[2,3],"data_offsets":[0,12]}})"),
                 SafetensorsProblem::kUnknownDtype, "w");
}

TEST(Safetensors, ControlCharactersFromTheFileAreEscaped) {
  // A name and a dtype holding a newline: the message stays on one line (expect_problem checks).
  expect_problem(file_bytes(R"({"a\nb":{"dtype":"Q4\n0","shape":[2],"data_offsets":[0,2]}})"),
                 SafetensorsProblem::kUnknownDtype, "a\\nb");
  try {
    SafetensorsHeader::parse(file_bytes(R"({"w":{"dtype":"Q4\n0","shape":[2],"data_offsets":[0,2]}})"),
                             kFile);
    FAIL() << "accepted dtype Q4<newline>0";
  } catch (const SafetensorsError& e) {
    EXPECT_EQ(std::string(e.what()), std::string(kFile) + ": w: unknown dtype \"Q4\\n0\"");
  }
}

TEST(Safetensors, kOverflow) {
  // 2^40 x 2^40 elements: the count does not fit 64 bits.
  expect_problem(
      file_bytes(R"({"w":{"dtype":"U8","shape":[1099511627776,1099511627776],"data_offsets":[0,16]}})"),
      SafetensorsProblem::kOverflow, "w");
  // 2^62 F32 elements: the count fits, the byte size does not.
  expect_problem(file_bytes(R"({"w":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,16]}})"),
                 SafetensorsProblem::kOverflow, "w");
}

TEST(Safetensors, kSizeMismatch) {
  expect_problem(file_bytes(R"({"w":{"dtype":"BF16","shape":[2,3],"data_offsets":[0,10]}})"),
                 SafetensorsProblem::kSizeMismatch, "w");
  expect_problem(file_bytes(R"({"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,12]}})"),
                 SafetensorsProblem::kSizeMismatch, "w");
}

TEST(Safetensors, kOffsetPastEnd) {
  expect_problem(file_bytes(R"({"w":{"dtype":"BF16","shape":[8],"data_offsets":[4,20]}})"),
                 SafetensorsProblem::kOffsetPastEnd, "w");
  expect_problem(file_bytes(R"({"w":{"dtype":"U8","shape":[0],"data_offsets":[17,17]}})"),
                 SafetensorsProblem::kOffsetPastEnd, "w");
  expect_problem(file_bytes(R"({"w":{"dtype":"U8","shape":[4],"data_offsets":[12,8]}})"),
                 SafetensorsProblem::kOffsetPastEnd, "w");
  // begin + size wraps around 2^64
  expect_problem(file_bytes(R"({"w":{"dtype":"U8","shape":[2],"data_offsets":[18446744073709551615,1]}})"),
                 SafetensorsProblem::kOffsetPastEnd, "w");
}

TEST(Safetensors, kTruncatedData) {
  // The good header over 15 data bytes: the file is shorter than its header says.
  expect_problem(file_bytes(kGoodHeader, 15), SafetensorsProblem::kOffsetPastEnd, "b");
}

TEST(Safetensors, kOverlap) {
  expect_problem(file_bytes(R"({"w":{"dtype":"BF16","shape":[2,3],"data_offsets":[0,12]},)"
                            R"("b":{"dtype":"U8","shape":[4],"data_offsets":[10,14]}})"),
                 SafetensorsProblem::kOverlap, "b");
  // a tensor wholly inside an earlier, longer one
  expect_problem(file_bytes(R"({"w":{"dtype":"U8","shape":[16],"data_offsets":[0,16]},)"
                            R"("a":{"dtype":"U8","shape":[2],"data_offsets":[4,6]},)"
                            R"("c":{"dtype":"U8","shape":[2],"data_offsets":[8,10]}})"),
                 SafetensorsProblem::kOverlap, "a");
}

TEST(Safetensors, kDuplicate) {
  expect_problem(file_bytes(R"({"w":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},)"
                            R"("w":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}})"),
                 SafetensorsProblem::kDuplicate, "w");
  expect_problem(file_bytes(R"({"w":{"dtype":"U8","dtype":"BF16","shape":[4],"data_offsets":[0,4]}})"),
                 SafetensorsProblem::kDuplicate, "dtype");
}

TEST(Safetensors, kMisaligned) {
  expect_problem(file_bytes(R"({"w":{"dtype":"BF16","shape":[2],"data_offsets":[1,5]}})"),
                 SafetensorsProblem::kMisaligned, "w");
}

TEST(MappedFile, kGoodFileMaps) {
  testing::TempDir dir;
  const std::vector<uint8_t> bytes = file_bytes(kGoodHeader);
  const std::string path = dir / "good.safetensors";
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);

  MappedFile file(path);
  EXPECT_EQ(file.size_bytes(), bytes.size());
  EXPECT_EQ(file.header().file(), path);
  const TensorEntry* b = file.header().find("b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(std::memcmp(b->data, bytes.data() + b->data_offset, 4), 0);
  EXPECT_EQ(b->data, file.bytes().data() + b->data_offset);
}

TEST(MappedFile, kTruncatedFile) {
  testing::TempDir dir;
  std::vector<uint8_t> bytes = file_bytes(kGoodHeader);
  bytes.resize(bytes.size() - 3);
  const std::string path = dir / "short.safetensors";
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
  try {
    MappedFile file(path);
    FAIL() << "mapped a truncated file";
  } catch (const SafetensorsError& e) {
    EXPECT_EQ(e.problem(), SafetensorsProblem::kOffsetPastEnd);
    EXPECT_EQ(std::string(e.what()).rfind(path + ": b: ", 0), 0u) << e.what();
  }
}

TEST(MappedFile, kEmptyAndMissingFiles) {
  testing::TempDir dir;
  const std::string empty = dir / "empty.safetensors";
  std::fclose(std::fopen(empty.c_str(), "wb"));
  try {
    MappedFile file(empty);
    FAIL() << "mapped an empty file";
  } catch (const SafetensorsError& e) {
    EXPECT_EQ(e.problem(), SafetensorsProblem::kFileTooShort);
  }
  try {
    MappedFile file(dir / "absent.safetensors");
    FAIL() << "mapped a missing file";
  } catch (const SafetensorsError& e) {
    EXPECT_EQ(e.problem(), SafetensorsProblem::kIo);
    EXPECT_NE(std::string(e.what()).find("absent.safetensors"), std::string::npos);
  }
}

}  // namespace
}  // namespace gptoss::engine

// /inspect in the plain chat, on a fake backend: the notice for a remote model, the table, and a
// token's detail with the lens the backend computed for that token.
#include "ui/plain_inspect.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <span>
#include <stdexcept>
#include <tuple>

#include "tokenizer/tokenizer.h"

namespace gptoss::ui {
namespace {

class FakeBackend : public chat::Backend {
 public:
  const chat::BackendInfo& info() const override { return info_; }
  chat::GenerateResult generate(const chat::GenerateRequest&, const chat::GenerateCallbacks&,
                                const std::atomic<bool>&) override {
    throw std::logic_error("not used");
  }
  size_t cached_tokens() const override { return 0; }
  std::shared_ptr<const chat::TurnInspection> inspect_last_reply() override { return record_; }
  std::vector<chat::LensTop> lens(int row, int top) override {
    lens_rows.push_back(row);
    return std::vector<chat::LensTop>(1, {std::vector<int32_t>(top, lens_id), std::vector<float>(top, 1.0f)});
  }

  chat::BackendInfo info_;
  std::shared_ptr<chat::TurnInspection> record_;
  std::vector<int> lens_rows;
  int32_t lens_id = 0;
};

const tokenizer::Tokenizer& tok() {
  static const auto t = tokenizer::Tokenizer::load_default();
  return *t;
}

std::string piece(int32_t id) { return tok().decode(std::span<const int32_t>(&id, 1)); }

// Runs plain_inspect; returns {stdout, stderr}.
std::pair<std::string, std::string> run(FakeBackend& b, const std::string& arg) {
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  plain_inspect(b, tok(), arg, out, err);
  auto read = [](std::FILE* f) {
    std::rewind(f);
    std::string s;
    for (int c; (c = std::fgetc(f)) != EOF;) s += static_cast<char>(c);
    std::fclose(f);
    return s;
  };
  std::string o = read(out);
  return {o, read(err)};
}

TEST(PlainInspectTest, ARemoteModelGetsOneLine) {
  FakeBackend b;
  b.info_.remote = true;
  const auto [out, err] = run(b, "");
  EXPECT_EQ(out, "");
  EXPECT_EQ(err, "/inspect needs the local engine: a remote server does not say how it made its answer\n");
}

TEST(PlainInspectTest, NothingBeforeTheFirstAnswer) {
  FakeBackend b;
  const auto [out, err] = run(b, "");
  EXPECT_EQ(out, "");
  EXPECT_NE(err.find("nothing to inspect yet"), std::string::npos) << err;
}

TEST(PlainInspectTest, TableAndDetail) {
  FakeBackend b;
  auto r = std::make_shared<chat::TurnInspection>();
  r->layers = 1;
  r->experts_per_token = 1;
  r->heads = 1;
  r->experts = 4;
  const int32_t hi = tok().encode("Hi")[0], there = tok().encode(" there")[0];
  ASSERT_EQ(piece(hi), "Hi");
  ASSERT_EQ(piece(there), " there");
  r->tokens = {hi, there};
  r->picked = {3, 2};
  r->weights = {1.0f, 1.0f};
  r->sink_shares = {0.25f, 0.5f};
  b.record_ = r;
  b.lens_id = hi;
  auto [out, err] = run(b, "");
  EXPECT_EQ(err, "");
  EXPECT_NE(out.find("    1  Hi             3\n    2   there         2\n"), std::string::npos) << out;
  EXPECT_TRUE(b.lens_rows.empty()) << "the table needs no lens";

  std::tie(out, err) = run(b, "2");
  EXPECT_EQ(b.lens_rows, std::vector<int>{1});
  EXPECT_NE(out.find("token 2/2 ' there' (id " + std::to_string(there) + ")"), std::string::npos) << out;
  EXPECT_NE(out.find("\nL0  e2 100%  sink 50%  lens 'Hi' 'Hi' 'Hi' 'Hi' 'Hi'\n"), std::string::npos) << out;

  std::tie(out, err) = run(b, "3");
  EXPECT_EQ(out, "");
  EXPECT_EQ(err, "/inspect 3: the last answer has 2 tokens\n");
}

}  // namespace
}  // namespace gptoss::ui

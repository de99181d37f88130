// A session's KV cache file (session_cache.h) on the tiny random model: saved beside the session,
// restored into a fresh backend so the next turn reuses ~all of its prompt, and refused with a
// one-line notice (the conversation then prefilled as without one) when it does not fit.
#include "chat/session_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <variant>

#include "chat/local_backend.h"
#include "chat/session_store.h"
#include "engine/test_model.h"
#include "reference/temp_dir.h"
#include "tokenizer/tokenizer.h"

namespace gptoss::chat {
namespace {

namespace fs = std::filesystem;
namespace special = tokenizer::special;

class SessionCacheTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new gptoss::testing::TempDir;
    for (int i = 0; i < 2; ++i) {
      engine::TestModelOptions options;
      options.seed = 21 + i;  // same shape, other weights
      const std::string model_dir = (dir_->path() / ("model" + std::to_string(i))).string();
      engine::write_test_model(model_dir, *engine::find_test_model_preset("tiny"), options);
      models_[i] = new LocalModel(open_local_model(model_dir, {.threads = 1}));
    }
    tokenizer_ = new std::shared_ptr<const tokenizer::Tokenizer>(tokenizer::Tokenizer::load_default());
  }
  static void TearDownTestSuite() {
    for (auto*& m : models_) delete m;
    delete tokenizer_;
    delete dir_;  // and its folder
  }
  void SetUp() override {
    sessions_ = dir_->path() / ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::create_directories(sessions_);
  }

  std::unique_ptr<ChatSession> make_session(SessionState state, int model = 0) {
    return std::make_unique<ChatSession>(std::make_shared<LocalBackend>(*models_[model]), *tokenizer_,
                                         std::move(state), "2026-11-23");
  }
  static SessionState small_state() {
    SessionState state;
    state.settings.context_tokens = 1024;
    state.settings.max_new_tokens = 64;
    state.settings.sampling.temperature = 0;  // greedy
    return state;
  }
  static std::vector<int32_t> encode(const std::string& text) { return (*tokenizer_)->encode(text); }
  // A reply with reasoning and an answer; the next prompt drops the reasoning.
  static std::vector<int32_t> reply(const std::string& thought, const std::string& answer) {
    std::vector<int32_t> ids = {special::kChannel};
    auto add = [&](const std::vector<int32_t>& more) { ids.insert(ids.end(), more.begin(), more.end()); };
    add(encode("analysis"));
    ids.push_back(special::kMessage);
    add(encode(thought));
    ids.insert(ids.end(), {special::kEnd, special::kStart});
    add(encode("assistant"));
    ids.push_back(special::kChannel);
    add(encode("final"));
    ids.push_back(special::kMessage);
    add(encode(answer));
    ids.push_back(special::kReturn);
    return ids;
  }
  static void script(ChatSession& session, const std::vector<int32_t>& ids) {
    auto queue = std::make_shared<std::deque<int32_t>>(ids.begin(), ids.end());
    static_cast<LocalBackend&>(session.backend()).set_token_picker([queue](std::span<const float>) {
      const int32_t t = queue->empty() ? special::kReturn : queue->front();
      if (!queue->empty()) queue->pop_front();
      return t;
    });
  }
  static TurnStats turn(ChatSession& session, const std::string& text) {
    std::atomic<bool> cancel{false};
    return session.run_turn(
        text, [](const ChatEvent&) {}, cancel);
  }

  // A two-turn conversation saved with its cache at sessions_/name.json.
  std::string saved_session(const std::string& name) {
    auto session = make_session(small_state());
    script(*session, reply("They greet.", "Hello!"));
    turn(*session, "Hi there");
    script(*session, reply("A question about the sky.", "Because of Rayleigh scattering."));
    turn(*session, "Why is the sky blue?");
    const std::string path = (sessions_ / (name + ".json")).string();
    SessionFile file;
    file.state = session->state();
    save_session(path, file);
    EXPECT_EQ(save_session_cache(*session, path), "");
    return path;
  }

  std::string last_answer(const ChatSession& session) {
    const auto& m = session.conversation().messages;
    return m.empty() ? "" : m.back().content;
  }

  static gptoss::testing::TempDir* dir_;
  static LocalModel* models_[2];
  static std::shared_ptr<const tokenizer::Tokenizer>* tokenizer_;
  fs::path sessions_;
};

gptoss::testing::TempDir* SessionCacheTest::dir_ = nullptr;
LocalModel* SessionCacheTest::models_[2] = {};
std::shared_ptr<const tokenizer::Tokenizer>* SessionCacheTest::tokenizer_ = nullptr;

std::vector<std::string> files_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

TEST_F(SessionCacheTest, SaveThenLoadResumesWithoutPrefill) {
  const std::string path = saved_session("trip");
  EXPECT_EQ(files_in(sessions_), (std::vector<std::string>{"trip.json", "trip.kv"}));  // no temp files left

  auto resumed = make_session(load_session(path).state);
  const CacheRestore restored = restore_session_cache(*resumed, path);
  EXPECT_EQ(restored.notice, "");
  ASSERT_GT(restored.tokens, 0u);
  auto prefilled = make_session(load_session(path).state);  // the same session, without its cache

  // Greedy sampling on both: the restored cache (bf16) answers like a fresh prefill.
  const TurnStats with = turn(*resumed, "And sunsets?");
  const TurnStats without = turn(*prefilled, "And sunsets?");
  EXPECT_EQ(with.tokens_reused, restored.tokens);
  EXPECT_EQ(without.tokens_reused, 0u);
  EXPECT_EQ(with.tokens_reused + with.tokens_prefilled, without.tokens_prefilled);
  // Left to compute: the last answer (its reasoning dropped, so the cache diverged there) and the
  // new question, a small part of the prompt.
  EXPECT_LT(with.tokens_prefilled * 4, with.tokens_reused);
  EXPECT_EQ(last_answer(*resumed), last_answer(*prefilled));
  EXPECT_EQ(with.tokens_generated, without.tokens_generated);
}

TEST_F(SessionCacheTest, NoCacheFileRestoresNothingSilently) {
  const std::string path = saved_session("plain");
  fs::remove(kv_cache_path(path));
  auto session = make_session(load_session(path).state);
  const CacheRestore r = restore_session_cache(*session, path);
  EXPECT_EQ(r.tokens, 0u);
  EXPECT_EQ(r.notice, "");
}

// Each way a cache file can fail to fit: a one-line notice naming the file, nothing restored, and
// the next turn prefills the whole prompt.
TEST_F(SessionCacheTest, CacheThatDoesNotFitIsANoticeAndAPrefill) {
  const std::string path = saved_session("odd");
  const std::string kv = kv_cache_path(path);
  std::string good;
  {
    std::ifstream in(kv, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    good = s.str();
  }
  auto check = [&](const std::string& what, const std::string& bytes, SessionState state, int model,
                   const std::string& field) {
    SCOPED_TRACE(what);
    std::ofstream(kv, std::ios::binary | std::ios::trunc) << bytes;
    auto session = make_session(std::move(state), model);
    const CacheRestore r = restore_session_cache(*session, path);
    EXPECT_EQ(r.tokens, 0u);
    EXPECT_NE(r.notice.find(kv + ": " + field + ": "), std::string::npos) << r.notice;
    EXPECT_EQ(r.notice.find('\n'), std::string::npos);
    const TurnStats stats = turn(*session, "Next?");
    EXPECT_EQ(stats.tokens_reused, 0u);
  };
  const SessionState state = load_session(path).state;
  check("truncated", good.substr(0, good.size() / 3), state, 0, "size");
  check("header only", good.substr(0, 30), state, 0, "header");
  std::string flipped = good;
  flipped[good.size() / 2] ^= 0x40;
  check("flipped byte", flipped, state, 0, "checksum");
  check("not a cache", std::string(4096, 'x'), state, 0, "magic");
  check("another model", good, state, 1, "fingerprint");
  SessionState edited = state;
  edited.conversation.messages.front().content = "Hi there, edited";
  check("conversation edited", good, edited, 0, "tokens");
  std::string big = good + std::string(good.size() * 40, '\0');  // beyond any cache of 1024 tokens
  check("too large", big, state, 0, "size");
}

TEST_F(SessionCacheTest, BackendHoldingNothingRemovesAStaleFile) {
  const std::string path = saved_session("stale");
  auto fresh = make_session(load_session(path).state);  // its backend has computed nothing
  EXPECT_EQ(save_session_cache(*fresh, path), "");
  EXPECT_FALSE(fs::exists(kv_cache_path(path)));
}

// A backend that keeps no cache here, as a remote one: nothing written, nothing removed.
class NoCacheBackend : public Backend {
 public:
  NoCacheBackend() { info_.remote = true; }
  const BackendInfo& info() const override { return info_; }
  GenerateResult generate(const GenerateRequest&, const GenerateCallbacks&,
                          const std::atomic<bool>&) override {
    return {};
  }
  size_t cached_tokens() const override { return 0; }

 private:
  BackendInfo info_;
};

TEST_F(SessionCacheTest, RemoteBackendNeverWritesOrReadsOne) {
  ChatSession session(std::make_shared<NoCacheBackend>(), *tokenizer_, small_state(), "2026-11-23");
  const std::string path = (sessions_ / "remote.json").string();
  EXPECT_EQ(save_session_cache(session, path), "");
  EXPECT_FALSE(fs::exists(kv_cache_path(path)));
  std::ofstream(kv_cache_path(path)) << "not ours";
  EXPECT_EQ(save_session_cache(session, path), "");
  EXPECT_TRUE(fs::exists(kv_cache_path(path)));
  const CacheRestore r = restore_session_cache(session, path);
  EXPECT_EQ(r.tokens, 0u);
  EXPECT_EQ(r.notice, "");
}

TEST_F(SessionCacheTest, ListingShowsTheCacheSize) {
  const std::string path = saved_session("listed");
  const std::vector<SessionListing> list = list_sessions(sessions_.string());
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].size_bytes, fs::file_size(path));
  EXPECT_EQ(list[0].kv_bytes, fs::file_size(kv_cache_path(path)));
  EXPECT_GT(list[0].kv_bytes, 0u);
}

TEST(KvCachePath, BesideTheSessionFile) {
  EXPECT_EQ(kv_cache_path("/a/b/trip.json"), "/a/b/trip.kv");
  EXPECT_EQ(kv_cache_path("notes"), "notes.kv");
  EXPECT_EQ(kv_cache_path("x.json.bak"), "x.json.bak.kv");
}

}  // namespace
}  // namespace gptoss::chat

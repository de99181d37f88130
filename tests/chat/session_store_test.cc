// Session files: layout, round trip, broken files (line:col, never modified), atomic save under
// injected failures, version checks and the version-0 migration, named sessions and listing.
#include "chat/session_store.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "chat/conversation.h"
#include "tokenizer/tokenizer.h"

namespace gptoss::chat {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "gptoss-session-test-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_bytes(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary);
  out << bytes;
}

Message msg(std::string role, std::optional<std::string> channel, std::string content) {
  Message m;
  m.role = std::move(role);
  m.channel = std::move(channel);
  m.content = std::move(content);
  return m;
}

// A session with every kind of content: non-default settings, a function tool, reasoning, a tool
// call and its result, non-ASCII text, two turns (one interrupted), a moved context window.
SessionFile sample_session() {
  SessionFile file;
  file.model_path = "/models/gpt-oss-20b";
  file.model_fingerprint = "abc123";
  SessionSettings& s = file.state.settings;
  s.effort = ReasoningEffort::kHigh;
  s.instructions = "Answer in French.\n";
  ToolDescription tool;
  tool.name = "get_weather";
  tool.description = "Weather for a city";
  tool.parameters = ordered_json::parse(
      R"({"type":"object","properties":{"zeta":{"type":"string"},"alpha":{"type":"number"}},"required":["zeta"]})");
  s.function_tools.push_back(tool);
  s.sampling.temperature = 0.7;
  s.sampling.top_p = 0.9;
  s.sampling.top_k = 40;
  s.sampling.seed = 1234567890123ull;
  s.context_tokens = 16384;
  s.max_new_tokens = 512;
  s.keep_reasoning = true;
  s.max_tool_rounds = 2;
  sync_headers(file.state, "2026-11-23");

  auto& m = file.state.conversation.messages;
  m.push_back(msg("user", std::nullopt, "Quel temps fait-il à Zürich? 🌧"));
  m.push_back(msg("assistant", "analysis", "Need the weather tool."));
  Message call = msg("assistant", "commentary", R"({"zeta":"Zürich"})");
  call.recipient = "functions.get_weather";
  call.content_type = "<|constrain|>json";
  m.push_back(call);
  Message result = msg("tool", "commentary", "12°C, rain");
  result.name = "functions.get_weather";
  result.recipient = "assistant";
  m.push_back(result);
  m.push_back(msg("assistant", "final", "Il pleut, 12°C."));
  m.push_back(msg("user", std::nullopt, "Et demain?"));
  m.push_back(msg("assistant", "final", "Je ne sais pa"));

  TurnRecord t1;
  t1.first_message = 0;
  t1.stats = {.tokens_reused = 0,
              .tokens_prefilled = 120,
              .tokens_generated = 40,
              .prefill_seconds = 1.5,
              .decode_seconds = 4.25,
              .tool_calls = 1,
              .dropped_turns = 0,
              .end = TurnEnd::kAnswered,
              .interrupted = false,
              .started_at = "2026-11-23T09:00:00Z"};
  TurnRecord t2;
  t2.first_message = 5;
  t2.stats = {.tokens_reused = 100,
              .tokens_prefilled = 30,
              .tokens_generated = 5,
              .prefill_seconds = 0.5,
              .decode_seconds = 0.75,
              .tool_calls = 0,
              .dropped_turns = 1,
              .end = TurnEnd::kCancelled,
              .interrupted = true,
              .started_at = "2026-11-23T09:01:00Z"};
  file.state.turns = {t1, t2};
  file.state.first_message = 5;
  return file;
}

struct EnvVar {
  std::string name;
  std::optional<std::string> old;
  EnvVar(std::string n, const char* value) : name(std::move(n)) {
    if (const char* v = std::getenv(name.c_str())) old = v;
    if (value) {
      ::setenv(name.c_str(), value, 1);
    } else {
      ::unsetenv(name.c_str());
    }
  }
  ~EnvVar() {
    if (old) {
      ::setenv(name.c_str(), old->c_str(), 1);
    } else {
      ::unsetenv(name.c_str());
    }
  }
};

TEST(SessionStoreTest, SaveWritesTheDocumentedLayout) {
  TempDir dir;
  SessionFile file = sample_session();
  const fs::path path = dir.path / "trip.json";
  save_session(path.string(), file);

  const ordered_json j = ordered_json::parse(read_bytes(path));
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.push_back(k);
  EXPECT_EQ(keys,
            (std::vector<std::string>{"format", "version", "created", "updated", "title", "model", "settings",
                                      "conversation", "first_message_in_context", "turns"}));
  EXPECT_EQ(j["format"], "gpt-oss-chat-session");
  EXPECT_EQ(j["version"], 1);
  const std::regex iso(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)");
  EXPECT_TRUE(std::regex_match(j["created"].get<std::string>(), iso)) << j["created"];
  EXPECT_TRUE(std::regex_match(j["updated"].get<std::string>(), iso)) << j["updated"];
  EXPECT_EQ(j["title"], "Quel temps fait-il à Zürich? 🌧");  // derived from the first question
  EXPECT_EQ(j["model"]["path"], "/models/gpt-oss-20b");
  EXPECT_EQ(j["model"]["fingerprint"], "abc123");
  EXPECT_EQ(j["settings"]["reasoning_effort"], "high");
  EXPECT_EQ(j["settings"]["top_k"], 40);
  EXPECT_EQ(j["settings"]["seed"], 1234567890123ull);
  // The conversation member is the spec section 9 shape, renderable by itself.
  EXPECT_EQ(j["conversation"], conversation_to_json(file.state.conversation));
  EXPECT_EQ(j["conversation"]["system"]["reasoning_effort"], "high");
  EXPECT_EQ(j["conversation"]["system"]["conversation_start_date"], "2026-11-23");
  EXPECT_EQ(j["turns"][1]["interrupted"], true);
  EXPECT_EQ(j["turns"][1]["end"], "cancelled");
  // Parameter key order survives (properties render in the given order).
  EXPECT_EQ(j["settings"]["function_tools"][0]["parameters"]["properties"].begin().key(), "zeta");
  // Chats are private.
  EXPECT_EQ(fs::status(path).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
}

TEST(SessionStoreTest, RoundTripKeepsEveryField) {
  TempDir dir;
  SessionFile file = sample_session();
  const fs::path path = dir.path / "trip.json";
  save_session(path.string(), file);
  SessionFile loaded = load_session(path.string());

  EXPECT_EQ(loaded.created, file.created);
  EXPECT_EQ(loaded.updated, file.updated);
  EXPECT_EQ(loaded.title, file.title);
  EXPECT_EQ(loaded.model_fingerprint, "abc123");
  const SessionSettings& s = loaded.state.settings;
  EXPECT_EQ(s.effort, ReasoningEffort::kHigh);
  EXPECT_EQ(s.instructions, "Answer in French.\n");
  ASSERT_EQ(s.function_tools.size(), 1u);
  EXPECT_EQ(s.function_tools[0].name, "get_weather");
  EXPECT_EQ(s.function_tools[0].parameters->dump(), file.state.settings.function_tools[0].parameters->dump());
  EXPECT_DOUBLE_EQ(s.sampling.temperature, 0.7);
  EXPECT_DOUBLE_EQ(s.sampling.top_p, 0.9);
  EXPECT_EQ(s.sampling.top_k, 40);
  EXPECT_EQ(s.sampling.seed, std::optional<uint64_t>(1234567890123ull));
  EXPECT_EQ(s.context_tokens, 16384);
  EXPECT_EQ(s.max_new_tokens, 512);
  EXPECT_TRUE(s.keep_reasoning);
  EXPECT_EQ(s.max_tool_rounds, 2);
  EXPECT_EQ(loaded.state.first_message, 5u);
  ASSERT_EQ(loaded.state.conversation.messages.size(), 7u);
  const Message& call = loaded.state.conversation.messages[2];
  EXPECT_EQ(call.recipient, std::optional<std::string>("functions.get_weather"));
  EXPECT_EQ(call.content_type, std::optional<std::string>("<|constrain|>json"));
  EXPECT_EQ(loaded.state.conversation.messages[0].content, "Quel temps fait-il à Zürich? 🌧");
  ASSERT_EQ(loaded.state.turns.size(), 2u);
  EXPECT_EQ(loaded.state.turns[1].first_message, 5u);
  EXPECT_TRUE(loaded.state.turns[1].stats.interrupted);
  EXPECT_EQ(loaded.state.turns[1].stats.end, TurnEnd::kCancelled);
  EXPECT_EQ(loaded.state.turns[0].stats.tokens_prefilled, 120u);
  EXPECT_DOUBLE_EQ(loaded.state.turns[0].stats.decode_seconds, 4.25);
  EXPECT_EQ(loaded.state.turns[0].stats.started_at, "2026-11-23T09:00:00Z");
  // Saving what was loaded gives the same JSON again (nothing dropped or reordered).
  EXPECT_EQ(session_to_json(loaded), session_to_json(file));
}

TEST(SessionStoreTest, RoundTripRendersTheSameNextPrompt) {
  auto tokenizer = tokenizer::Tokenizer::load_default();
  TempDir dir;
  for (bool keep_reasoning : {false, true}) {
    SessionFile file = sample_session();
    file.state.settings.keep_reasoning = keep_reasoning;
    file.state.first_message = 0;
    // A third question, so the first turn's reasoning is in a completed turn.
    file.state.conversation.messages.push_back(msg("user", std::nullopt, "Et après-demain?"));
    const fs::path path = dir.path / "r.json";
    save_session(path.string(), file);
    SessionFile loaded = load_session(path.string());
    const auto want = render_next_prompt(file.state, *tokenizer);
    EXPECT_EQ(render_next_prompt(loaded.state, *tokenizer), want);
    const std::string text = tokenizer->decode(want);
    EXPECT_EQ(text.find("Need the weather tool.") != std::string::npos, keep_reasoning);
    EXPECT_NE(text.find("Reasoning: high"), std::string::npos);
    EXPECT_TRUE(text.ends_with("<|start|>assistant")) << text;
  }
}

TEST(SessionStoreTest, CorruptFileReportsLineAndColumnAndIsNotModified) {
  TempDir dir;
  const fs::path path = dir.path / "bad.json";
  // Line 3: `  "version": 1;` -- the ';' is character 15 of line 3.
  const std::string text =
      "{\n  \"format\": \"gpt-oss-chat-session\",\n  \"version\": 1;\n  \"title\": \"x\"\n}\n";
  write_bytes(path, text);
  const auto mtime = fs::last_write_time(path);
  try {
    load_session(path.string());
    FAIL() << "expected an error";
  } catch (const SessionFileError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind(path.string() + ": 3:15: invalid JSON", 0), 0u) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << "one line";
  }
  EXPECT_EQ(read_bytes(path), text);
  EXPECT_EQ(fs::last_write_time(path), mtime);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()), 1);
}

TEST(SessionStoreTest, ColumnsCountCharactersNotBytes) {
  // Line 2 is `"é": x` -- 'x' is the 6th character (the 7th byte).
  try {
    parse_session("{\n\"é\": x}", "mem.json");
    FAIL() << "expected an error";
  } catch (const SessionFileError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("mem.json: 2:6: invalid JSON", 0), 0u) << e.what();
  }
}

TEST(SessionStoreTest, TruncatedFileSaysItEndsEarlyWithThePosition) {
  TempDir dir;
  SessionFile file = sample_session();
  const fs::path path = dir.path / "cut.json";
  save_session(path.string(), file);
  const std::string full = read_bytes(path);
  // Cut inside line 4 right after its 5th character.
  size_t cut = 0;
  for (int newlines = 0; newlines < 3; ++cut) newlines += full[cut] == '\n';
  cut += 5;
  const std::string truncated = full.substr(0, cut);
  write_bytes(path, truncated);
  try {
    load_session(path.string());
    FAIL() << "expected an error";
  } catch (const SessionFileError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind(path.string() + ": 4:6: file ends early", 0), 0u) << what;
  }
  EXPECT_EQ(read_bytes(path), truncated);
  // Empty file: line 1, column 1.
  write_bytes(path, "");
  try {
    load_session(path.string());
    FAIL() << "expected an error";
  } catch (const SessionFileError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(path.string() + ": 1:1: file ends early", 0), 0u) << e.what();
  }
}

std::string file_load_error(const std::string& path) {
  try {
    load_session(path);
  } catch (const SessionFileError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(SessionStoreTest, MissingFileIsAnErrorNamingIt) {
  EXPECT_EQ(file_load_error("/nonexistent/dir/x.json"),
            "/nonexistent/dir/x.json: open: No such file or directory");
}

TEST(SessionStoreTest, FolderIsRefusedAsAFolderNotAsATruncatedFile) {
  TempDir dir;
  const std::string path = (dir.path / "s.json").string();
  fs::create_directory(path);
  EXPECT_EQ(file_load_error(path), path + ": open: is a folder (expected a session file)");
  EXPECT_TRUE(fs::is_directory(path));
}

// Write succeeds for the first `budget` bytes, then fails with ENOSPC.
FileOps failing_write_after(size_t budget) {
  FileOps ops = posix_file_ops();
  auto left = std::make_shared<size_t>(budget);
  ops.write = [left](int fd, const void* data, size_t size) -> ssize_t {
    if (*left == 0) {
      errno = ENOSPC;
      return -1;
    }
    const size_t n = std::min(size, *left);
    *left -= n;
    return ::write(fd, data, n);
  };
  return ops;
}

TEST(SessionStoreTest, FailedSaveLeavesThePreviousFileIntact) {
  TempDir dir;
  const fs::path path = dir.path / "s.json";
  SessionFile first = sample_session();
  save_session(path.string(), first);
  const std::string before = read_bytes(path);

  SessionFile second = sample_session();
  second.title = "second version";
  second.state.conversation.messages.push_back(msg("user", std::nullopt, "more"));
  struct Case {
    const char* name;
    FileOps ops;
    const char* step;
  };
  std::vector<Case> cases;
  cases.push_back({"write fails midway", failing_write_after(100), "write failed"});
  cases.push_back({"write fails at once", failing_write_after(0), "write failed"});
  FileOps bad_fsync = posix_file_ops();
  bad_fsync.fsync = [](int) {
    errno = EIO;
    return -1;
  };
  cases.push_back({"fsync fails", bad_fsync, "fsync failed"});
  FileOps bad_rename = posix_file_ops();
  bad_rename.rename = [](const char*, const char*) {
    errno = EXDEV;
    return -1;
  };
  cases.push_back({"rename fails", bad_rename, "rename failed"});

  for (auto& c : cases) {
    SCOPED_TRACE(c.name);
    try {
      save_session(path.string(), second, c.ops);
      FAIL() << "expected an error";
    } catch (const SessionFileError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(c.step), std::string::npos) << what;
      EXPECT_NE(what.find("previous file is unchanged"), std::string::npos) << what;
    }
    EXPECT_EQ(read_bytes(path), before);
    // No temp file left behind.
    EXPECT_EQ(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()), 1);
  }
  // The untouched file still loads as the first version.
  EXPECT_EQ(load_session(path.string()).state.conversation.messages.size(), 7u);
}

TEST(SessionStoreTest, WritableCheckCreatesOnlyTheSessionsFolderAndLeavesNoFile) {
  TempDir dir;
  EnvVar xdg("XDG_DATA_HOME", (dir.path / "data").c_str());
  check_session_writable(session_path("s"));
  EXPECT_TRUE(fs::is_directory(sessions_dir()));
  EXPECT_TRUE(fs::is_empty(sessions_dir()));
  // Elsewhere no folder is made: a mistyped path is an error, not a new tree of folders.
  const fs::path elsewhere = dir.path / "a" / "b" / "s.json";
  try {
    check_session_writable(elsewhere.string());
    ADD_FAILURE() << "a session in a missing folder was accepted";
  } catch (const SessionFileError& e) {
    EXPECT_EQ(std::string(e.what()), elsewhere.string() + ": save: cannot create a temporary file in " +
                                         (dir.path / "a" / "b").string() + ": No such file or directory");
  }
  EXPECT_FALSE(fs::exists(dir.path / "a"));
  write_bytes(dir.path / "file", "x");
  EXPECT_THROW(check_session_writable((dir.path / "file" / "s.json").string()), SessionFileError);
}

TEST(SessionStoreTest, ShortWritesAreContinued) {
  TempDir dir;
  const fs::path path = dir.path / "s.json";
  FileOps trickle = posix_file_ops();
  int calls = 0;
  trickle.write = [&calls](int fd, const void* data, size_t size) -> ssize_t {
    ++calls;
    if (calls % 3 == 0) {  // an interrupted call now and then
      errno = EINTR;
      return -1;
    }
    return ::write(fd, data, std::min<size_t>(size, 7));
  };
  SessionFile file = sample_session();
  save_session(path.string(), file, trickle);
  EXPECT_GT(calls, 100);
  EXPECT_EQ(session_to_json(load_session(path.string())), session_to_json(file));
}

TEST(SessionStoreTest, SaveCreatesOnlyTheSessionsFolder) {
  TempDir dir;
  EnvVar xdg("XDG_DATA_HOME", (dir.path / "data").c_str());
  SessionFile file = sample_session();
  save_session(session_path("s"), file);
  EXPECT_TRUE(fs::exists(session_path("s")));
  const fs::path elsewhere = dir.path / "a" / "b" / "s.json";
  EXPECT_THROW(save_session(elsewhere.string(), file), SessionFileError);
  EXPECT_FALSE(fs::exists(dir.path / "a"));
}

// Saving used to rename the temp file over the link, turning it into a plain file.
TEST(SessionStoreTest, SaveThroughASymbolicLinkWritesItsTarget) {
  TempDir dir;
  fs::create_directories(dir.path / "real");
  const fs::path target = dir.path / "real" / "s.json", link = dir.path / "link.json",
                 link_to_link = dir.path / "link2.json";
  SessionFile first = sample_session();
  save_session(target.string(), first);
  fs::create_symlink("real/s.json", link);  // relative, as `ln -s` makes them
  fs::create_symlink(link, link_to_link);
  SessionFile second = sample_session();
  second.title = "through the links";
  save_session(link_to_link.string(), second);
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_TRUE(fs::is_symlink(link_to_link));
  EXPECT_EQ(load_session(target.string()).title, "through the links");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path / "real"), fs::directory_iterator()), 1);
}

// A save killed between creating its temp file and the rename leaves the temp behind; the next
// save of the same session removes it, but not a fresh one (a save in progress elsewhere) nor
// another session's.
TEST(SessionStoreTest, StaleTempFilesOfTheSameSessionAreRemovedOnTheNextSave) {
  TempDir dir;
  const fs::path stale = dir.path / ".s.json.tmp.Ab12Cd", fresh = dir.path / ".s.json.tmp.Ef34Gh",
                 other = dir.path / ".t.json.tmp.Ij56Kl", unrelated = dir.path / ".s.json.tmp.keep.me";
  for (const fs::path& p : {stale, fresh, other, unrelated}) write_bytes(p, "{\"partial");
  const auto old = fs::file_time_type::clock::now() - std::chrono::minutes(5);
  for (const fs::path& p : {stale, other, unrelated}) fs::last_write_time(p, old);
  SessionFile file = sample_session();
  save_session((dir.path / "s.json").string(), file);
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(fresh));
  EXPECT_TRUE(fs::exists(other));
  EXPECT_TRUE(fs::exists(unrelated));
  EXPECT_EQ(session_to_json(load_session((dir.path / "s.json").string())), session_to_json(file));
}

// /dev/zero or a huge file is refused at the cap instead of filling memory.
TEST(SessionStoreTest, EndlessFileIsRefusedAtTheCap) {
  try {
    load_session("/dev/zero");
    ADD_FAILURE() << "/dev/zero loaded";
  } catch (const SessionFileError& e) {
    EXPECT_EQ(std::string(e.what()), "/dev/zero: size: too large (expected at most 64 MiB, found more)");
  }
}

std::string valid_text_with(const std::function<void(ordered_json&)>& edit) {
  SessionFile file = sample_session();
  file.created = file.updated = "2026-11-23T09:00:00Z";
  ordered_json j = session_to_json(file);
  edit(j);
  return j.dump(2);
}

std::string load_error(const std::string& text) {
  try {
    parse_session(text, "f.json");
  } catch (const SessionFileError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(SessionStoreTest, DeeplyNestedFileIsRefusedBeforeItIsParsed) {
  // nlohmann's parse would recurse once per object level and overflow the stack.
  const std::string prefix = R"({"format": "gpt-oss-chat-session", "notes": )";  // level 1
  std::string deep = prefix;
  for (int i = 0; i < 100000; ++i) deep += R"({"a": )";  // levels 2, 3, ...
  const size_t level_257 = prefix.size() + 6 * 255;
  EXPECT_EQ(load_error(deep), "f.json: 1:" + std::to_string(level_257 + 1) +
                                  ": nested too deeply (expected at most 256 levels)");
  EXPECT_EQ(find_excess_json_nesting(R"({"[[[": "{{{", "k": [1]})", 1),
            20u);  // brackets in strings don't count
  EXPECT_EQ(find_excess_json_nesting(R"({"a\"[": [1]})", 2), std::string_view::npos);
}

// Found by fuzz_session: a number beyond a double is nlohmann's out_of_range, not a parse_error;
// it escaped parse_session (std::terminate in the fuzzer, an uncaught error in list_sessions).
TEST(SessionStoreTest, NumberBeyondADoubleIsAnErrorNamingTheFile) {
  const std::string what = load_error(R"({"format": "gpt-oss-chat-session", "version": 1E400})");
  EXPECT_EQ(what.rfind("f.json: number: invalid JSON: [json.exception.out_of_range.406] number overflow", 0),
            0u)
      << what;
}

TEST(SessionStoreTest, NewerVersionIsRefusedWithAClearMessage) {
  const std::string what = load_error(valid_text_with([](ordered_json& j) { j["version"] = 2; }));
  EXPECT_EQ(
      what.rfind(
          "f.json: version: written by a newer gpt-oss-chat (format version 2; this program reads up to 1)",
          0),
      0u)
      << what;
}

TEST(SessionStoreTest, OtherFilesAreRefused) {
  EXPECT_NE(
      load_error(R"({"format": "something-else", "version": 1})").find("not a gpt-oss-chat session file"),
      std::string::npos);
  EXPECT_NE(load_error("[1, 2]").find("expected a JSON object"), std::string::npos);
  EXPECT_NE(load_error(R"({"format": "gpt-oss-chat-session"})").find("version: missing"), std::string::npos);
}

TEST(SessionStoreTest, SchemaErrorsNameTheKey) {
  EXPECT_NE(load_error(valid_text_with([](ordered_json& j) {
              j["settings"]["top_p"] = "high";
            })).find("f.json: settings.top_p: expected a number"),
            std::string::npos);
  EXPECT_NE(load_error(valid_text_with([](ordered_json& j) {
              j["settings"]["reasoning_effort"] = "max";
            })).find("settings.reasoning_effort: expected \"low\", \"medium\" or \"high\""),
            std::string::npos);
  EXPECT_NE(load_error(valid_text_with([](ordered_json& j) {
              j["turns"][0]["first_message"] = 1;
            })).find("turns[0].first_message: expected a user message"),
            std::string::npos);
  EXPECT_NE(load_error(valid_text_with([](ordered_json& j) {
              j["turns"][1]["first_message"] = 70;
            })).find("turns[1].first_message: points past the last message"),
            std::string::npos);
  EXPECT_NE(load_error(valid_text_with([](ordered_json& j) {
              j["conversation"]["messages"][0]["role"] = 5;
            })).find("f.json: conversation: "),
            std::string::npos);
  EXPECT_NE(
      load_error(valid_text_with([](ordered_json& j) { j.erase("turns"); })).find("f.json: turns: missing"),
      std::string::npos);
}

// Version 0, the prototype's flat layout (docs/session-format.md): settings at the top level,
// "system_prompt", messages without a conversation object, no per-turn records.
TEST(SessionStoreTest, MigratesVersionZero) {
  const std::string v0 = R"({
    "format": "gpt-oss-chat-session", "version": 0, "saved": "2025-08-01T12:00:00Z",
    "model": "/models/old", "reasoning_effort": "low", "system_prompt": "Be brief.", "temperature": 0.5,
    "messages": [
      {"role": "user", "content": "Hi"},
      {"role": "assistant", "channel": "analysis", "content": "greet"},
      {"role": "assistant", "channel": "final", "content": "Hello!"},
      {"role": "user", "content": "Tell me a long story"},
      {"role": "assistant", "channel": "analysis", "content": "Once"}
    ]})";
  SessionFile f = parse_session(v0, "old.json");
  EXPECT_EQ(f.created, "2025-08-01T12:00:00Z");
  EXPECT_EQ(f.updated, "2025-08-01T12:00:00Z");
  EXPECT_EQ(f.title, "Hi");
  EXPECT_EQ(f.model_path, "/models/old");
  EXPECT_EQ(f.model_fingerprint, "");
  EXPECT_EQ(f.state.settings.effort, ReasoningEffort::kLow);
  EXPECT_EQ(f.state.settings.instructions, "Be brief.");
  EXPECT_DOUBLE_EQ(f.state.settings.sampling.temperature, 0.5);
  EXPECT_EQ(f.state.settings.context_tokens, SessionSettings{}.context_tokens);
  ASSERT_EQ(f.state.conversation.messages.size(), 5u);
  EXPECT_EQ(f.state.conversation.messages[2].channel, std::optional<std::string>("final"));
  ASSERT_EQ(f.state.turns.size(), 2u);
  EXPECT_EQ(f.state.turns[0].first_message, 0u);
  EXPECT_EQ(f.state.turns[0].stats.end, TurnEnd::kAnswered);
  EXPECT_EQ(f.state.turns[1].first_message, 3u);
  EXPECT_EQ(f.state.turns[1].stats.end, TurnEnd::kBudgetExhausted);  // no final answer followed
  EXPECT_EQ(f.state.first_message, 0u);

  // Saved again, it is a version-1 file.
  EXPECT_EQ(session_to_json(f)["version"], 1);
  EXPECT_EQ(session_to_json(parse_session(session_to_json(f).dump(), "x")), session_to_json(f));

  const std::string bad =
      load_error(R"({"format": "gpt-oss-chat-session", "version": 0, "messages": [{"role": 1}]})");
  EXPECT_NE(bad.find("f.json: messages[0]"), std::string::npos) << bad;
}

TEST(SessionStoreTest, TitleIsTheFirstLineOfTheFirstQuestionCutAt60Characters) {
  Conversation c;
  EXPECT_EQ(title_from_conversation(c), "untitled");
  c.messages.push_back(msg("user", std::nullopt, "  \nShort question\nsecond line"));
  EXPECT_EQ(title_from_conversation(c), "Short question");
  std::string long_text;
  for (int i = 0; i < 70; ++i) long_text += "é";  // 2 bytes each
  c.messages[0].content = long_text;
  std::string want;
  for (int i = 0; i < 60; ++i) want += "é";
  EXPECT_EQ(title_from_conversation(c), want + "\u2026");
}

TEST(SessionStoreTest, ResolveTakesPathsAsGivenAndNamesInTheSessionsFolder) {
  TempDir dir;
  EnvVar xdg("XDG_DATA_HOME", "/data/home");
  write_bytes(dir.path / "existing", "{}");
  const std::string existing = (dir.path / "existing").string();
  EXPECT_EQ(resolve_session(existing), existing);
  EXPECT_EQ(resolve_session("new.json"), "new.json");  // a file in the current folder, maybe new
  EXPECT_EQ(resolve_session("sub/new"), "sub/new");
  EXPECT_EQ(resolve_session("trip"), "/data/home/gpt-oss-chat/sessions/trip.json");
  EXPECT_THROW(resolve_session(".hidden"), SessionFileError);
}

// One rule, whatever is in the current folder: a file named "trip" there does not make the
// argument "trip" a path (it did for render and generate, not for the chat).
TEST(SessionStoreTest, ANameIsANameEvenIfSuchAFileExistsHere) {
  TempDir dir;
  EnvVar xdg("XDG_DATA_HOME", "/data/home");
  const fs::path before = fs::current_path();
  fs::current_path(dir.path);
  write_bytes(dir.path / "trip", "{}");
  const std::string resolved = resolve_session("trip");
  fs::current_path(before);
  EXPECT_EQ(resolved, "/data/home/gpt-oss-chat/sessions/trip.json");
}

TEST(SessionStoreTest, SessionNamesAndPaths) {
  EXPECT_TRUE(is_session_name("a"));
  EXPECT_TRUE(is_session_name("2026-11-23_notes.v2"));
  EXPECT_FALSE(is_session_name(""));
  EXPECT_FALSE(is_session_name("a/b"));
  EXPECT_FALSE(is_session_name("has space"));
  EXPECT_FALSE(is_session_name(".hidden"));
  EXPECT_FALSE(is_session_name(std::string(65, 'x')));
  EXPECT_TRUE(is_session_name(std::string(64, 'x')));
  EXPECT_TRUE(is_session_path("x.json"));
  EXPECT_TRUE(is_session_path("./x"));
  EXPECT_FALSE(is_session_path("x"));
  try {
    resolve_session("has space");
    ADD_FAILURE() << "a name with a space was taken";
  } catch (const SessionFileError& e) {
    EXPECT_EQ(
        std::string(e.what()),
        "session name \"has space\": name: expected 1-64 letters, digits, '.', '-' or '_', not starting "
        "with '.' (a file path has a '/' or ends in .json)");
  }
}

TEST(SessionStoreTest, NamedSessionsLiveUnderXdgDataHome) {
  {
    EnvVar xdg("XDG_DATA_HOME", "/data/home");
    EXPECT_EQ(sessions_dir(), "/data/home/gpt-oss-chat/sessions");
    EXPECT_EQ(session_path("trip"), "/data/home/gpt-oss-chat/sessions/trip.json");
  }
  {
    EnvVar xdg("XDG_DATA_HOME", nullptr);
    EnvVar home("HOME", "/home/ada");
    EXPECT_EQ(sessions_dir(), "/home/ada/.local/share/gpt-oss-chat/sessions");
  }
  EXPECT_THROW(session_path(""), SessionFileError);
  EXPECT_THROW(session_path("../etc/passwd"), SessionFileError);
  EXPECT_THROW(session_path(".hidden"), SessionFileError);
  EXPECT_THROW(session_path("a\nb"), SessionFileError);
  EXPECT_THROW(session_path(std::string(101, 'x')), SessionFileError);
}

TEST(SessionStoreTest, ListingShowsTitlesDatesSizesNewestFirst) {
  TempDir dir;
  auto write_session = [&](const std::string& name, const std::string& title, const std::string& updated) {
    SessionFile f = sample_session();
    f.title = title;
    f.created = "2026-01-01T00:00:00Z";
    f.updated = updated;
    write_file_atomically((dir.path / (name + ".json")).string(), session_to_json(f).dump(2));
  };
  write_session("older", "Old chat", "2026-02-01T10:00:00Z");
  write_session("newer", "New chat", "2026-03-01T10:00:00Z");
  write_bytes(dir.path / "broken.json", "{\"format\": ");
  write_bytes(dir.path / "notes.txt", "not a session");

  auto list = list_sessions(dir.path.string());
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].name, "newer");
  EXPECT_EQ(list[0].title, "New chat");
  EXPECT_EQ(list[0].updated, "2026-03-01T10:00:00Z");
  EXPECT_EQ(list[0].size_bytes, fs::file_size(dir.path / "newer.json"));
  EXPECT_FALSE(list[0].error);
  EXPECT_EQ(list[1].name, "older");
  EXPECT_EQ(list[2].name, "broken");
  ASSERT_TRUE(list[2].error);
  EXPECT_NE(list[2].error->find("1:12: file ends early"), std::string::npos) << *list[2].error;

  EXPECT_TRUE(list_sessions((dir.path / "missing").string()).empty());
}

}  // namespace
}  // namespace gptoss::chat

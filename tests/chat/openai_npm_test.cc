// A client nobody here wrote: the official `openai` npm package talks to `gpt-oss-chat serve` (the
// real binary, the tiny random model) for a streamed and a non-streamed completion. The package
// is installed at test time into <build>/npm-openai (never vendored); without the npm registry
// this test fails and says so.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "engine/test_model.h"

namespace {

namespace fs = std::filesystem;

std::string run_capture(const std::string& command, int* status) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  *status = ::pclose(p);
  return out;
}

constexpr const char* kClient = R"JS(
const OpenAI = require('openai');
(async () => {
  const client = new OpenAI({ baseURL: process.argv[2], apiKey: 'test-key', maxRetries: 0 });
  const models = await client.models.list();
  const plain = await client.chat.completions.create({
    model: 'tiny', max_tokens: 6, seed: 1,
    messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello' }],
  });
  let streamed = '', chunks = 0, finish = null, usage = null;
  const stream = await client.chat.completions.create({
    model: 'tiny', max_tokens: 6, seed: 1, stream: true, stream_options: { include_usage: true },
    messages: [{ role: 'user', content: 'Hello again' }],
  });
  for await (const chunk of stream) {
    chunks++;
    if (chunk.usage) usage = chunk.usage;
    const c = chunk.choices[0];
    if (!c) continue;
    if (c.delta.content) streamed += c.delta.content;
    if (c.finish_reason) finish = c.finish_reason;
  }
  console.log(JSON.stringify({ models: models.data.map(m => m.id), plain, streamed, chunks, finish, usage }));
})().catch(e => { console.error('client error: ' + e); process.exit(1); });
)JS";

TEST(OpenAiNpmClient, StreamedAndPlainCompletionsThroughTheOfficialPackage) {
  const fs::path build = fs::path(GPTOSS_BINARY).parent_path();
  const fs::path npm_dir = build / "npm-openai";
  if (!fs::exists(npm_dir / "node_modules" / "openai" / "package.json")) {
    fs::create_directories(npm_dir);
    int status = 0;
    const std::string log = run_capture(
        "npm install --prefix '" + npm_dir.string() + "' openai --no-audit --no-fund --loglevel=error 2>&1",
        &status);
    ASSERT_EQ(status, 0) << "npm install openai failed: is the npm registry (https://registry.npmjs.org) "
                            "reachable from this machine? npm said:\n"
                         << log;
  }
  const fs::path tmp = fs::temp_directory_path() / ("gptoss-npm-test-" + std::to_string(::getpid()));
  fs::create_directories(tmp);
  gptoss::engine::TestModelOptions options;
  options.seed = 3;
  gptoss::engine::write_test_model((tmp / "tiny").string(), *gptoss::engine::find_test_model_preset("tiny"),
                                   options);
  std::ofstream(tmp / "client.js") << kClient;

  // The server on a free port, with an API key; its first line says where it listens.
  int out[2];
  ASSERT_EQ(::pipe(out), 0);
  const pid_t server = ::fork();
  if (server == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::close(out[0]);
    ::execl(GPTOSS_BINARY, GPTOSS_BINARY, "serve", "--model", (tmp / "tiny").c_str(), "--port", "0",
            "--api-key", "test-key", "--threads", "1", "--context", "1024", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(out[1]);
  std::string first_line;
  char c;
  while (::read(out[0], &c, 1) == 1 && c != '\n') first_line += c;
  const size_t at = first_line.find("http://");
  ASSERT_NE(at, std::string::npos) << "serve did not start: " << first_line;
  const std::string base_url = first_line.substr(at) + "/v1";

  int status = 0;
  const std::string output =
      run_capture("cd '" + npm_dir.string() + "' && NODE_PATH='" + (npm_dir / "node_modules").string() +
                      "' node '" + (tmp / "client.js").string() + "' '" + base_url + "' 2>&1",
                  &status);
  ::kill(server, SIGTERM);
  int server_status = 0;
  ::waitpid(server, &server_status, 0);
  ::close(out[0]);
  fs::remove_all(tmp);
  ASSERT_EQ(status, 0) << output;
  const nlohmann::json r = nlohmann::json::parse(output.substr(output.find('{')));
  EXPECT_EQ(r["models"], nlohmann::json::array({"tiny"}));
  const auto& plain = r["plain"];
  EXPECT_EQ(plain["object"], "chat.completion");
  EXPECT_EQ(plain["choices"][0]["message"]["role"], "assistant");
  EXPECT_TRUE(plain["choices"][0]["message"]["content"].is_string());
  EXPECT_LE(plain["usage"]["completion_tokens"].get<int>(), 6);
  EXPECT_GT(plain["usage"]["prompt_tokens"].get<int>(), 10);
  EXPECT_GE(r["chunks"].get<int>(), 3);  // the role chunk, at least one delta, the finish chunk
  EXPECT_TRUE(r["finish"] == "length" || r["finish"] == "stop") << r.dump();
  EXPECT_LE(r["usage"]["completion_tokens"].get<int>(), 6);
  EXPECT_TRUE(WIFEXITED(server_status) && WEXITSTATUS(server_status) == 0);
}

}  // namespace

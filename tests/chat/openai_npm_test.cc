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

#include "serve_process.h"

namespace {

namespace fs = std::filesystem;
using gptoss::chat::testing::run_shell;
using gptoss::chat::testing::ServeProcess;

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
    const std::string log = run_shell(
        "npm install --prefix '" + npm_dir.string() + "' openai --no-audit --no-fund --loglevel=error",
        &status);
    ASSERT_EQ(status, 0) << "npm install openai failed: is the npm registry (https://registry.npmjs.org) "
                            "reachable from this machine? npm said:\n"
                         << log;
  }
  const fs::path client = fs::path(npm_dir) / "client.js";
  std::ofstream(client) << kClient;

  ServeProcess server({"--api-key", "test-key"});
  ASSERT_FALSE(server.url().empty()) << "serve did not start: " << server.first_line();
  int status = 0;
  const std::string output = run_shell(
      "cd '" + npm_dir.string() + "' && node '" + client.string() + "' '" + server.url() + "'", &status);
  const int server_status = server.stop();
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

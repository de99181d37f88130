// The commands the program suggests: the program as the shell finds it, quoted words, the model flag.
#include "ui/relaunch.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace gptoss::ui {
namespace {

TEST(Relaunch, ShellQuote) {
  EXPECT_EQ(shell_quote("chat-2026.json"), "chat-2026.json");
  EXPECT_EQ(shell_quote("my chat"), "'my chat'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote(""), "''");
}

TEST(Relaunch, ProgramIsNamedAsTheShellFindsIt) {
  const fs::path root = fs::temp_directory_path() / ("gptoss_relaunch_" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "bin");
  fs::create_directories(root / "other");
  const fs::path exe = root / "bin" / "gpt-oss-chat";
  std::ofstream(exe) << "#!/bin/sh\n";
  fs::permissions(exe, fs::perms::owner_all);
  std::ofstream(root / "other" / "gpt-oss-chat") << "#!/bin/sh\n";
  fs::permissions(root / "other" / "gpt-oss-chat", fs::perms::owner_all);
  auto env_with_path = [](std::string path) -> EnvLookup {
    return [path](const std::string& k) -> std::optional<std::string> {
      if (k == "PATH") return path;
      return std::nullopt;
    };
  };
  EXPECT_EQ(program_command(env_with_path("/nonexistent:" + (root / "bin").string()), exe.string()),
            "gpt-oss-chat");
  // Another gpt-oss-chat comes first on $PATH: the full path, so the suggestion runs this one.
  EXPECT_EQ(
      program_command(env_with_path((root / "other").string() + ":" + (root / "bin").string()), exe.string()),
      exe.string());
  EXPECT_EQ(program_command(env_with_path("/nonexistent"), exe.string()), exe.string());
  fs::remove_all(root);
}

TEST(Relaunch, ModelFlagWhenDiscoveryWouldNotFindIt) {
  EXPECT_EQ(relaunch_command("gpt-oss-chat", true, false, "/cache/demo-model"), "gpt-oss-chat --demo");
  EXPECT_EQ(relaunch_command("gpt-oss-chat", false, false, "/hf/snapshots/abc"), "gpt-oss-chat");
  EXPECT_EQ(relaunch_command("gpt-oss-chat", false, true, "/models/my model/"),
            "gpt-oss-chat --model '/models/my model/'");
}

}  // namespace
}  // namespace gptoss::ui

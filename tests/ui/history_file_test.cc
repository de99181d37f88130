// The shared history file: appends, compaction, and the two together from two processes.
#include "ui/history_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "reference/temp_dir.h"

namespace gptoss::ui {
namespace {

namespace fs = std::filesystem;

TEST(HistoryFile, CompactionKeepsTheLastEntriesPrivately) {
  testing::TempDir dir;
  const std::string path = dir / "state/history";  // the folder is created by the first append
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(append_history_file(path, "line " + std::to_string(i)));
  ASSERT_TRUE(append_history_file(path, "two\nlines and a \\ backslash"));
  ASSERT_TRUE(compact_history_file(path, 5));
  const std::vector<std::string> want = {"line 26", "line 27", "line 28", "line 29",
                                         "two\nlines and a \\ backslash"};
  EXPECT_EQ(read_history_file(path), want);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  for (const auto& entry : fs::directory_iterator(dir.path() / "state"))  // no temporary file left
    EXPECT_TRUE(entry.path().filename() == "history" || entry.path().filename() == "history.lock")
        << entry.path();
}

TEST(HistoryFile, MissingFileReadsAsEmptyAndUnwritableLosesOnlyTheEntry) {
  testing::TempDir dir;
  EXPECT_TRUE(read_history_file(dir / "none").empty());
  EXPECT_FALSE(compact_history_file(dir / "none", 5));
  std::ofstream(dir / "file") << "x";
  EXPECT_FALSE(append_history_file(dir / "file/history", "entry"));  // its folder is a file
}

// One process appends while another compacts again and again: every appended entry survives, in
// order. Without the lock, an entry appended between a compaction's read and its rename is lost
// with the old file (this test then fails every time).
TEST(HistoryFile, AppendsDuringCompactionsAreKept) {
  testing::TempDir dir;
  const std::string path = dir / "history";
  for (int i = 0; i < 1500; ++i) ASSERT_TRUE(append_history_file(path, "old " + std::to_string(i)));
  constexpr int kAppends = 400;
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    for (int i = 0; i < kAppends; ++i)
      if (!append_history_file(path, "new " + std::to_string(i))) ::_exit(1);
    ::_exit(0);
  }
  int compactions = 0, status = 0;
  while (::waitpid(child, &status, WNOHANG) == 0) {
    ASSERT_TRUE(compact_history_file(path, 1000));
    ++compactions;
    ::usleep(100);  // let the appender take the lock between compactions
  }
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  const std::vector<std::string> entries = read_history_file(path);
  std::vector<std::string> appended;
  for (const std::string& e : entries)
    if (e.rfind("new ", 0) == 0) appended.push_back(e);
  ASSERT_EQ(appended.size(), static_cast<size_t>(kAppends)) << "after " << compactions << " compactions";
  for (int i = 0; i < kAppends; ++i) EXPECT_EQ(appended[i], "new " + std::to_string(i));
  EXPECT_EQ(entries.back(), "new " + std::to_string(kAppends - 1));
  for (const auto& entry : fs::directory_iterator(dir.path()))
    EXPECT_TRUE(entry.path().filename() == "history" || entry.path().filename() == "history.lock")
        << entry.path();
}

}  // namespace
}  // namespace gptoss::ui

// Drafts: the external editor round trip, attached files (text only, capped, fenced so they cannot
// end early), @PATH mentions, and the input box's count of hidden rows.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>

#include "reference/file_bytes.h"
#include "ui/attach_file.h"
#include "ui/external_editor.h"
#include "ui/input.h"

namespace gptoss::ui {
namespace {

using gptoss::testing::slurp;

namespace fs = std::filesystem;

class DraftsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gptoss_drafts_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path write(const std::string& name, const std::string& bytes, bool executable = false) {
    fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << bytes;
    if (executable) fs::permissions(p, fs::perms::owner_all);
    return p;
  }
  fs::path dir_;
};

TEST_F(DraftsTest, EditorCommandPrefersVisual) {
  auto env = [](std::map<std::string, std::string> vars) {
    return [vars](const std::string& k) -> std::optional<std::string> {
      auto it = vars.find(k);
      return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
  };
  EXPECT_EQ(editor_command(env({{"VISUAL", "nano"}, {"EDITOR", "ed"}})), "nano");
  EXPECT_EQ(editor_command(env({{"EDITOR", "code --wait"}})), "code --wait");
  EXPECT_EQ(editor_command(env({{"VISUAL", ""}, {"EDITOR", "ed"}})), "ed");
  EXPECT_EQ(editor_command(env({})), "vi");
}

// The editor gets the draft in a private file and what it leaves there is the new draft.
TEST_F(DraftsTest, EditorRoundTrip) {
  const fs::path seen = dir_ / "seen.txt";
  const fs::path script = write("ed.sh",
                                "#!/bin/sh\ncp \"$1\" " + seen.string() + "\nstat -c %a \"$1\" >> " +
                                    seen.string() + "\nprintf 'rewritten\\nsecond line\\n' > \"$1\"\n",
                                true);
  EditorOutcome r = edit_in_editor(script.string(), "my draft");
  ASSERT_TRUE(r.text) << r.error;
  EXPECT_EQ(*r.text, "rewritten\nsecond line");  // the editor's final newline is dropped
  EXPECT_EQ(slurp(seen), "my draft\n600\n");
  // An editor command with arguments goes through the shell, as git runs $EDITOR.
  r = edit_in_editor("sed -i s/draft/text/", "a draft");
  ASSERT_TRUE(r.text) << r.error;
  EXPECT_EQ(*r.text, "a text");
}

TEST_F(DraftsTest, FailingOrMissingEditorGivesAnError) {
  EditorOutcome r = edit_in_editor("false", "keep me");
  EXPECT_FALSE(r.text);
  EXPECT_EQ(r.error, "the editor 'false' exited with status 1");
  r = edit_in_editor("/no/such/editor", "keep me");
  EXPECT_FALSE(r.text);
  EXPECT_EQ(r.error, "editor '/no/such/editor' not found (set $VISUAL or $EDITOR)");
}

TEST_F(DraftsTest, TextFilesAreRead) {
  FileRead r = read_text_file(write("notes.txt", "caf\u00e9 au lait\n").string());
  ASSERT_TRUE(r.text) << r.error;
  EXPECT_EQ(*r.text, "caf\u00e9 au lait\n");
}

TEST_F(DraftsTest, BinaryOversizedAndMissingFilesAreRefused) {
  const std::string nul = write("a.bin", std::string("abc\0def", 7)).string();
  FileRead r = read_text_file(nul);
  EXPECT_FALSE(r.text);
  EXPECT_EQ(r.error, nul + ": byte 3: a binary file (NUL byte); only text can be attached");

  const std::string latin1 = write("l1.txt", "caf\xe9").string();
  r = read_text_file(latin1);
  EXPECT_FALSE(r.text);
  EXPECT_EQ(r.error, latin1 + ": byte 3: not UTF-8 text; only text can be attached");

  const std::string big = write("big.txt", std::string(101, 'x')).string();
  r = read_text_file(big, 100);
  EXPECT_FALSE(r.text);
  EXPECT_EQ(r.error, big + ": too big to attach (101 bytes; at most 100)");
  EXPECT_TRUE(read_text_file(big, 101).text);

  r = read_text_file((dir_ / "none.txt").string());
  EXPECT_EQ(r.error, (dir_ / "none.txt").string() + ": no such file");
  r = read_text_file(dir_.string());
  EXPECT_NE(r.error.find("not a regular file"), std::string::npos) << r.error;
}

TEST_F(DraftsTest, FencedFileCannotEndEarly) {
  EXPECT_EQ(fenced_file("a.py", "print(1)\n"), "```a.py\nprint(1)\n```");
  EXPECT_EQ(fenced_file("a.md", "x\n```\ny"), "````a.md\nx\n```\ny\n````");
}

TEST_F(DraftsTest, MentionsNameExistingFilesOnly) {
  const std::set<std::string> files = {"notes.txt", "src/a.cc", "/home/me/todo"};
  auto is_file = [&](const std::string& p) { return files.count(p) > 0; };
  auto paths = [&](std::string_view msg) {
    std::vector<std::string> out;
    for (const FileMention& m : find_file_mentions(msg, "/home/me", is_file)) out.push_back(m.path);
    return out;
  };
  EXPECT_EQ(paths("see @notes.txt and @src/a.cc."), (std::vector<std::string>{"notes.txt", "src/a.cc"}));
  EXPECT_EQ(paths("(@notes.txt)"), std::vector<std::string>{});  // '@' must start a word
  EXPECT_EQ(paths("what about @notes.txt?"), std::vector<std::string>{"notes.txt"});
  EXPECT_EQ(paths("@~/todo please"), std::vector<std::string>{"/home/me/todo"});
  EXPECT_TRUE(paths("mail me@example.com or @alice, @ nothing, @missing.txt").empty());
}

TEST(InputBox, HiddenRowsNote) {
  EXPECT_EQ(hidden_rows_note(0, 0), "");
  EXPECT_EQ(hidden_rows_note(3, 0), "3 more lines above");
  EXPECT_EQ(hidden_rows_note(0, 1), "1 more line below");
  EXPECT_EQ(hidden_rows_note(2, 4), "2 more lines above, 4 below");
}

}  // namespace
}  // namespace gptoss::ui

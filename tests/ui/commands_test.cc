// Slash-command parsing: every command, its arguments, and a one-line hint for anything wrong.
#include "ui/commands.h"

#include <gtest/gtest.h>

namespace gptoss::ui {
namespace {

Command ok(std::string_view line) {
  ParseResult r = parse_command(line);
  EXPECT_TRUE(r.ok) << line << ": " << r.hint;
  return r.command;
}

std::string hint(std::string_view line) {
  ParseResult r = parse_command(line);
  EXPECT_FALSE(r.ok) << line;
  EXPECT_EQ(r.hint.find('\n'), std::string::npos) << "hints are one line";
  return r.hint;
}

TEST(Commands, MessagesAreNotCommands) {
  EXPECT_EQ(ok("hello /save").kind, CommandKind::kMessage);
  EXPECT_EQ(ok("  indented").arg, "  indented");
  Command c = ok("//etc/passwd is a path");
  EXPECT_EQ(c.kind, CommandKind::kMessage);
  EXPECT_EQ(c.arg, "/etc/passwd is a path");
}

TEST(Commands, EachCommandParses) {
  EXPECT_EQ(ok("/help").kind, CommandKind::kHelp);
  EXPECT_EQ(ok("/new").kind, CommandKind::kNew);
  EXPECT_EQ(ok("/save").kind, CommandKind::kSave);
  Command save = ok("/save  trip-notes ");
  EXPECT_EQ(save.kind, CommandKind::kSave);
  EXPECT_EQ(save.arg, "trip-notes");
  Command load = ok("/load trip_2.v1");
  EXPECT_EQ(load.kind, CommandKind::kLoad);
  EXPECT_EQ(load.arg, "trip_2.v1");
  EXPECT_EQ(ok("/sessions").kind, CommandKind::kSessions);
  EXPECT_EQ(ok("/effort high").arg, "high");
  EXPECT_EQ(ok("/effort").arg, "");
  Command sys = ok("/system You are terse.  Answer in French.");
  EXPECT_EQ(sys.kind, CommandKind::kSystem);
  EXPECT_EQ(sys.arg, "You are terse.  Answer in French.");
  EXPECT_EQ(ok("/retry").kind, CommandKind::kRetry);
  EXPECT_EQ(ok("/undo").kind, CommandKind::kUndo);
  EXPECT_EQ(ok("/think").kind, CommandKind::kThink);
  EXPECT_EQ(ok("/think off").arg, "off");
  EXPECT_EQ(ok("/stats").kind, CommandKind::kStats);
  EXPECT_EQ(ok("/quit").kind, CommandKind::kQuit);
  EXPECT_EQ(ok("/exit").kind, CommandKind::kQuit);
}

TEST(Commands, BadInputGetsAHint) {
  EXPECT_NE(hint("/sav x").find("did you mean /save"), std::string::npos);
  EXPECT_NE(hint("/frobnicate").find("unknown command /frobnicate"), std::string::npos);
  EXPECT_NE(hint("/load").find("needs a session name"), std::string::npos);
  EXPECT_EQ(ok("/load ../etc/passwd").arg, "../etc/passwd");  // a path, as the user's shell would take it
  EXPECT_NE(hint("/save .hidden").find("not a session name"), std::string::npos);
  EXPECT_NE(hint("/effort extreme").find("low, medium or high"), std::string::npos);
  EXPECT_NE(hint("/think maybe").find("on, off"), std::string::npos);
  EXPECT_NE(hint("/new now").find("takes no arguments"), std::string::npos);
  EXPECT_NE(hint("/").find("/help"), std::string::npos);
}

TEST(Commands, Completion) {
  auto s = complete_command("/s");
  EXPECT_EQ(s, (std::vector<std::string>{"/save", "/sessions", "/system", "/stats", "/set"}));
  EXPECT_EQ(complete_command("/q"), (std::vector<std::string>{"/quit"}));
  EXPECT_TRUE(complete_command("hello").empty());
}

TEST(Commands, HelpListsEveryCommand) {
  std::string all;
  for (const CommandHelp& h : command_help()) all += std::string(h.usage) + "\n";
  for (const char* name : {"/help", "/new", "/save", "/load", "/sessions", "/effort", "/system", "/retry", "/undo",
                           "/think", "/stats", "/quit"}) {
    EXPECT_NE(all.find(name), std::string::npos) << name;
  }
}

TEST(Commands, DraftCommands) {
  EXPECT_EQ(ok("/edit").kind, CommandKind::kEdit);
  EXPECT_EQ(ok("/edit start here").arg, "start here");
  EXPECT_EQ(ok("/edit-last").kind, CommandKind::kEditLast);
  EXPECT_NE(hint("/edit-last x").find("takes no arguments"), std::string::npos);
  Command file = ok("/file notes/a b.txt");
  EXPECT_EQ(file.kind, CommandKind::kFile);
  EXPECT_EQ(file.arg, "notes/a b.txt");
  EXPECT_EQ(ok("/copy").kind, CommandKind::kCopy);
  EXPECT_EQ(ok("/copy code").arg, "code");
  EXPECT_NE(hint("/copy all").find("/copy takes nothing"), std::string::npos);
  std::string all;
  for (const CommandHelp& h : command_help()) all += std::string(h.usage) + "\n";
  for (const char* name : {"/edit", "/edit-last", "/file", "/copy"})
    EXPECT_NE(all.find(name), std::string::npos);
}

TEST(Commands, SaveOverAndQuitWithoutSaving) {
  Command over = ok("/save! trip");
  EXPECT_EQ(over.kind, CommandKind::kSaveOver);
  EXPECT_EQ(over.arg, "trip");
  EXPECT_NE(hint("/save!").find("needs a session name"), std::string::npos);
  EXPECT_EQ(ok("/quit!").kind, CommandKind::kQuitNoSave);
}

TEST(Commands, SessionArgumentsMayBePaths) {
  EXPECT_EQ(ok("/save notes.json").arg, "notes.json");
  EXPECT_EQ(ok("/load ../old chats/a.json").arg, "../old chats/a.json");
  EXPECT_EQ(ok("/save ~/x").arg, "~/x");
  EXPECT_NE(hint("/save a b").find("not a session name"), std::string::npos);
}

}  // namespace
}  // namespace gptoss::ui

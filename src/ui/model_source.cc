#include "ui/model_source.h"

#include <algorithm>
#include <filesystem>

namespace gptoss::ui {
namespace {

// Writes the demo checkpoint, reporting progress per file.
void write_demo(const std::string& dir, const std::function<void(const std::string&, double)>& report) {
  int files = 0;
  report("generating", 0);
  chat::write_demo_model(dir, [&] { report("generating", std::min(0.9, 0.3 * ++files)); });
}

}  // namespace

void ensure_demo_model(const std::string& dir,
                       const std::function<void(const std::string&, double)>& report) {
  if (!looks_like_model(dir)) write_demo(dir, report);
}

ModelChoice demo_choice(const EnvLookup& env) {
  ModelChoice choice;
  choice.dir = demo_model_dir(env);
  choice.demo = true;
  return choice;
}

ModelChoice choose_model(const CliArgs& args, const EnvLookup& env, const std::string& cwd) {
  if (args.has("--demo") && args.has("--model")) throw UsageError("--demo and --model exclude each other");
  if (args.has("--demo")) return demo_choice(env);
  ModelChoice choice;
  if (auto dir = args.get("--model")) {
    choice.dir = *dir;
    choice.named = true;
    return choice;
  }
  choice.discovered = discover_model(env, cwd);
  if (choice.discovered.dir) {
    choice.dir = *choice.discovered.dir;
    choice.named = choice.discovered.source.starts_with("./");
  }
  return choice;
}

chat::LocalModel open_model_or_demo(const std::string& dir, chat::LocalModelOptions options,
                                    const std::function<void(const std::string&, double)>& report) {
  const bool demo = options.demo;
  if (demo) ensure_demo_model(dir, report);
  options.on_progress = report;
  try {
    return chat::open_local_model(dir, options);
  } catch (const gptoss::Error&) {
    if (!demo) throw;
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    write_demo(dir, report);
    return chat::open_local_model(dir, options);
  }
}

}  // namespace gptoss::ui

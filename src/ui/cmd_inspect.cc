// gpt-oss-chat inspect --model DIR (--prompt TEXT | --session NAME | --tokens IDS) [...]
// What the model did with a prompt: the experts each layer routed every token to, the attention
// sinks' share of each head, the logit lens (each layer's residual read out through the final norm
// and the unembedding) and, on request, the residual stream and the router's logits as .npy.
// The format is docs/inspect.md.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "chat/chat_session.h"
#include "chat/inspection.h"
#include "chat/session_store.h"
#include "engine/engine.h"
#include "tokenizer/tokenizer.h"
#include "ui/cli.h"
#include "ui/precision_option.h"
#include "ui/npy.h"
#include "ui/session_names.h"
#include "ui/subcommands.h"
#include "ui/token_ids.h"

namespace gptoss::ui {
namespace {

constexpr const char* kUsage =
    "usage: gpt-oss-chat inspect --model DIR (--prompt TEXT | --session NAME | --tokens IDS)\n"
    "                            [--what LIST] [--layers LIST] [--positions LIST] [--top N]\n"
    "                            [--out FILE.json] [--threads N] [--precision exact|fast]\n"
    "\n"
    "Runs the prompt through the model and reports what happened inside, per token and layer.\n"
    "  --model DIR       checkpoint folder (HF layout or original/)\n"
    "  --prompt TEXT     a user message, rendered as the chat would send it\n"
    "  --session NAME    the prompt the next turn of a saved session would see (a '/' or a\n"
    "                    .json ending makes it a session file path)\n"
    "  --tokens IDS      comma- or space-separated token ids, taken as they are\n"
    "  --what LIST       any of routing, sinks, lens, resid, router (default routing,sinks,lens);\n"
    "                    resid and router write .npy files beside --out\n"
    "  --layers LIST     layers to report, e.g. 0,5-7 (default: all)\n"
    "  --positions LIST  token positions the lens reads, e.g. 0,3-5, 'last' or 'all' (default last)\n"
    "  --top N           tokens per layer in the lens (default 5)\n"
    "  --out FILE.json   write the JSON there (default: stdout); arrays go to FILE.resid.npy and\n"
    "                    FILE.router.npy\n"
    "  --threads N       worker threads (default: one per physical core)\n"
    "  --precision P     exact (default: f32 activations) or fast (as close as a bf16 reference)\n"
    "\n"
    "docs/inspect.md describes the JSON and has a Python example that reads it.\n";

// "0,5-7" -> {0, 5, 6, 7}, each in [0, limit); ascending, no repeats. UsageError naming the flag.
std::vector<int> parse_index_list(const std::string& text, int limit, const std::string& flag) {
  std::set<int> out;
  std::stringstream in(text);
  std::string item;
  auto number = [&](const std::string& s) {
    size_t used = 0;
    int v = -1;
    try {
      v = std::stoi(s, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != s.size() || s.empty() || v < 0 || v >= limit)
      throw UsageError(flag + ": '" + s + "' is not in 0.." + std::to_string(limit - 1));
    return v;
  };
  while (std::getline(in, item, ',')) {
    const size_t dash = item.find('-');
    const int lo = number(item.substr(0, dash));
    const int hi = dash == std::string::npos ? lo : number(item.substr(dash + 1));
    if (hi < lo) throw UsageError(flag + ": range '" + item + "' runs backwards");
    for (int v = lo; v <= hi; ++v) out.insert(v);
  }
  if (out.empty()) throw UsageError(flag + ": nothing listed");
  return {out.begin(), out.end()};
}

struct What {
  bool routing = false, sinks = false, lens = false, resid = false, router = false;
};

What parse_what(const std::string& text) {
  What w;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item == "routing")
      w.routing = true;
    else if (item == "sinks")
      w.sinks = true;
    else if (item == "lens")
      w.lens = true;
    else if (item == "resid")
      w.resid = true;
    else if (item == "router")
      w.router = true;
    else
      throw UsageError("--what: unknown part '" + item +
                       "' (expected routing, sinks, lens, resid or router)");
  }
  return w;
}

// The prompt's token ids from whichever of --prompt, --session, --tokens was given (exactly one).
std::vector<int32_t> prompt_ids(const CliArgs& args, const tokenizer::Tokenizer& tok) {
  const int given = args.has("--prompt") + args.has("--session") + args.has("--tokens");
  if (given != 1) throw UsageError("give exactly one of --prompt, --session, --tokens");
  if (args.has("--tokens")) {
    try {
      return parse_token_list(*args.get("--tokens"), "--tokens");
    } catch (const gptoss::Error& e) {
      throw UsageError(e.what());
    }
  }
  chat::SessionState state;
  if (args.has("--session")) {
    state = chat::load_session(session_option_file("--session", *args.get("--session"))).state;
  } else {
    chat::Message user;
    user.role = "user";
    user.content = *args.get("--prompt");
    state.conversation.messages.push_back(user);
  }
  chat::sync_headers(state, chat::today_utc());
  return chat::render_next_prompt(state, tok);
}

// Each id's text: a special's name, else its bytes (a piece of a character shows as U+FFFD when
// the JSON is written).
nlohmann::json pieces(const tokenizer::Tokenizer& tok, std::span<const int32_t> ids) {
  nlohmann::json out = nlohmann::json::array();
  for (int32_t id : ids) out.push_back(tok.decode(std::span<const int32_t>(&id, 1)));
  return out;
}

// The lens: for each asked position and recorded layer, the top-n tokens of the layer's residual
// read out as logits. Evaluated in batches of positions x layers so lm_head is read a few times.
nlohmann::json logit_lens(const engine::Model& model, const chat::InspectionRecorder& rec,
                          const std::vector<int>& positions, int top, const tokenizer::Tokenizer& tok) {
  const size_t H = model.config().hidden, V = model.config().vocab;
  const size_t layers = rec.layers().size();
  nlohmann::json out = nlohmann::json::array();
  std::vector<float> x(layers * H), z(layers * V);
  std::vector<int32_t> order(V);
  for (int p : positions) {
    const int t = p - rec.first_position();
    for (size_t li = 0; li < layers; ++li) {
      const auto r = rec.residual(t, static_cast<int>(li));
      std::copy(r.begin(), r.end(), x.begin() + li * H);
    }
    engine::lens_logits(model, x, z);
    nlohmann::json per_layer = nlohmann::json::array();
    for (size_t li = 0; li < layers; ++li) {
      const float* row = z.data() + li * V;
      std::iota(order.begin(), order.end(), 0);
      std::partial_sort(order.begin(), order.begin() + top, order.end(),
                        [&](int32_t a, int32_t b) { return row[a] > row[b] || (row[a] == row[b] && a < b); });
      nlohmann::json ids = nlohmann::json::array(), logits = nlohmann::json::array();
      for (int i = 0; i < top; ++i) {
        ids.push_back(order[i]);
        logits.push_back(row[order[i]]);
      }
      per_layer.push_back(
          {{"ids", ids}, {"logits", logits}, {"pieces", pieces(tok, {order.data(), size_t(top)})}});
    }
    out.push_back({{"position", p}, {"layers", per_layer}});
  }
  return out;
}

// FILE.json -> FILE.<part>.npy
std::string npy_beside(const std::string& json_path, const std::string& part) {
  std::string stem = json_path;
  if (stem.size() > 5 && stem.compare(stem.size() - 5, 5, ".json") == 0) stem.resize(stem.size() - 5);
  return stem + "." + part + ".npy";
}

void write_text(const std::string& path, const std::string& text) {
  if (path.empty()) {
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0)
      throw gptoss::Error("stdout: write failed");
    return;
  }
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) throw gptoss::Error(path + ": write failed");
}

}  // namespace

int cmd_inspect(int argc, char** argv) {
  const CliArgs args = parse_cli(argc, argv,
                                 {{"--model", true},
                                  {"--prompt", true},
                                  {"--session", true},
                                  {"--tokens", true},
                                  {"--what", true},
                                  {"--layers", true},
                                  {"--positions", true},
                                  {"--top", true},
                                  {"--out", true},
                                  {"--threads", true},
                                  {"--precision", true}});
  if (args.help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!args.positionals.empty()) throw UsageError("unexpected argument '" + args.positionals[0] + "'");
  const std::string dir = args.require("--model");
  const What what = parse_what(args.get_or("--what", "routing,sinks,lens"));
  const std::string out_path = args.get_or("--out", "");
  if ((what.resid || what.router) && out_path.empty())
    throw UsageError("--what resid and router write .npy files beside --out: give --out FILE.json");
  const int top = static_cast<int>(args.get_int("--top", 5, 1, 1000));
  const int threads = static_cast<int>(args.get_int("--threads", 0, 0, 1024));
  const auto tok = tokenizer::Tokenizer::load_default();
  const std::vector<int32_t> ids = prompt_ids(args, *tok);

  const engine::Precision precision = engine::parse_precision(precision_from(args, "exact"), "--precision");
  auto model = engine::Model::open(dir, {.threads = threads, .precision = precision});
  const engine::Config& cfg = model->config();
  for (int32_t id : ids)
    if (id >= cfg.vocab)
      throw UsageError("--tokens: id " + std::to_string(id) + " is outside the vocabulary [0, " +
                       std::to_string(cfg.vocab) + ")");
  const int n = static_cast<int>(ids.size());
  std::vector<int> layers;
  if (args.has("--layers")) layers = parse_index_list(*args.get("--layers"), cfg.n_layers, "--layers");
  std::vector<int> positions{n - 1};
  if (const auto spec = args.get("--positions"); spec && *spec == "all") {
    positions.resize(n);
    std::iota(positions.begin(), positions.end(), 0);
  } else if (spec && *spec != "last") {
    positions = parse_index_list(*spec, n, "--positions");
  }

  chat::InspectionRecorder rec(cfg, {.layers = layers,
                                     .sinks = what.sinks,
                                     .residual = what.lens || what.resid,
                                     .router_logits = what.router});
  engine::Context ctx(model, {.max_tokens = n});
  ctx.set_observer(&rec);
  ctx.prefill(ids);

  nlohmann::json j;
  j["format"] = "gpt-oss-chat inspect 1";
  j["model"] = {{"dir", model->info().dir},
                {"fingerprint", model->info().fingerprint},
                {"layers", cfg.n_layers},
                {"experts", cfg.n_experts},
                {"experts_per_token", cfg.experts_per_token},
                {"heads", cfg.n_heads},
                {"hidden", cfg.hidden},
                {"vocab", cfg.vocab}};
  j["tokens"] = ids;
  j["pieces"] = pieces(*tok, ids);
  j["layers"] = rec.layers();
  const int Ls = static_cast<int>(rec.layers().size());
  if (what.routing) {
    nlohmann::json experts = nlohmann::json::array(), weights = nlohmann::json::array();
    for (int t = 0; t < n; ++t) {
      nlohmann::json e_row = nlohmann::json::array(), w_row = nlohmann::json::array();
      for (int li = 0; li < Ls; ++li) {
        const auto e = rec.experts(t, li);
        const auto w = rec.weights(t, li);
        e_row.push_back(std::vector<int>(e.begin(), e.end()));
        w_row.push_back(std::vector<float>(w.begin(), w.end()));
      }
      experts.push_back(e_row);
      weights.push_back(w_row);
    }
    j["routing"] = {{"experts", experts}, {"weights", weights}};
  }
  if (what.sinks) {
    nlohmann::json shares = nlohmann::json::array();
    for (int t = 0; t < n; ++t) {
      nlohmann::json row = nlohmann::json::array();
      for (int li = 0; li < Ls; ++li) {
        const auto s = rec.sink_shares(t, li);
        row.push_back(std::vector<float>(s.begin(), s.end()));
      }
      shares.push_back(row);
    }
    j["sinks"] = shares;
  }
  if (what.lens) j["lens"] = logit_lens(*model, rec, positions, std::min(top, cfg.vocab), *tok);
  if (what.resid) {
    const std::string path = npy_beside(out_path, "resid");
    const size_t shape[3] = {size_t(n), size_t(Ls), size_t(cfg.hidden)};
    write_npy_f32(path, rec.residual_array(), shape);
    j["resid"] = {{"file", path}, {"shape", shape}};
  }
  if (what.router) {
    const std::string path = npy_beside(out_path, "router");
    const size_t shape[3] = {size_t(n), size_t(Ls), size_t(cfg.n_experts)};
    write_npy_f32(path, rec.router_logit_array(), shape);
    j["router_logits"] = {{"file", path}, {"shape", shape}};
  }
  write_text(out_path, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  return 0;
}

}  // namespace gptoss::ui

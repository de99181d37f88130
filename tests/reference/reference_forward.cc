#include "reference/reference_forward.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <sstream>
#include <stdexcept>

#include "engine/safetensors.h"  // the one piece shared with the engine

namespace gptoss::reference {
namespace {

using nlohmann::json;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("reference: cannot open " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Row-major double matrix.
struct Matrix {
  int rows = 0, cols = 0;
  std::vector<double> v;
  const double* row(int r) const { return v.data() + static_cast<size_t>(r) * cols; }
};

// y = W x + b
std::vector<double> affine(const Matrix& W, const std::vector<double>& x, const std::vector<double>& b) {
  std::vector<double> y(W.rows);
  for (int r = 0; r < W.rows; ++r) {
    double s = 0;
    for (int c = 0; c < W.cols; ++c) s += W.row(r)[c] * x[c];
    y[r] = s + b[r];
  }
  return y;
}

std::vector<double> rmsnorm(const std::vector<double>& x, const std::vector<double>& w, double eps) {
  double ss = 0;
  for (double v : x) ss += v * v;
  const double inv = 1.0 / std::sqrt(ss / x.size() + eps);
  std::vector<double> t(x.size());
  for (size_t i = 0; i < x.size(); ++i) t[i] = x[i] * inv * w[i];
  return t;
}

}  // namespace

// ---- pieces, each straight from model.md ----

double fp4_value(int code) {
  static const double kFp4[16] = {+0.0, +0.5, +1.0, +1.5, +2.0, +3.0, +4.0, +6.0,
                                  -0.0, -0.5, -1.0, -1.5, -2.0, -3.0, -4.0, -6.0};
  return kFp4[code & 15];
}

double mxfp4_block_value(const uint8_t* block16, uint8_t scale, int col) {
  const uint8_t byte = block16[col / 2];
  const int code = (col % 2 == 0) ? (byte & 0x0f) : (byte >> 4);
  return std::ldexp(fp4_value(code), static_cast<int>(scale) - 127);
}

double bf16_value(uint16_t bits) {
  const uint32_t u = static_cast<uint32_t>(bits) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

double round_bf16(double x) {
  const float f = static_cast<float>(x);
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7f800000u) == 0x7f800000u) return f;  // inf and NaN stay as they are
  u = ((u + 0x7fffu + ((u >> 16) & 1u)) >> 16) << 16;
  float r;
  std::memcpy(&r, &u, 4);
  return r;
}

RefConfig parse_reference_config(const std::string& json_text) {
  const json j = json::parse(json_text);
  RefConfig c;
  c.L = j.at("num_hidden_layers");
  c.H = j.at("hidden_size");
  c.I = j.at("intermediate_size");
  c.E = j.at("num_local_experts");
  c.K = j.contains("num_experts_per_tok") ? j.at("num_experts_per_tok") : j.at("experts_per_token");
  c.NH = j.at("num_attention_heads");
  c.NKV = j.at("num_key_value_heads");
  c.D = j.at("head_dim");
  c.V = j.at("vocab_size");
  c.W = j.at("sliding_window");
  for (const auto& t : j.at("layer_types")) c.sliding.push_back(t == "sliding_attention");
  c.eps = j.at("rms_norm_eps");
  c.limit = j.at("swiglu_limit");
  c.theta = j.at("rope_theta");
  const json& r = j.at("rope_scaling");
  c.factor = r.at("factor");
  c.beta_fast = r.at("beta_fast");
  c.beta_slow = r.at("beta_slow");
  c.original_context = r.at("original_max_position_embeddings");
  c.truncate = r.value("truncate", false);
  return c;
}

Yarn yarn(const RefConfig& c) {
  const double D = c.D, base = c.theta, C = c.original_context;
  const double pi = 3.14159265358979323846;
  double low = (D / 2) * std::log(C / (c.beta_fast * 2 * pi)) / std::log(base);
  double high = (D / 2) * std::log(C / (c.beta_slow * 2 * pi)) / std::log(base);
  if (c.truncate) {
    low = std::floor(low);
    high = std::ceil(high);
  }
  Yarn y;
  for (int i = 0; i < c.D / 2; ++i) {
    const double freq = std::pow(base, 2.0 * i / D);
    const double ramp = std::clamp((i - low) / (high - low), 0.0, 1.0);
    y.inv_freq.push_back((1.0 / (c.factor * freq)) * ramp + (1.0 / freq) * (1.0 - ramp));
  }
  y.concentration = 0.1 * std::log(c.factor) + 1.0;
  return y;
}

std::vector<double> rope(const std::vector<double>& x, const Yarn& y, int64_t p) {
  const size_t half = x.size() / 2;
  std::vector<double> out(x.size());
  for (size_t i = 0; i < half; ++i) {
    const double angle = static_cast<double>(p) * y.inv_freq[i];
    const double cos = y.concentration * std::cos(angle), sin = y.concentration * std::sin(angle);
    const double a = x[i], b = x[half + i];
    out[i] = a * cos - b * sin;
    out[half + i] = b * cos + a * sin;
  }
  return out;
}

std::vector<double> softmax_with_sink(const std::vector<double>& scores, double sink) {
  double m = sink;
  for (double s : scores) m = std::max(m, s);
  double total = std::exp(sink - m);
  std::vector<double> a(scores.size());
  for (size_t j = 0; j < scores.size(); ++j) total += a[j] = std::exp(scores[j] - m);
  for (double& v : a) v /= total;
  return a;
}

std::vector<int> top_k(const std::vector<double>& r, int K) {
  std::vector<int> order(r.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return r[a] > r[b]; });
  order.resize(K);
  return order;
}

std::vector<double> swiglu(const std::vector<double>& u, double limit) {
  std::vector<double> h(u.size() / 2);
  for (size_t i = 0; i < h.size(); ++i) {
    const double g = std::min(u[2 * i], limit);
    const double l = std::clamp(u[2 * i + 1], -limit, limit);
    h[i] = g * (1.0 / (1.0 + std::exp(-1.702 * g))) * (l + 1.0);
  }
  return h;
}

// ---- the model ----

struct ReferenceModel::Weights {
  RefConfig c;
  Yarn rope;
  std::vector<std::unique_ptr<engine::MappedFile>> files;
  std::map<std::string, const engine::TensorEntry*> tensors;

  const uint16_t* embed = nullptr;  // [V, H] bf16, read row by row
  Matrix lm_head;                   // [V, H]
  std::vector<double> final_norm;   // [H]
  struct Layer {
    std::vector<double> attn_norm, bq, bk, bv, sinks, bo, mlp_norm, router_bias;
    Matrix wq, wk, wv, wo, router;
    std::vector<Matrix> w1, w2;               // [E] x [2I, H], [E] x [H, I]
    std::vector<std::vector<double>> b1, b2;  // [E] x [2I], [E] x [H]
  };
  std::vector<Layer> layers;

  const engine::TensorEntry& tensor(const std::string& name, const char* dtype,
                                    std::vector<int64_t> shape) const {
    auto it = tensors.find(name);
    if (it == tensors.end()) throw std::runtime_error("reference: missing tensor " + name);
    if (std::string(engine::dtype_name(it->second->dtype)) != dtype || it->second->shape != shape)
      throw std::runtime_error("reference: tensor " + name + " has an unexpected dtype or shape");
    return *it->second;
  }
  std::vector<double> bf16(const std::string& name, std::vector<int64_t> shape) const {
    const engine::TensorEntry& t = tensor(name, "BF16", shape);
    const uint16_t* p = reinterpret_cast<const uint16_t*>(t.data);
    std::vector<double> v(t.data_bytes / 2);
    for (size_t i = 0; i < v.size(); ++i) v[i] = bf16_value(p[i]);
    return v;
  }
  Matrix matrix(const std::string& name, int rows, int cols) const {
    return Matrix{rows, cols, bf16(name, {rows, cols})};
  }
  // All experts of one MXFP4 weight, decoded: [E] x [rows, cols].
  std::vector<Matrix> experts(const std::string& prefix, int rows, int cols) const {
    const int E = c.E, nb = cols / 32;
    const uint8_t* blocks = tensor(prefix + "_blocks", "U8", {E, rows, nb, 16}).data;
    const uint8_t* scales = tensor(prefix + "_scales", "U8", {E, rows, nb}).data;
    std::vector<Matrix> out(E, Matrix{rows, cols, std::vector<double>(static_cast<size_t>(rows) * cols)});
    for (int e = 0; e < E; ++e)
      for (int r = 0; r < rows; ++r)
        for (int b = 0; b < nb; ++b) {
          const size_t block = (static_cast<size_t>(e) * rows + r) * nb + b;
          for (int col = 0; col < 32; ++col)
            out[e].v[static_cast<size_t>(r) * cols + b * 32 + col] =
                mxfp4_block_value(blocks + block * 16, scales[block], col);
        }
    return out;
  }
  std::vector<std::vector<double>> rows_of(const std::vector<double>& flat, int n, int width) const {
    std::vector<std::vector<double>> out(n);
    for (int i = 0; i < n; ++i)
      out[i].assign(flat.begin() + static_cast<size_t>(i) * width,
                    flat.begin() + static_cast<size_t>(i + 1) * width);
    return out;
  }
};

ReferenceModel::ReferenceModel(const std::string& dir) : w_(std::make_unique<Weights>()) {
  namespace fs = std::filesystem;
  Weights& w = *w_;
  w.c = parse_reference_config(slurp((fs::path(dir) / "config.json").string()));
  w.rope = yarn(w.c);
  const RefConfig& c = w.c;

  std::vector<std::string> files;
  const fs::path index = fs::path(dir) / "model.safetensors.index.json";
  if (fs::exists(index)) {
    const json j = json::parse(slurp(index.string()));
    for (const auto& [name, file] : j.at("weight_map").items())
      if (std::find(files.begin(), files.end(), file.get<std::string>()) == files.end())
        files.push_back(file);
  } else {
    files.push_back("model.safetensors");
  }
  for (const std::string& f : files) {
    w.files.push_back(std::make_unique<engine::MappedFile>((fs::path(dir) / f).string()));
    for (const engine::TensorEntry& t : w.files.back()->header().tensors()) w.tensors[t.name] = &t;
  }

  const int H = c.H, I = c.I, E = c.E, NH = c.NH, NKV = c.NKV, D = c.D, V = c.V;
  w.embed = reinterpret_cast<const uint16_t*>(w.tensor("model.embed_tokens.weight", "BF16", {V, H}).data);
  w.lm_head = w.matrix("lm_head.weight", V, H);
  w.final_norm = w.bf16("model.norm.weight", {H});
  for (int l = 0; l < c.L; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    Weights::Layer y;
    y.attn_norm = w.bf16(p + "input_layernorm.weight", {H});
    y.wq = w.matrix(p + "self_attn.q_proj.weight", NH * D, H);
    y.wk = w.matrix(p + "self_attn.k_proj.weight", NKV * D, H);
    y.wv = w.matrix(p + "self_attn.v_proj.weight", NKV * D, H);
    y.bq = w.bf16(p + "self_attn.q_proj.bias", {NH * D});
    y.bk = w.bf16(p + "self_attn.k_proj.bias", {NKV * D});
    y.bv = w.bf16(p + "self_attn.v_proj.bias", {NKV * D});
    y.sinks = w.bf16(p + "self_attn.sinks", {NH});
    y.wo = w.matrix(p + "self_attn.o_proj.weight", H, NH * D);
    y.bo = w.bf16(p + "self_attn.o_proj.bias", {H});
    y.mlp_norm = w.bf16(p + "post_attention_layernorm.weight", {H});
    y.router = w.matrix(p + "mlp.router.weight", E, H);
    y.router_bias = w.bf16(p + "mlp.router.bias", {E});
    y.w1 = w.experts(p + "mlp.experts.gate_up_proj", 2 * I, H);
    y.b1 = w.rows_of(w.bf16(p + "mlp.experts.gate_up_proj_bias", {E, 2 * I}), E, 2 * I);
    y.w2 = w.experts(p + "mlp.experts.down_proj", H, I);
    y.b2 = w.rows_of(w.bf16(p + "mlp.experts.down_proj_bias", {E, H}), E, H);
    w.layers.push_back(std::move(y));
  }
}

ReferenceModel::~ReferenceModel() = default;

const RefConfig& ReferenceModel::config() const { return w_->c; }

void ReferenceModel::forward(const std::vector<int32_t>& tokens,
                             const std::function<void(int, const std::vector<double>&)>& on_logits,
                             const ReferenceTrace& trace, const ReferenceRun& run) const {
  const Weights& w = *w_;
  const RefConfig& c = w.c;
  const int H = c.H, NH = c.NH, NKV = c.NKV, D = c.D, V = c.V;
  // act(): where the bf16 reference holds a bf16 tensor (see RefActivations); identity in f64.
  const bool bf16 = run.acts == RefActivations::kBf16;
  auto act = [bf16](double x) { return bf16 ? round_bf16(x) : x; };
  auto act_all = [&](std::vector<double> v) {
    for (double& x : v) x = act(x);
    return v;
  };
  // rope() with every product and sum rounded: out_i = act(act(a cos) - act(b sin)) and so on.
  auto rope_acts = [&](const std::vector<double>& x, int64_t pos) {
    if (!bf16) return rope(x, w.rope, pos);
    const size_t half = x.size() / 2;
    std::vector<double> out(x.size());
    for (size_t i = 0; i < half; ++i) {
      const double angle = static_cast<double>(pos) * w.rope.inv_freq[i];
      const double cos = act(w.rope.concentration * std::cos(angle)),
                   sin = act(w.rope.concentration * std::sin(angle));
      const double a = x[i], b = x[half + i];
      out[i] = act(act(a * cos) - act(b * sin));
      out[half + i] = act(act(b * cos) + act(a * sin));
    }
    return out;
  };
  // swiglu() with its sigmoid, gate product, linear + 1 and result rounded.
  auto swiglu_acts = [&](const std::vector<double>& u) {
    if (!bf16) return swiglu(u, c.limit);
    std::vector<double> h(u.size() / 2);
    for (size_t i = 0; i < h.size(); ++i) {
      const double g = std::min(u[2 * i], c.limit);
      const double l = std::clamp(u[2 * i + 1], -c.limit, c.limit);
      h[i] = act(act(g * act(1.0 / (1.0 + std::exp(-1.702 * g)))) * act(l + 1.0));
    }
    return h;
  };
  // keys[l][j] and values[l][j]: [NKV*D] of position j, all positions kept
  std::vector<std::vector<std::vector<double>>> keys(c.L), values(c.L);

  for (int p = 0; p < static_cast<int>(tokens.size()); ++p) {
    if (tokens[p] < 0 || tokens[p] >= V) throw std::runtime_error("reference: token id out of range");
    // x = embed[token]
    std::vector<double> x(H);
    for (int i = 0; i < H; ++i) x[i] = bf16_value(w.embed[static_cast<size_t>(tokens[p]) * H + i]);

    for (int l = 0; l < c.L; ++l) {
      const Weights::Layer& y = w.layers[l];
      // t = rmsnorm(x, input_layernorm); q, k, v = W t + b
      const std::vector<double> t = act_all(rmsnorm(x, y.attn_norm, c.eps));
      std::vector<double> q = act_all(affine(y.wq, t, y.bq)), k = act_all(affine(y.wk, t, y.bk)),
                          v = act_all(affine(y.wv, t, y.bv));
      // rotate q, k by position p, per head
      for (int h = 0; h < NH; ++h) {
        const std::vector<double> r =
            rope_acts(std::vector<double>(q.begin() + h * D, q.begin() + (h + 1) * D), p);
        std::copy(r.begin(), r.end(), q.begin() + h * D);
      }
      for (int g = 0; g < NKV; ++g) {
        const std::vector<double> r =
            rope_acts(std::vector<double>(k.begin() + g * D, k.begin() + (g + 1) * D), p);
        std::copy(r.begin(), r.end(), k.begin() + g * D);
      }
      keys[l].push_back(k);
      values[l].push_back(v);

      // per head: scores over visible j, softmax with the sink, weighted sum of values
      std::vector<double> attn(NH * D, 0.0);
      std::vector<double> sink_shares(NH);
      for (int h = 0; h < NH; ++h) {
        const int g = h / (NH / NKV);
        std::vector<int> visible;
        for (int j = 0; j <= p; ++j)
          if (!c.sliding[l] || p - j < c.W) visible.push_back(j);
        std::vector<double> s;
        for (int j : visible) {
          double dot = 0;
          for (int d = 0; d < D; ++d) dot += q[h * D + d] * keys[l][j][g * D + d];
          // (the bf16 reference rounds q.k, then multiplies by the scale as np_forward.py does)
          s.push_back(bf16 ? act(act(dot) * (1.0 / std::sqrt(static_cast<double>(D))))
                           : dot / std::sqrt(static_cast<double>(D)));
        }
        const std::vector<double> a = act_all(softmax_with_sink(s, y.sinks[h]));
        sink_shares[h] = 1.0 - std::accumulate(a.begin(), a.end(), 0.0);
        for (size_t n = 0; n < visible.size(); ++n)
          for (int d = 0; d < D; ++d) attn[h * D + d] += a[n] * values[l][visible[n]][g * D + d];
        for (int d = 0; d < D; ++d) attn[h * D + d] = act(attn[h * D + d]);
      }
      if (trace.on_sink_shares) trace.on_sink_shares(p, l, sink_shares);
      // x = x + Wo concat(out_h) + bo
      const std::vector<double> o = act_all(affine(y.wo, attn, y.bo));
      for (int i = 0; i < H; ++i) x[i] = act(x[i] + o[i]);

      // MoE: router top-k, softmax over the picked logits, clamped SwiGLU experts
      const std::vector<double> t2 = act_all(rmsnorm(x, y.mlp_norm, c.eps));
      const std::vector<double> r = act_all(affine(y.router, t2, y.router_bias));
      const std::vector<int> picked = top_k(r, c.K);
      std::vector<double> pick_logits;
      for (int e : picked) pick_logits.push_back(r[e]);
      const double m = *std::max_element(pick_logits.begin(), pick_logits.end());
      double total = 0;
      for (double& z : pick_logits) total += z = std::exp(z - m);
      std::vector<double> weights;
      for (double z : pick_logits) weights.push_back(act(z / total));
      if (trace.on_routing) trace.on_routing(p, l, picked, weights);
      std::vector<double> moe(H, 0.0);
      for (size_t n = 0; n < picked.size(); ++n) {
        const int e = picked[n];
        const std::vector<double> u = act_all(affine(y.w1[e], t2, y.b1[e]));
        const std::vector<double> ye = act_all(affine(y.w2[e], swiglu_acts(u), y.b2[e]));
        for (int i = 0; i < H; ++i) moe[i] += act(weights[n] * ye[i]);
      }
      for (int i = 0; i < H; ++i) x[i] = act(x[i] + act(moe[i]));
      if (trace.on_residual) trace.on_residual(p, l, x);
    }
    if (run.logits_at && !run.logits_at(p)) continue;
    // logits = lm_head rmsnorm(x, norm)
    const std::vector<double> t = act_all(rmsnorm(x, w.final_norm, c.eps));
    std::vector<double> logits(V);
    for (int vtok = 0; vtok < V; ++vtok) {
      double s = 0;
      const double* row = w.lm_head.row(vtok);
      for (int i = 0; i < H; ++i) s += row[i] * t[i];
      logits[vtok] = act(s);
    }
    on_logits(p, logits);
  }
}

std::vector<std::vector<double>> ReferenceModel::logits(const std::vector<int32_t>& tokens,
                                                        RefActivations acts) const {
  std::vector<std::vector<double>> out;
  forward(tokens, [&](int, const std::vector<double>& z) { out.push_back(z); }, {}, {.acts = acts});
  return out;
}

}  // namespace gptoss::reference

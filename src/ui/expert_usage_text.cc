#include "ui/expert_usage_text.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <vector>

namespace gptoss::ui {
namespace {

constexpr int kLayersPerLine = 4;

std::string percent(double share) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.0f%%", 100 * share);
  return buf;
}

// Layer l's experts, most picked first (ties: lower id first).
std::vector<int> by_count(const chat::ExpertUsage& u, int l) {
  std::vector<int> order(u.experts);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return u.count(l, a) > u.count(l, b); });
  return order;
}

}  // namespace

double effective_experts(const chat::ExpertUsage& u, int l) {
  const double total = static_cast<double>(u.layer_total(l));
  if (total == 0) return 0;
  double entropy = 0;
  for (int e = 0; e < u.experts; ++e) {
    const double p = u.count(l, e) / total;
    if (p > 0) entropy -= p * std::log(p);
  }
  return std::exp(entropy);
}

std::string expert_usage_summary(const chat::ExpertUsage& u) {
  if (u.empty()) return "";
  const uint64_t picks = u.layer_total(0);
  if (picks == 0) return "Expert usage: nothing routed yet.";
  const uint64_t tokens = u.experts_per_token > 0 ? picks / u.experts_per_token : picks;
  std::string s = "Expert usage over the session: " + std::to_string(tokens) + " tokens routed, " +
                  std::to_string(u.experts_per_token) + " of " + std::to_string(u.experts) +
                  " experts each per layer. Per layer: the most used expert, its share of the picks, and the "
                  "effective number of experts (e^entropy; " +
                  std::to_string(u.experts) + " = all used evenly). /stats experts lists every count.";
  for (int l = 0; l < u.layers; ++l) {
    const int top = by_count(u, l)[0];
    char buf[64];
    std::snprintf(buf, sizeof buf, "L%-2d e%-3d %3s eff %4.1f", l, top,
                  percent(static_cast<double>(u.count(l, top)) / u.layer_total(l)).c_str(),
                  effective_experts(u, l));
    s += (l % kLayersPerLine == 0 ? "\n  " : "   ") + std::string(buf);
  }
  return s;
}

std::string expert_usage_table(const chat::ExpertUsage& u) {
  if (u.empty()) return "";
  std::string s = "Expert picks per layer over the session, most picked first (expert id, count):";
  for (int l = 0; l < u.layers; ++l) {
    s += "\nL" + std::to_string(l) + " ";
    for (int e : by_count(u, l)) s += " e" + std::to_string(e) + " " + std::to_string(u.count(l, e));
  }
  return s;
}

}  // namespace gptoss::ui

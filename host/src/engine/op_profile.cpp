#include "engine/op_profile.hpp"

#include <fmt/format.h>
#include <torch/csrc/autograd/profiler_legacy.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <sstream>

namespace dfkd::host {
namespace {

struct Span {
  std::string name;
  double begin = 0, end = 0;  // microseconds
};

}  // namespace

OpProfile profile_ops(const std::function<void()>& body) {
  std::stringstream trace;
  const auto t0 = std::chrono::steady_clock::now();
  {
    // Writes a Chrome trace (one complete event per operator call) when it goes out of scope.
    torch::autograd::profiler::RecordProfile guard(trace);
    body();
  }
  OpProfile out;
  out.wall_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();

  std::map<std::string, std::vector<Span>> by_thread;
  for (const auto& e : nlohmann::json::parse(trace.str())) {
    if (e.value("ph", "") != "X") continue;
    const double ts = e.at("ts").get<double>(), dur = e.at("dur").get<double>();
    by_thread[e.at("tid").dump()].push_back({e.at("name").get<std::string>(), ts, ts + dur});
  }
  std::map<std::string, OpTime> totals;
  for (auto& [tid, spans] : by_thread) {
    // Outer calls first; a call nests in the innermost open call that contains it.
    std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) {
      return a.begin != b.begin ? a.begin < b.begin : a.end > b.end;
    });
    std::vector<std::pair<const Span*, double>> open;  // span, time of its direct children
    auto close = [&] {
      const auto [span, children] = open.back();
      open.pop_back();
      auto& t = totals[span->name];
      t.name = span->name;
      t.total_ms += (span->end - span->begin) / 1000.0;
      t.self_ms += std::max(0.0, span->end - span->begin - children) / 1000.0;
      ++t.calls;
      if (!open.empty()) open.back().second += span->end - span->begin;
    };
    for (const auto& s : spans) {
      while (!open.empty() && open.back().first->end <= s.begin) close();
      open.emplace_back(&s, 0.0);
    }
    while (!open.empty()) close();
  }
  for (auto& [name, t] : totals) out.ops.push_back(t);
  std::sort(out.ops.begin(), out.ops.end(),
            [](const OpTime& a, const OpTime& b) { return a.self_ms > b.self_ms; });
  return out;
}

std::string render_op_profile(const OpProfile& p, size_t top) {
  double self_sum = 0;
  for (const auto& o : p.ops) self_sum += o.self_ms;
  std::string s = fmt::format("{:<44} {:>10} {:>7} {:>10} {:>7}\n", "operator", "self ms", "self %",
                              "total ms", "calls");
  for (size_t i = 0; i < std::min(top, p.ops.size()); ++i) {
    const auto& o = p.ops[i];
    s +=
        fmt::format("{:<44} {:>10.1f} {:>6.1f}% {:>10.1f} {:>7}\n", o.name.substr(0, 44), o.self_ms,
                    self_sum > 0 ? 100.0 * o.self_ms / self_sum : 0.0, o.total_ms, o.calls);
  }
  s += fmt::format(
      "self time of all {} operators: {:.1f} ms; wall time of the iteration (profiled): {:.1f} "
      "ms\n",
      p.ops.size(), self_sum, p.wall_ms);
  return s;
}

}  // namespace dfkd::host

#include "dfkd/errors.hpp"

#include <algorithm>
#include <limits>

namespace dfkd {
namespace {

// Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours.
size_t edits(const std::string& a, const std::string& b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i)
    for (size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min(
          {d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

}  // namespace

std::string did_you_mean(const std::string& name, const std::vector<std::string>& known) {
  size_t best = std::numeric_limits<size_t>::max();
  const std::string* closest = nullptr;
  bool tie = false;
  for (const auto& k : known) {
    const size_t e = edits(name, k);
    if (e < best) {
      best = e, closest = &k, tie = false;
    } else if (e == best) {
      tie = tie || k != *closest;
    }
  }
  // Two candidates as close as each other: naming one would be a guess.
  if (!closest || tie || best == 0 || best > 2 || 2 * best >= name.size()) return "";
  return " (did you mean '" + *closest + "'?)";
}

}  // namespace dfkd

#include "label_subset.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include <dfkd/errors.hpp>
#include <dfkd/random.hpp>

namespace dfkd_image {

std::vector<int64_t> subset_counts(const std::vector<int64_t>& class_sizes, double fraction,
                                   int64_t per_class, const std::string& owner) {
  const size_t k = class_sizes.size();
  std::vector<int64_t> counts(k);
  if (per_class > 0) {
    for (size_t c = 0; c < k; ++c) {
      if (class_sizes[c] < per_class)
        throw dfkd::ConfigError(fmt::format(
            "{}: option train_per_class: expected at most {} (class {} has only {} training "
            "samples), found {}",
            owner, *std::min_element(class_sizes.begin(), class_sizes.end()), c, class_sizes[c],
            per_class));
      counts[c] = per_class;
    }
    return counts;
  }
  const int64_t n = std::accumulate(class_sizes.begin(), class_sizes.end(), int64_t{0});
  const auto total = static_cast<int64_t>(std::llround(fraction * static_cast<double>(n)));
  if (total < 1)
    throw dfkd::ConfigError(fmt::format(
        "{}: option train_fraction: expected a fraction that keeps at least one of the {} training "
        "samples, found {}",
        owner, n, fraction));
  // Largest remainder: floors first (the epsilon keeps 0.3 * 10 = 3.0000000000000004 at 3 and
  // 0.29 * 100 = 28.999999999999996 at 29), then one more for the largest remainders.
  std::vector<double> remainder(k);
  int64_t assigned = 0;
  for (size_t c = 0; c < k; ++c) {
    const double quota = fraction * static_cast<double>(class_sizes[c]);
    counts[c] = std::min<int64_t>(class_sizes[c], static_cast<int64_t>(std::floor(quota + 1e-9)));
    remainder[c] = quota - static_cast<double>(counts[c]);
    assigned += counts[c];
  }
  std::vector<size_t> order(k);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return remainder[a] > remainder[b]; });
  for (size_t r = 0; assigned < total && r < k; ++r) {
    const size_t c = order[r];
    if (counts[c] < class_sizes[c]) {
      ++counts[c];
      ++assigned;
    }
  }
  return counts;
}

torch::Tensor stratified_subset(const torch::Tensor& labels, int64_t num_classes, double fraction,
                                int64_t per_class, uint64_t seed, const std::string& owner) {
  if (per_class == 0 && fraction >= 1.0) return {};
  const auto y = labels.to(torch::kLong).contiguous();
  std::vector<torch::Tensor> members(num_classes);
  std::vector<int64_t> sizes(num_classes);
  for (int64_t c = 0; c < num_classes; ++c) {
    members[c] = torch::nonzero(y.eq(c)).flatten();  // ascending
    sizes[c] = members[c].size(0);
  }
  const auto counts = subset_counts(sizes, fraction, per_class, owner);
  auto rng = dfkd::make_generator(seed, "image_data/subset");
  std::vector<torch::Tensor> keep;
  for (int64_t c = 0; c < num_classes; ++c) {
    // Drawn for every class, even one that keeps nothing, so each class's permutation depends
    // only on the seed and the class sizes, never on the counts.
    const auto perm = torch::randperm(sizes[c], rng, torch::kLong);
    keep.push_back(members[c].index_select(0, perm.narrow(0, 0, counts[c])));
  }
  return std::get<0>(torch::sort(torch::cat(keep)));
}

}  // namespace dfkd_image

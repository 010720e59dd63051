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

namespace {

/// Ascending indices of each class in `labels`.
std::vector<torch::Tensor> class_members(const torch::Tensor& labels, int64_t num_classes) {
  const auto y = labels.to(torch::kLong).contiguous();
  std::vector<torch::Tensor> members(num_classes);
  for (int64_t c = 0; c < num_classes; ++c) members[c] = torch::nonzero(y.eq(c)).flatten();
  return members;
}

}  // namespace

torch::Tensor stratified_subset(const torch::Tensor& labels, int64_t num_classes, double fraction,
                                int64_t per_class, uint64_t seed, const std::string& owner) {
  if (per_class == 0 && fraction >= 1.0) return {};
  const auto members = class_members(labels, num_classes);
  std::vector<int64_t> sizes(num_classes);
  for (int64_t c = 0; c < num_classes; ++c) sizes[c] = members[c].size(0);
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

std::vector<int64_t> holdout_counts(const std::vector<int64_t>& class_sizes, int64_t n,
                                    const std::string& owner) {
  const int64_t total = std::accumulate(class_sizes.begin(), class_sizes.end(), int64_t{0});
  if (n < 0 || n >= total)
    throw dfkd::ConfigError(fmt::format(
        "{}: option validation_size: expected an integer in [0, {}] (the training split has {} "
        "samples and at least one must stay for training), found {}",
        owner, std::max<int64_t>(0, total - 1), total, n));
  const size_t k = class_sizes.size();
  std::vector<int64_t> counts(k), remainder(k);
  int64_t assigned = 0;
  for (size_t c = 0; c < k; ++c) {
    counts[c] = n * class_sizes[c] / total;  // < 2^63: n, n_c <= N, a few million at most
    remainder[c] = n * class_sizes[c] % total;
    assigned += counts[c];
  }
  std::vector<size_t> order(k);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return remainder[a] > remainder[b]; });
  // Sum of the remainders is (n - assigned) * N, so there are enough classes with one, each of
  // which has a sample to spare (n_c * n / N < n_c).
  for (size_t r = 0; assigned < n && r < k; ++r) {
    ++counts[order[r]];
    ++assigned;
  }
  return counts;
}

Holdout stratified_holdout(const torch::Tensor& labels, int64_t num_classes, int64_t n,
                           uint64_t seed, const std::string& owner) {
  const auto members = class_members(labels, num_classes);
  std::vector<int64_t> sizes(num_classes);
  for (int64_t c = 0; c < num_classes; ++c) sizes[c] = members[c].size(0);
  const auto counts = holdout_counts(sizes, n, owner);
  auto rng = dfkd::make_generator(seed, "image_data/validation");
  std::vector<torch::Tensor> held, rest;
  for (int64_t c = 0; c < num_classes; ++c) {
    // One permutation per class, in class order, whatever the counts (as stratified_subset).
    const auto perm = members[c].index_select(0, torch::randperm(sizes[c], rng, torch::kLong));
    held.push_back(perm.narrow(0, 0, counts[c]));
    rest.push_back(perm.narrow(0, counts[c], sizes[c] - counts[c]));
  }
  return {std::get<0>(torch::sort(torch::cat(held))), std::get<0>(torch::sort(torch::cat(rest)))};
}

}  // namespace dfkd_image

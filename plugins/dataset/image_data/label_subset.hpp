#pragma once
/// Stratified subsets of a training split's labels (paper Fig. 2a: accuracy against the amount of
/// labelled data) and the stratified validation hold-out.
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace dfkd_image {

/// How many samples of each class to keep.
///   per_class > 0: exactly per_class of every class (a class with fewer is a ConfigError);
///   else fraction f in (0, 1]: round(f * N) in total, class c gets floor(f * n_c) or one more,
///   the extra ones going to the largest remainders f * n_c - floor(f * n_c) (ties: lower class).
/// `owner` names the plugin in errors.
std::vector<int64_t> subset_counts(const std::vector<int64_t>& class_sizes, double fraction,
                                   int64_t per_class, const std::string& owner);

/// Indices (int64, ascending) of a stratified subset of `labels` (int64 [N], values in
/// 0..num_classes-1), or an undefined tensor when everything is kept (fraction 1, per_class 0).
///
/// Each class's indices are permuted by a generator seeded from (seed, "image_data/subset"), one
/// randperm per class in class order, and the first count_c of them are kept. So the selection
/// depends only on (labels, seed, counts), and for one seed a smaller subset is contained in a
/// larger one.
torch::Tensor stratified_subset(const torch::Tensor& labels, int64_t num_classes, double fraction,
                                int64_t per_class, uint64_t seed, const std::string& owner);

/// How many samples of each class a hold-out of `n` takes: n * n_c / N each, floored, the rest one
/// each to the largest remainders (ties: lower class), in exact integer arithmetic so the total
/// is exactly n. 0 <= n < N (at least one sample stays), else a ConfigError on option
/// validation_size naming `owner`.
std::vector<int64_t> holdout_counts(const std::vector<int64_t>& class_sizes, int64_t n,
                                    const std::string& owner);

/// A stratified hold-out of `n` samples: indices (int64, ascending) of the held-out samples and of
/// the rest. Each class's indices are permuted by a generator seeded from (seed,
/// "image_data/validation"), a stream of its own: the hold-out does not move when the subset
/// options or the run seed change.
struct Holdout {
  torch::Tensor held;
  torch::Tensor rest;
};
Holdout stratified_holdout(const torch::Tensor& labels, int64_t num_classes, int64_t n,
                           uint64_t seed, const std::string& owner);

}  // namespace dfkd_image

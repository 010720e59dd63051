#pragma once
/// Small-sample statistics for tables and figures over seeds: Student-t quantiles for confidence
/// intervals, Welch's t-test for comparing two rows and the one-sample (paired) t-test for
/// contrasts evaluated per seed. Plain doubles, no LibTorch.
#include <cstddef>
#include <optional>
#include <vector>

namespace dfkd::host {

/// I_x(a, b), the regularized incomplete beta function, for 0 <= x <= 1 and a, b > 0.
double regularized_incomplete_beta(double x, double a, double b);

/// P(T <= t) for Student's t with `df` > 0 degrees of freedom (df need not be an integer).
double student_t_cdf(double t, double df);
/// P(|T| >= |t|): the two-sided p-value of a t statistic.
double student_t_two_sided_p(double t, double df);
/// The t with P(T <= t) = p, for 0 < p < 1.
double student_t_quantile(double p, double df);

struct SampleSummary {
  size_t n = 0;
  double mean = 0;            ///< 0 when n = 0
  std::optional<double> std;  ///< sample standard deviation (n - 1); absent for n < 2
  /// Half-width of the 95 % confidence interval of the mean, t_{0.975, n-1} * std / sqrt(n);
  /// absent for n < 2 (one seed says nothing about the spread).
  std::optional<double> ci95;
};

SampleSummary summarize(const std::vector<double>& values);

struct WelchTest {
  double diff = 0;  ///< mean(a) - mean(b)
  double t = 0;
  double df = 0;  ///< Welch–Satterthwaite degrees of freedom
  double p = 1;   ///< two-sided
};

/// Welch's unequal-variance t-test of mean(a) against mean(b); absent when either side has fewer
/// than two values (no variance estimate).
std::optional<WelchTest> welch_t_test(const std::vector<double>& a, const std::vector<double>& b);

struct OneSampleTest {
  double mean = 0;
  double t = 0;
  double df = 0;  ///< n - 1
  double p = 1;   ///< two-sided, of mean = 0
};

/// Student's one-sample t-test of mean(values) = 0; on per-seed differences it is the paired
/// t-test. Absent for fewer than two values.
std::optional<OneSampleTest> one_sample_t_test(const std::vector<double>& values);

/// Holm's step-down adjustment of a family of p-values (Holm 1979), in their given order: with
/// p_(1) <= ... <= p_(m) sorted, p_(i) becomes max over j <= i of min(1, (m - j + 1) * p_(j)).
/// Rejecting every adjusted p < alpha keeps the chance of any false positive in the family at
/// most alpha, whatever the dependence between the tests; equal p-values get equal adjusted ones.
std::vector<double> holm_adjusted(const std::vector<double>& p);

}  // namespace dfkd::host

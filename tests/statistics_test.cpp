// Golden tests of report/statistics: Student-t CDF and quantiles, the 95 % CI half-width and
// Welch's t-test.
//
// Every expected number below was computed independently with mpmath 1.3.0 (python3, 50 to 60
// significant digits; scipy is not installed here) and rounded to 17 digits:
//   from mpmath import mp, mpf, betainc, findroot, sqrt
//   mp.dps = 50
//   def cdf(t, v):  # P(T <= t) = 1 - I_{v/(v+t^2)}(v/2, 1/2) / 2 for t > 0
//       t, v = mpf(t), mpf(v)
//       tail = betainc(v/2, mpf(1)/2, 0, v/(v+t*t), regularized=True) / 2
//       return 1 - tail if t > 0 else tail
//   def quantile(p, v):  # p given as a decimal string, i.e. exactly 0.975
//       return findroot(lambda t: cdf(t, v) - mpf(p), mpf(2), tol=mpf(10)**-45)
//   def welch(a, b):  # a, b as Python floats, as the C++ side sees them
//       ma, mb = sum(a)/len(a), sum(b)/len(b)  (in mpf)
//       sa = sum((x-ma)**2 for x in a)/(len(a)-1)/len(a); sb likewise
//       t = (ma-mb)/sqrt(sa+sb); df = (sa+sb)**2/(sa**2/(len(a)-1) + sb**2/(len(b)-1))
//       p = 2*(1 - cdf(abs(t), df))
//   def one_sample(a):  # mean = 0, as the paired test of per-seed contrasts
//       m = sum(a)/len(a); s2 = sum((x-m)**2 for x in a)/(len(a)-1)
//       t = m/sqrt(s2/len(a)); p = 2*(1 - cdf(abs(t), len(a)-1))
// Cross-checks: df = 1 is Cauchy, t = tan(0.475 pi) = 12.706204736174704646...; df = 2 has
// t = (2p-1) / sqrt(2p(1-p)) = 0.95 / sqrt(0.04875) = 4.3026527297494638523...; both agree.
// t_{0.975,4}: mpmath gives 2.77644510519779436 (scipy's t.ppf prints 2.7764451051977987, 4e-15
// off: an integral of the t density from 0 to each value, also with mpmath, puts the exact
// quantile at ...7944).
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "report/statistics.hpp"

namespace {

using dfkd::host::one_sample_t_test;
using dfkd::host::regularized_incomplete_beta;
using dfkd::host::student_t_cdf;
using dfkd::host::student_t_quantile;
using dfkd::host::student_t_two_sided_p;
using dfkd::host::summarize;
using dfkd::host::welch_t_test;

void expect_relative(double actual, double expected, double tolerance) {
  EXPECT_NEAR(actual, expected, std::fabs(expected) * tolerance) << "expected " << expected;
}

TEST(Statistics, IncompleteBetaMatchesMpmath) {
  // mpmath betainc(2, 3, 0, 0.3, regularized=True) = 0.3483 exactly (a polynomial for integers).
  expect_relative(regularized_incomplete_beta(0.3, 2, 3), 0.3483, 1e-13);
  // betainc(0.5, 7.5, 0, 0.9, regularized=True): the symmetric branch (x > (a+1)/(a+b+2)).
  expect_relative(regularized_incomplete_beta(0.9, 0.5, 7.5), 0.99999999328971034789, 1e-13);
  EXPECT_EQ(regularized_incomplete_beta(0, 2, 3), 0);
  EXPECT_EQ(regularized_incomplete_beta(1, 2, 3), 1);
  EXPECT_THROW(regularized_incomplete_beta(1.5, 2, 3), std::invalid_argument);
}

TEST(Statistics, StudentTCdfMatchesMpmath) {
  expect_relative(student_t_cdf(1.5, 3), 0.88470806737758847, 1e-13);
  expect_relative(student_t_cdf(-2.0, 7), 0.042809664281488038, 1e-12);
  EXPECT_DOUBLE_EQ(student_t_cdf(0.0, 4), 0.5);
  expect_relative(student_t_cdf(3.0, 2.5), 0.96371195222548408, 1e-13);  // non-integer df
  // Two-sided p of t = 1.5, df = 3 is 2 (1 - cdf).
  expect_relative(student_t_two_sided_p(-1.5, 3), 2 * (1 - 0.88470806737758847), 1e-12);
}

TEST(Statistics, StudentTQuantilesMatchMpmath) {
  struct Case {
    double p, df, t;
  };
  const std::vector<Case> cases{
      {0.975, 1, 12.706204736174705},   {0.975, 2, 4.3026527297494639},
      {0.975, 4, 2.7764451051977944},   {0.975, 10, 2.2281388519862747},
      {0.975, 30, 2.0422724563012383},  {0.995, 3, 5.8409093097333573},
      {0.975, 5.5, 2.5018586175892404}, {0.6, 3, 0.27667066233268991},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(testing::Message() << "p " << c.p << " df " << c.df);
    expect_relative(student_t_quantile(c.p, c.df), c.t, 1e-12);
    expect_relative(student_t_quantile(1 - c.p, c.df), -c.t, 1e-12);  // symmetric
  }
  // Large df: lgamma of ~500 costs a few digits, still far below what a table prints.
  expect_relative(student_t_quantile(0.975, 1000), 1.9623390808264085, 1e-10);
  EXPECT_EQ(student_t_quantile(0.5, 7), 0);
  EXPECT_THROW(student_t_quantile(1.0, 3), std::invalid_argument);
}

TEST(Statistics, SummaryHasNoSpreadForOneValue) {
  const auto one = summarize({91.5});
  EXPECT_EQ(one.n, 1u);
  EXPECT_EQ(one.mean, 91.5);
  EXPECT_FALSE(one.std);
  EXPECT_FALSE(one.ci95);

  // {1..5}: mean 3, s = sqrt(2.5); ci95 = t_{0.975,4} s / sqrt(5) = 1.9632431614775576977 (mpmath).
  const auto five = summarize({1, 2, 3, 4, 5});
  EXPECT_DOUBLE_EQ(five.mean, 3);
  expect_relative(*five.std, std::sqrt(2.5), 1e-15);
  expect_relative(*five.ci95, 1.9632431614775576977, 1e-12);
  // {10, 11, 12}: s = 1; ci95 = t_{0.975,2} / sqrt(3) = 2.4841377117503310710 (mpmath).
  expect_relative(*summarize({10, 11, 12}).ci95, 2.4841377117503310710, 1e-12);
}

TEST(Statistics, WelchMatchesMpmath) {
  auto w = welch_t_test({1, 2, 3, 4, 5}, {2, 4, 6, 8, 10});
  ASSERT_TRUE(w);
  EXPECT_DOUBLE_EQ(w->diff, -3.0);
  expect_relative(w->t, -1.8973665961010276, 1e-13);
  expect_relative(w->df, 5.8823529411764706, 1e-13);  // = 100/17
  expect_relative(w->p, 0.10753119493062724, 1e-12);

  w = welch_t_test({90.1, 90.5, 89.8}, {91.2, 91.0, 91.5, 90.9});
  ASSERT_TRUE(w);
  expect_relative(w->df, 3.6269653767820478, 1e-12);
  expect_relative(w->p, 0.016802146454665275, 1e-10);  // differences of nearby doubles: 1e-13 abs

  w = welch_t_test({70, 71}, {80, 81, 79});
  ASSERT_TRUE(w);
  EXPECT_DOUBLE_EQ(w->diff, -9.5);
  expect_relative(w->df, 2.8823529411764706, 1e-13);
  expect_relative(w->p, 0.0013581734816697928, 1e-11);

  w = welch_t_test({10, 11, 12}, {1, 2, 3, 4, 5});
  ASSERT_TRUE(w);
  expect_relative(w->p, 0.0001363358923779529, 1e-10);
}

TEST(Statistics, OneSampleTTestMatchesMpmath) {
  auto o = one_sample_t_test({0.5, 1.25, -0.25, 0.75});
  ASSERT_TRUE(o);
  EXPECT_DOUBLE_EQ(o->mean, 0.5625);
  EXPECT_DOUBLE_EQ(o->df, 3);
  expect_relative(o->t, 1.8, 1e-13);
  expect_relative(o->p, 0.16967992890125826, 1e-12);
  o = one_sample_t_test({0.71, 0.2, 1.1});
  ASSERT_TRUE(o);
  expect_relative(o->t, 2.5712240141186763, 1e-13);
  expect_relative(o->p, 0.12378989831479682, 1e-12);
  o = one_sample_t_test({-1, -2, -3, -4, -5});  // the sign is kept; p is two-sided
  ASSERT_TRUE(o);
  expect_relative(o->t, -4.2426406871192851, 1e-13);
  expect_relative(o->p, 0.01323559956368269, 1e-11);
}

TEST(Statistics, OneSampleTTestNeedsTwoValues) {
  EXPECT_FALSE(one_sample_t_test({}));
  EXPECT_FALSE(one_sample_t_test({0.3}));
  EXPECT_EQ(one_sample_t_test({0, 0, 0})->p, 1);
  EXPECT_EQ(one_sample_t_test({0.4, 0.4})->p, 0);
}

TEST(Statistics, WelchNeedsTwoValuesEachSide) {
  EXPECT_FALSE(welch_t_test({1}, {2, 3, 4}));
  EXPECT_FALSE(welch_t_test({1, 2}, {}));
  // No spread on either side: equal means are no evidence, different ones certain.
  EXPECT_EQ(welch_t_test({5, 5}, {5, 5, 5})->p, 1);
  EXPECT_EQ(welch_t_test({5, 5}, {6, 6})->p, 0);
}

}  // namespace

// Holm's adjusted p-values, obtained without the formula under test: the smallest alpha at which
// Holm's step-down procedure itself rejects H_i (sort; reject while p_(k) <= alpha / (m - k + 1)),
// searched over exact fractions in python3 (fractions.Fraction) among the candidate alphas
// min(1, (m - k + 1) p_j), 1 when no alpha below 1 rejects it.
TEST(Statistics, HolmAdjustmentMatchesTheStepDownProcedure) {
  using dfkd::host::holm_adjusted;
  auto expect_all = [](const std::vector<double>& actual, const std::vector<double>& expected) {
    ASSERT_EQ(actual.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(actual[i], expected[i], 1e-15) << i;
  };
  // Given out of order: the adjusted values come back in the input's order.
  expect_all(holm_adjusted({0.01, 0.04, 0.03, 0.005}), {0.03, 0.06, 0.06, 0.02});
  // Monotone: 2 * 0.021 = 0.042 would undercut the smaller p's 3 * 0.02 = 0.06.
  expect_all(holm_adjusted({0.02, 0.021, 0.5}), {0.06, 0.06, 0.5});
  expect_all(holm_adjusted({0.4, 0.6, 0.7}), {1, 1, 1});  // capped at 1
  expect_all(holm_adjusted({0.01, 0.01}), {0.02, 0.02});  // ties stay equal
  expect_all(holm_adjusted({0.013}), {0.013});            // a family of one is unadjusted
  EXPECT_TRUE(holm_adjusted({}).empty());
}

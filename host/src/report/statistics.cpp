#include "report/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace dfkd::host {
namespace {

constexpr double kEpsilon = std::numeric_limits<double>::epsilon();
constexpr double kTiny = 1e-300;  // keeps Lentz's denominators away from zero
constexpr int kMaxTerms = 100000;

/// The continued fraction 1 / (1 + d1 / (1 + d2 / (1 + ...))) of I_x(a, b), with
///   d_{2m+1} = -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1)),
///   d_{2m}   =  m (b - m) x / ((a + 2m - 1)(a + 2m)),
/// evaluated by the modified Lentz method. It converges fast for x < (a + 1) / (a + b + 2).
double beta_continued_fraction(double x, double a, double b) {
  double f = 1, c = 1, d = 0;
  auto apply = [&](double term) {
    d = 1 + term * d;
    d = 1 / (std::fabs(d) < kTiny ? kTiny : d);
    c = 1 + term / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    const double delta = c * d;
    f *= delta;
    return std::fabs(delta - 1) < kEpsilon;
  };
  for (int m = 0; m < kMaxTerms; ++m) {
    const double mm = m;
    if (m > 0) apply(mm * (b - mm) * x / ((a + 2 * mm - 1) * (a + 2 * mm)));
    if (apply(-(a + mm) * (a + b + mm) * x / ((a + 2 * mm) * (a + 2 * mm + 1)))) return 1 / f;
  }
  throw std::runtime_error("incomplete beta: continued fraction did not converge");
}

/// I_x(a, b) given x and y = 1 - x separately: the t tail computes y without cancellation.
double incomplete_beta(double x, double y, double a, double b) {
  if (x <= 0) return 0;
  if (y <= 0) return 1;
  const double log_beta = std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b);
  const double front = std::exp(a * std::log(x) + b * std::log(y) - log_beta);
  // The fraction converges on the smaller side; I_x(a, b) = 1 - I_y(b, a) gives the other.
  if (x < (a + 1) / (a + b + 2)) return front * beta_continued_fraction(x, a, b) / a;
  return 1 - front * beta_continued_fraction(y, b, a) / b;
}

double mean_of(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return v.empty() ? 0 : sum / static_cast<double>(v.size());
}

/// Sample variance (n - 1); callers ensure n >= 2.
double variance_of(const std::vector<double>& v, double mean) {
  double ss = 0;
  for (double x : v) ss += (x - mean) * (x - mean);
  return ss / static_cast<double>(v.size() - 1);
}

struct TStatistic {
  double t, p;
};

// t = diff / se and its two-sided p. No spread (se = 0): any difference is certain, none is no
// evidence at all.
TStatistic t_statistic(double diff, double se, double df) {
  if (se == 0)
    return {diff == 0 ? 0 : std::copysign(std::numeric_limits<double>::infinity(), diff),
            diff == 0 ? 1.0 : 0.0};
  const double t = diff / se;
  return {t, student_t_two_sided_p(t, df)};
}

}  // namespace

double regularized_incomplete_beta(double x, double a, double b) {
  if (!(x >= 0 && x <= 1) || !(a > 0) || !(b > 0))
    throw std::invalid_argument("incomplete beta: needs 0 <= x <= 1 and a, b > 0");
  return incomplete_beta(x, 1 - x, a, b);
}

double student_t_two_sided_p(double t, double df) {
  if (!(df > 0)) throw std::invalid_argument("Student t: degrees of freedom must be > 0");
  if (std::isinf(t)) return 0;
  // P(|T| >= |t|) = I_{df / (df + t^2)}(df / 2, 1 / 2).
  const double t2 = t * t;
  return incomplete_beta(df / (df + t2), t2 / (df + t2), df / 2, 0.5);
}

double student_t_cdf(double t, double df) {
  const double half_tail = student_t_two_sided_p(t, df) / 2;
  return t >= 0 ? 1 - half_tail : half_tail;
}

double student_t_quantile(double p, double df) {
  if (!(p > 0 && p < 1)) throw std::invalid_argument("Student t quantile: needs 0 < p < 1");
  if (p < 0.5) return -student_t_quantile(1 - p, df);
  if (p == 0.5) return 0;
  // Solve on the two-sided tail, which is accurate where the CDF is close to 1 and decreases in t.
  const double tail = 2 * (1 - p);
  double lo = 0, hi = 1;
  while (student_t_two_sided_p(hi, df) > tail) {
    lo = hi;
    hi *= 2;
    if (std::isinf(hi)) return hi;
  }
  for (int i = 0; i < 2000; ++i) {
    const double mid = lo + (hi - lo) / 2;
    if (mid <= lo || mid >= hi) break;  // the bracket is as narrow as doubles allow
    (student_t_two_sided_p(mid, df) > tail ? lo : hi) = mid;
  }
  return lo + (hi - lo) / 2;
}

SampleSummary summarize(const std::vector<double>& values) {
  SampleSummary s;
  s.n = values.size();
  s.mean = mean_of(values);
  if (s.n < 2) return s;
  s.std = std::sqrt(variance_of(values, s.mean));
  const double n = static_cast<double>(s.n);
  s.ci95 = student_t_quantile(0.975, n - 1) * *s.std / std::sqrt(n);
  return s;
}

std::optional<WelchTest> welch_t_test(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() < 2 || b.size() < 2) return std::nullopt;
  const double na = static_cast<double>(a.size()), nb = static_cast<double>(b.size());
  const double mean_a = mean_of(a), mean_b = mean_of(b);
  const double sa = variance_of(a, mean_a) / na, sb = variance_of(b, mean_b) / nb;
  WelchTest w;
  w.diff = mean_a - mean_b;
  const double se2 = sa + sb;
  // Both sides constant (se2 = 0): the pooled df, as the Welch-Satterthwaite formula is 0 / 0.
  w.df = se2 == 0 ? na + nb - 2 : se2 * se2 / (sa * sa / (na - 1) + sb * sb / (nb - 1));
  const auto [t, p] = t_statistic(w.diff, std::sqrt(se2), w.df);
  w.t = t;
  w.p = p;
  return w;
}

std::optional<OneSampleTest> one_sample_t_test(const std::vector<double>& values) {
  if (values.size() < 2) return std::nullopt;
  const double n = static_cast<double>(values.size());
  OneSampleTest o;
  o.mean = mean_of(values);
  o.df = n - 1;
  const auto [t, p] = t_statistic(o.mean, std::sqrt(variance_of(values, o.mean) / n), o.df);
  o.t = t;
  o.p = p;
  return o;
}

std::vector<double> holm_adjusted(const std::vector<double>& p) {
  std::vector<size_t> order(p.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return p[a] < p[b]; });
  std::vector<double> adjusted(p.size());
  double running_max = 0;
  for (size_t rank = 0; rank < order.size(); ++rank) {
    const double m_minus_rank = static_cast<double>(p.size() - rank);
    running_max = std::max(running_max, std::min(1.0, m_minus_rank * p[order[rank]]));
    adjusted[order[rank]] = running_max;
  }
  return adjusted;
}

}  // namespace dfkd::host

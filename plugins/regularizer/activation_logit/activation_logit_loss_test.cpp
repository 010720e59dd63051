// Golden-value tests of the activation_logit term (R_l, eq. 2). Every expected number was computed
// independently with plain Python (math module only, no tensor library) from the formula in the
// function's header; the Python expression sits above each check. Built into dfkd_tests via
// dfkd_add_plugin(... TESTS).
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "activation_logit_loss.hpp"
#include "support/golden_tensors.hpp"

namespace {

using golden::expect_tensor_near;
using golden::kF64;
using golden::teacher_logits;

}  // namespace

TEST(ActivationLogit, CrossEntropyAgainstOwnArgmax) {
  // Python: sum(math.log(sum(math.exp(v) for v in r)) - max(r) for r in t) / 3
  //         -> 0.6566866140350763
  EXPECT_NEAR(dfkd::losses::activation_logit(teacher_logits()).item<double>(), 0.6566866140350763,
              1e-12);
}

TEST(ActivationLogit, GradientPushesMaxLogitUp) {
  auto logits = teacher_logits().requires_grad_(true);
  auto r = dfkd::losses::activation_logit(logits);
  r.backward();
  // (softmax(t_b) - onehot(argmax t_b)) / 3 per element. Python:
  //   z = sum(math.exp(v) for v in r); (math.exp(v)/z - (k == r.index(max(r)))) / 3
  const auto expected = torch::tensor(
      {{0.1092515199403077, 0.024377309140740235, -0.19989322554505073, 0.06626439646400276},
       {0.013814172287616234, 0.030744005819336354, 0.011310087680189027, -0.05586826578714162},
       {-0.19383936816066713, 0.06927065307233675, 0.11420799915565079, 0.010360715932679591}},
      kF64);
  expect_tensor_near(logits.grad(), expected, 1e-12);

  const auto argmax = logits.detach().argmax(1);
  const auto max_grad = logits.grad().gather(1, argmax.unsqueeze(1));
  EXPECT_TRUE((max_grad < 0).all().item<bool>()) << "descent must raise the max logit";
  torch::NoGradGuard no_grad;
  const auto moved = logits - 0.1 * logits.grad();
  EXPECT_TRUE((moved.gather(1, argmax.unsqueeze(1)) > logits.gather(1, argmax.unsqueeze(1)))
                  .all()
                  .item<bool>());
  EXPECT_LT(dfkd::losses::activation_logit(moved).item<double>(), r.item<double>());
}

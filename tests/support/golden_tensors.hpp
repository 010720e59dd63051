#pragma once
// The small fixed tensors the golden-value tests share (each plugin's <name>_loss_test.cpp),
// each with the Python literal the expected values were computed from.
#include <gtest/gtest.h>

#include <torch/torch.h>

namespace golden {

inline const auto kF64 = torch::dtype(torch::kFloat64);

// Python: s = [[0.5,-1.0,2.0,0.0],[1.5,0.3,-0.7,2.2],[-0.4,0.9,0.1,-1.3]]
inline torch::Tensor student_logits() {
  return torch::tensor({{0.5, -1.0, 2.0, 0.0}, {1.5, 0.3, -0.7, 2.2}, {-0.4, 0.9, 0.1, -1.3}},
                       kF64);
}
// Python: t = [[1.0,-0.5,1.2,0.5],[0.0,0.8,-0.2,3.0],[0.6,-0.1,0.4,-2.0]]  (argmax 2, 3, 0)
inline torch::Tensor teacher_logits() {
  return torch::tensor({{1.0, -0.5, 1.2, 0.5}, {0.0, 0.8, -0.2, 3.0}, {0.6, -0.1, 0.4, -2.0}},
                       kF64);
}
// Python: x = [[1.0,-2.0],[0.5,0.25],[-1.5,3.0]]
inline torch::Tensor inputs() {
  return torch::tensor({{1.0, -2.0}, {0.5, 0.25}, {-1.5, 3.0}}, kF64);
}

inline void expect_tensor_near(const torch::Tensor& actual, const torch::Tensor& expected,
                               double tol) {
  ASSERT_EQ(actual.sizes(), expected.sizes());
  EXPECT_TRUE(torch::allclose(actual, expected, /*rtol=*/0, /*atol=*/tol))
      << "actual:\n"
      << actual << "\nexpected:\n"
      << expected;
}

}  // namespace golden

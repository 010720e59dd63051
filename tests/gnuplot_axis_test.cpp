// Figure axes over epochs: integer labels at a step that stays readable from 2 epochs to 500.
#include <gtest/gtest.h>

#include "report/gnuplot.hpp"

namespace {

using dfkd::host::integer_tick_step;
using dfkd::host::integer_x_axis;

TEST(GnuplotAxis, EpochTicksAreWholeNumbersAtMostTenOfThem) {
  EXPECT_EQ(integer_tick_step(1), 1);
  EXPECT_EQ(integer_tick_step(2), 1);
  EXPECT_EQ(integer_tick_step(10), 1);
  EXPECT_EQ(integer_tick_step(11), 2);
  EXPECT_EQ(integer_tick_step(30), 5);
  EXPECT_EQ(integer_tick_step(200), 20);
  EXPECT_EQ(integer_tick_step(500), 50);
  EXPECT_EQ(integer_tick_step(550), 100);
  for (int64_t last = 1; last <= 2000; ++last) EXPECT_LE(last / integer_tick_step(last), 10);
}

TEST(GnuplotAxis, IntegerAxisEndsAtTheLastEpochWithIntegerLabels) {
  const auto two = integer_x_axis(2);
  EXPECT_NE(two.find("set xrange [1:2]"), std::string::npos) << two;
  EXPECT_NE(two.find("set xtics 0,1\n"), std::string::npos) << two;
  EXPECT_NE(two.find("set format x '%.0f'"), std::string::npos) << two;
  EXPECT_NE(integer_x_axis(1).find("set xrange [0.5:1.5]"), std::string::npos);
  const auto many = integer_x_axis(500);
  EXPECT_NE(many.find("set xrange [1:500]"), std::string::npos) << many;
  EXPECT_NE(many.find("set xtics 0,50\n"), std::string::npos) << many;
}

}  // namespace

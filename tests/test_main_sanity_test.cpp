// Placeholder removed once real tests exist.
#include <gtest/gtest.h>
TEST(Sanity, Builds) { SUCCEED(); }

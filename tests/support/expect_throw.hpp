#pragma once
// Checks on the message of an exception a statement throws, instead of a hand-written
// try/catch in each test.
#include <gtest/gtest.h>

#include <exception>
#include <string>
#include <utility>

namespace dfkd::test_support {

/// what() of the exception being handled (call inside a catch block).
inline std::string current_exception_message() {
  try {
    throw;
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an exception not derived from std::exception";
  }
}

/// What the `Exception` thrown by `f` says; "" when `f` returns normally (for checks where success
/// is a valid outcome). Any other exception passes through, so the test fails on it.
template <class Exception, class F>
std::string message_of(F&& f) {
  try {
    std::forward<F>(f)();
  } catch (const Exception& e) {
    return e.what();
  }
  return "";
}

/// The message of the `Exception` that `f` must throw; a test failure (and "") when it throws
/// nothing or another exception.
template <class Exception, class F>
std::string thrown_message(F&& f, const char* exception_name = "the expected exception") {
  try {
    std::forward<F>(f)();
  } catch (const Exception& e) {
    return e.what();
  } catch (...) {
    ADD_FAILURE() << "expected " << exception_name << ", got: " << current_exception_message();
    return "";
  }
  ADD_FAILURE() << "expected " << exception_name << ", nothing was thrown";
  return "";
}

/// Success when `f` throws an `Exception` whose message contains `substring`.
template <class Exception, class F>
::testing::AssertionResult throws_with_message(F&& f, const char* exception_name,
                                               const std::string& substring) {
  try {
    std::forward<F>(f)();
  } catch (const Exception& e) {
    const std::string message = e.what();
    if (message.find(substring) != std::string::npos) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << exception_name << " message lacks \"" << substring << "\":\n  " << message;
  } catch (...) {
    return ::testing::AssertionFailure()
           << "expected " << exception_name << ", got: " << current_exception_message();
  }
  return ::testing::AssertionFailure() << "expected " << exception_name << ", nothing was thrown";
}

}  // namespace dfkd::test_support

/// Expects `statement` to throw `exception_type` (or a type derived from it) whose what()
/// contains `substring`.
#define EXPECT_THROW_WITH_MESSAGE(statement, exception_type, substring)  \
  EXPECT_TRUE(::dfkd::test_support::throws_with_message<exception_type>( \
      [&] { statement; }, #exception_type, substring))
#define ASSERT_THROW_WITH_MESSAGE(statement, exception_type, substring)  \
  ASSERT_TRUE(::dfkd::test_support::throws_with_message<exception_type>( \
      [&] { statement; }, #exception_type, substring))

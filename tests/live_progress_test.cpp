// Live progress of `dfkd run` on a terminal (issue 17): the worker-to-parent progress lines, the
// block the parent redraws, and `dfkd run` itself under a pseudo-terminal (util-linux `script`)
// against the plain lines it prints into a pipe.
#include <gtest/gtest.h>
#include <stdio.h>

#include "planner/live_progress.hpp"
#include "support/cli_fixture.hpp"

namespace {

using dfkd::host::LiveBlock;
using dfkd::host::parse_progress_line;
using dfkd::host::progress_line;
using dfkd::host::RunProgress;
using dfkd::test_support::CliTest;

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

TEST(LiveProgress, LinesRoundTripAndOthersAreNotProgress) {
  RunProgress p;
  p.epoch = 3;
  p.epochs = 10;
  p.iteration = 25;
  p.iterations = 50;
  p.losses = {{"loss_student", 1.25}, {"loss_generator", -0.5}};
  p.test_accuracy = 96.5;
  const auto line = progress_line(p);
  EXPECT_EQ(line.rfind("@dfkd-progress {", 0), 0u) << line;
  const auto back = parse_progress_line(line);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->epoch, 3);
  EXPECT_EQ(back->iterations, 50);
  EXPECT_DOUBLE_EQ(back->losses.at("loss_generator"), -0.5);
  EXPECT_DOUBLE_EQ(*back->test_accuracy, 96.5);
  EXPECT_FALSE(back->eta_seconds);
  // (3 - 1) * 50 + 25 of 10 * 50 iterations.
  EXPECT_DOUBLE_EQ(back->done_fraction(), 125.0 / 500.0);
  EXPECT_FALSE(parse_progress_line("dfkd: warning: something"));
  EXPECT_FALSE(parse_progress_line("@dfkd-progress {\"epoch\": 1"));
  EXPECT_FALSE(parse_progress_line("@dfkd-progress {\"epoch\": \"one\"}"));
}

// The block redraws in place: each redraw moves up over exactly the lines it drew last time,
// and a message printed above it is written once (it stays in the scrollback).
TEST(LiveProgress, BlockRedrawsInPlaceAndKeepsMessagesAbove) {
  char* buf = nullptr;
  size_t size = 0;
  FILE* out = open_memstream(&buf, &size);
  {
    LiveBlock block(out);
    block.summary("matrix: 0/2 done");
    block.started("a", "[1/2] DFAD / MNIST / seed 0");
    RunProgress p;
    p.epoch = 1;
    p.epochs = 2;
    p.iteration = 5;
    p.iterations = 10;
    p.losses = {{"loss_student", 0.75}};
    block.update("a", p);
    block.print_above("[0/2] Teacher / MNIST / seed 0  cached (98.43% test_accuracy)");
    block.ended("a");
    block.summary("");
  }
  fclose(out);
  const std::string s(buf, size);
  free(buf);
  EXPECT_NE(s.find("[1/2] DFAD / MNIST / seed 0  [#####...............] epoch 1/2 it 5/10  "
                   "loss_student 0.75\n"),
            std::string::npos)
      << s;
  EXPECT_EQ(count(s, "cached (98.43% test_accuracy)"), 1u) << s;
  // Up 1 over the summary alone (when the run starts, and at the end), up 2 over run + summary
  // (update, message, run ended).
  EXPECT_EQ(count(s, "\033[1F\033[J"), 2u) << s;
  EXPECT_EQ(count(s, "\033[2F\033[J"), 3u) << s;
  const std::string erase_one = "\033[1F\033[J";
  EXPECT_EQ(s.substr(s.size() - erase_one.size()), erase_one) << "ends with the block erased";
}

// On a terminal: live lines and the matrix line, no tagged line leaks through. In a pipe: plain
// lines without escape sequences, as before.
TEST_F(CliTest, RunShowsLiveLinesOnATerminalAndPlainLinesInAPipe) {
  if (shell("command -v script").exit_code != 0)
    GTEST_SKIP() << "util-linux script not installed (Debian's bsdutils has it)";
  const std::string file = std::string(DFKD_SOURCE_DIR) + "/experiments/two_moons.json";
  const auto live =
      shell("cd '" + dir_.string() + "' && TERM=xterm script -qfec \"'" + DFKD_BINARY + "' run '" +
            file + "' --profile smoke --jobs 2 --no-table " + db_arg() + "\" /dev/null 2>&1");
  ASSERT_EQ(live.exit_code, 0) << live.output;
  EXPECT_NE(live.output.find("matrix: 0/7 done"), std::string::npos) << live.output;
  EXPECT_NE(live.output.find("] epoch 1/"), std::string::npos) << live.output;
  EXPECT_NE(live.output.find("\033[J"), std::string::npos) << live.output;
  EXPECT_EQ(live.output.find("@dfkd-progress"), std::string::npos) << live.output;
  EXPECT_EQ(count(live.output, "  completed in "), 7u) << live.output;

  const auto piped =
      cli("run '" + file + "' --profile smoke --seeds 3 --jobs 2 --no-table " + db_arg());
  ASSERT_EQ(piped.exit_code, 0) << piped.output;
  EXPECT_EQ(piped.output.find('\033'), std::string::npos) << piped.output;
  EXPECT_EQ(piped.output.find("@dfkd-progress"), std::string::npos) << piped.output;
  EXPECT_NE(piped.output.find("seed 2  epoch 1/"), std::string::npos) << piped.output;
}

}  // namespace

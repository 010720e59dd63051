// `dfkd report` (issue 17): the HTML pieces, then the whole site from a Table 1 and two-moons
// smoke store, loaded in a real browser (headless Chromium, Debian package `chromium`): the table's
// rows are in the page, the browser reports nothing on its console, every link and image of every
// page is a file of the site (the pages forbid any other load, and the test checks each one), and
// a screenshot of the Table 1 page is kept in <build>/test-artifacts/.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>

#include "report/html.hpp"
#include "support/cli_fixture.hpp"

namespace {

namespace fs = std::filesystem;
using dfkd::host::html_escape;
using dfkd::host::html_table;
using dfkd::host::ResultTable;
using dfkd::test_support::CliResult;
using dfkd::test_support::CliTest;

std::string read_text(const fs::path& f) {
  std::ifstream in(f);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(HtmlReport, EscapesEveryMarkupCharacter) {
  EXPECT_EQ(html_escape(R"(<a href="x">Tom & 'Jerry'</a>)"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;");
  EXPECT_EQ(html_escape("R_l w=1 ± 0.5"), "R_l w=1 ± 0.5");
}

// A hand-made table: a cell with three seeds (one failed), a failed cell, an unrun cell with the
// paper's number, and a row name that is markup.
TEST(HtmlReport, TableCellsLinkTheirRunsAndSayWhatIsMissing) {
  ResultTable t;
  t.experiment = "e";
  t.profile = "p";
  t.columns = {"MNIST"};
  t.rows = {"DFAD", "<b>x</b>", "Proposed"};
  auto& ok = t.cells["DFAD"]["MNIST"];
  ok.values = {97.0, 98.0};
  ok.mean = 97.5;
  ok.ci95 = 6.35;
  ok.failed = 1;
  ok.runs = {{0, "aaaa"}, {1, "bbbb"}, {2, "cccc"}};
  auto& failed = t.cells["<b>x</b>"]["MNIST"];
  failed.failed = 1;
  failed.runs = {{0, "dddd"}};
  t.cells["Proposed"]["MNIST"].paper = 98.41;
  const auto html = html_table(t, [](const std::string& id) {
    return id == "cccc" ? std::string() : "runs/" + id + ".html";
  });
  EXPECT_NE(html.find("<span class=\"cell-mean\">97.50</span> ± 6.35"), std::string::npos) << html;
  EXPECT_NE(html.find("(n=2, 1 failed)"), std::string::npos) << html;
  EXPECT_NE(html.find("<a href=\"runs/aaaa.html\" title=\"run aaaa\">s0</a>"), std::string::npos);
  EXPECT_NE(html.find("<a href=\"runs/bbbb.html\" title=\"run bbbb\">s1</a>"), std::string::npos);
  EXPECT_EQ(html.find("cccc"), std::string::npos) << "a run without a page gets no link";
  EXPECT_NE(html.find("<th>&lt;b&gt;x&lt;/b&gt;</th>"), std::string::npos) << html;
  EXPECT_NE(html.find("status-failed\">failed</span>"), std::string::npos) << html;
  EXPECT_NE(html.find("not run</span><div class=\"muted\">paper 98.41</div>"), std::string::npos)
      << html;
}

// Contrasts follow the table with the same columns: mean ± CI, n, the paired test's p (red below
// 0.05), the paper's value; the description is the row header's tooltip.
TEST(HtmlReport, ContrastsFollowTheTable) {
  ResultTable t;
  t.columns = {"MNIST"};
  t.rows = {"A"};
  t.cells["A"]["MNIST"].runs = {{0, "aaaa"}};
  dfkd::host::ContrastResult c;
  c.contrast.name = "surplus";
  c.contrast.description = "gain <kept>";
  c.formula = "Self + Scratch − Finetuned − Label";
  auto& cell = c.cells["MNIST"];
  cell.values = {-1.0, -2.0};
  cell.summary.mean = -1.5;
  cell.summary.ci95 = 6.35;
  cell.test = dfkd::host::OneSampleTest{-1.5, -3, 1, 0.2048};
  cell.paper = 0.71;
  t.contrasts.push_back(c);
  const auto html = html_table(t, [](const std::string&) { return std::string(); });
  EXPECT_NE(html.find("<th title=\"gain &lt;kept&gt;\">surplus<br><small>Self + Scratch − "
                      "Finetuned − Label</small></th>"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("<td class=\"num\">-1.50 ± 6.35 (n=2), p=0.205; paper +0.71</td>"),
            std::string::npos)
      << html;
  t.contrasts[0].cells["MNIST"].test->p = 0.01;
  EXPECT_NE(html_table(t, [](const std::string&) { return std::string(); })
                .find("<td class=\"num significant\">-1.50 ± 6.35 (n=2), p=0.01;"),
            std::string::npos);
}

// Against a reference row: † where Holm's adjusted p stays below 0.05, Holm's p beside a p < 0.05
// where it differs, nothing of Holm's beside a p above 0.05 (the cells are set by hand).
TEST(HtmlReport, ComparisonsShowHolmsAdjustment) {
  ResultTable t;
  t.columns = {"MNIST"};
  t.profile_columns = {"MNIST"};
  t.rows = {"Ref", "Kept", "Lost", "Null"};
  t.compare_to = "Ref";
  for (const auto& r : t.rows) {
    t.cells[r]["MNIST"].values = {1, 2};
    t.cells[r]["MNIST"].mean = 1.5;
  }
  auto set = [&](const std::string& row, double p, double holm) {
    t.cells[row]["MNIST"].versus = dfkd::host::WelchTest{0.5, 3, 2, p};
    t.cells[row]["MNIST"].p_holm = holm;
  };
  set("Kept", 0.004, 0.012);
  set("Lost", 0.03, 0.06);
  set("Null", 0.5, 0.5);
  const auto html = html_table(t, [](const std::string&) { return std::string(); });
  EXPECT_NE(html.find("vs Ref +0.50, p=0.004† (Holm p=0.012)</div>"), std::string::npos) << html;
  EXPECT_NE(html.find("vs Ref +0.50, p=0.03 (Holm p=0.06)</div>"), std::string::npos) << html;
  EXPECT_NE(html.find("vs Ref +0.50, p=0.5</div>"), std::string::npos) << html;
}

/// Every src= and href= of a page; each must name a file of the site.
std::vector<std::string> references(const std::string& html) {
  static const std::regex attribute(R"re((?:src|href)="([^"]*)")re");
  std::vector<std::string> out;
  for (std::sregex_iterator it(html.begin(), html.end(), attribute), end; it != end; ++it)
    out.push_back((*it)[1]);
  return out;
}

class ReportSite : public CliTest {
 protected:
  /// Chromium on `page`: `args` (--dump-dom or --screenshot=...), the console forwarded to stderr,
  /// every host name unresolvable. Returns stdout and stderr together.
  CliResult browser(const fs::path& page, const std::string& args) const {
    return shell(
        "chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run "
        "--host-resolver-rules='MAP * ~NOTFOUND' --enable-logging=stderr --v=0 "
        "--user-data-dir='" +
        (dir_ / "chromium-profile").string() + "' " + args + " 'file://" + page.string() +
        "' 2>&1");
  }
};

TEST_F(ReportSite, OpensInABrowserWithTablesFiguresAndRunPages) {
  if (shell("command -v chromium").exit_code != 0)
    FAIL() << "chromium not found: install Debian's chromium (scripts/setup.sh does)";
  const std::string dir = std::string(DFKD_SOURCE_DIR) + "/experiments/";
  const auto table1 = cli("run '" + dir + "table1.json' --profile smoke --no-table " + db_arg());
  if (table1.output.find("data files") != std::string::npos)
    GTEST_SKIP() << "image data not installed (scripts/setup.sh installs it):\n" << table1.output;
  ASSERT_EQ(table1.exit_code, 0) << table1.output;
  const auto moons = cli("run '" + dir + "two_moons.json' --profile smoke --no-table " + db_arg());
  ASSERT_EQ(moons.exit_code, 0) << moons.output;

  const auto site = dir_ / "site";
  const auto report = cli("report '" + dir + "table1.json' '" + dir +
                          "two_moons.json' --profile smoke --compare-to DFAL --out '" +
                          site.string() + "' " + db_arg());
  ASSERT_EQ(report.exit_code, 0) << report.output;
  EXPECT_NE(report.output.find((site / "index.html").string()), std::string::npos)
      << "prints the index's path\n"
      << report.output;

  // Every page: links and images resolve to files of the site; nothing points elsewhere.
  size_t pages = 0, run_pages = 0;
  for (const auto& f : fs::recursive_directory_iterator(site)) {
    if (f.path().extension() != ".html") continue;
    ++pages;
    run_pages += f.path().parent_path().filename() == "runs";
    const auto html = read_text(f.path());
    for (const auto& ref : references(html)) {
      SCOPED_TRACE(f.path().string() + " -> " + ref);
      EXPECT_EQ(ref.find(':'), std::string::npos) << "no scheme (http:, file:, data:)";
      EXPECT_NE(ref.rfind("/", 0), 0u) << "relative";
      EXPECT_TRUE(fs::exists(f.path().parent_path() / ref));
    }
  }
  EXPECT_EQ(run_pages, 2u + 14u + 1u + 3u * 2u)
      << "table1: 2 teachers + 14 students; two_moons: a teacher + 3 rows x 2 seeds";
  EXPECT_EQ(pages, run_pages + 3u) << "index and one page per table";

  // In the browser: the front page shows every table; the table's page its rows, the reference
  // row's tests and the figures; no console message (a script error, or a load the page's policy
  // refused).
  const auto index = browser(site / "index.html", "--dump-dom");
  EXPECT_EQ(index.output.find(":CONSOLE"), std::string::npos) << index.output;
  for (const char* row : {"Teacher", "DFAL", "Proposed", "Student"})
    EXPECT_NE(index.output.find(std::string("<tr><th>") + row + "</th>"), std::string::npos) << row;
  EXPECT_NE(index.output.find("<a href=\"table1-smoke.html\">"), std::string::npos);
  EXPECT_TRUE(std::regex_search(index.output, std::regex(R"(\d+ s on [^<]+, \d+ CPUs</td>)")))
      << "a training time names the machine it was measured on\n"
      << index.output;
  const auto page = site / "table1-smoke.html";
  const auto dom = browser(page, "--dump-dom");
  EXPECT_EQ(dom.output.find(":CONSOLE"), std::string::npos) << dom.output;
  for (const char* row : {"Teacher", "KD", "FITNET", "AT", "FT", "DFL", "DFAL", "Proposed"})
    EXPECT_NE(dom.output.find(std::string("<tr><th>") + row + "</th>"), std::string::npos) << row;
  EXPECT_NE(dom.output.find("<img src=\"figures/table1-smoke/fig2b.svg\""), std::string::npos);
  EXPECT_NE(dom.output.find("reference"), std::string::npos) << "--compare-to DFAL";

  fs::create_directories(DFKD_TEST_ARTIFACT_DIR);
  const fs::path shot = fs::path(DFKD_TEST_ARTIFACT_DIR) / "report-table1-smoke.png";
  fs::remove(shot);
  const auto screenshot =
      browser(page, "--window-size=1280,2000 --screenshot='" + shot.string() + "'");
  EXPECT_EQ(screenshot.output.find(":CONSOLE"), std::string::npos) << screenshot.output;
  ASSERT_TRUE(fs::exists(shot)) << screenshot.output;
  EXPECT_GT(fs::file_size(shot), 20000u) << "a rendered page, not a blank one";

  // Every run's curves, and the generator's samples of the data-free runs, drawn.
  size_t with_samples = 0, run_dirs = 0;
  for (const auto& f : fs::directory_iterator(site / "runs")) {
    if (!f.is_directory()) continue;
    ++run_dirs;
    EXPECT_TRUE(fs::exists(f.path() / "curves.svg")) << f.path();
    if (fs::exists(f.path() / "samples.svg")) ++with_samples;
  }
  EXPECT_EQ(run_dirs, run_pages);
  EXPECT_EQ(with_samples, 3u * 2u + 2u * 2u)
      << "DFL, DFAL, Proposed on two columns; two_moons DFAL, Proposed x 2 seeds";

  // --metric: every table whose runs log it reads it (the real-data rows of Table 1 log no
  // generator, so their cells say so); a metric no table's runs log is refused, naming what they
  // do.
  const auto metric_site = dir_ / "metric-site";
  const auto by_metric =
      cli("report '" + dir + "table1.json' '" + dir +
          "two_moons.json' --profile smoke --metric teacher_top_class_fraction --out '" +
          metric_site.string() + "' " + db_arg());
  ASSERT_EQ(by_metric.exit_code, 0) << by_metric.output;
  const auto table1_page = read_text(metric_site / "table1-smoke.html");
  EXPECT_NE(table1_page.find("<code>teacher_top_class_fraction</code>"), std::string::npos)
      << table1_page;
  EXPECT_NE(table1_page.find("not logged"), std::string::npos) << "KD logs no generator batch";
  const auto typo =
      cli("report '" + dir + "table1.json' --profile smoke --metric top_class --out '" +
          (dir_ / "typo-site").string() + "' " + db_arg());
  EXPECT_EQ(typo.exit_code, 2) << typo.output;
  EXPECT_NE(typo.output.find("--metric: no completed run of table1 (profile smoke) logs "
                             "'top_class'"),
            std::string::npos)
      << typo.output;
}

}  // namespace

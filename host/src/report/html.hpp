#pragma once
/// The pieces of the static HTML report (report/site.hpp): escaping, the page frame with its
/// inline style sheet (the site loads nothing from anywhere), and a ResultTable as HTML.
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "report/table.hpp"

namespace dfkd::host {

/// Text made safe for HTML element content and double-quoted attribute values.
std::string html_escape(const std::string& text);

/// A complete page: `title` in <title> and <h1>, `nav` (HTML) above it, `body` (HTML) below.
std::string html_page(const std::string& title, const std::string& nav, const std::string& body);

/// A two-column table of (name, value) pairs; values are escaped.
std::string html_key_values(const std::vector<std::pair<std::string, std::string>>& pairs);

/// The link of a run's page relative to the page being written; "" when the site has none.
using RunHref = std::function<std::string(const std::string& run_id)>;

/// The table as render_table's Markdown shows it (mean ± CI, n, paper and Δ, the test against
/// the reference row), each cell with links to its runs by seed, and the rules under it.
std::string html_table(const ResultTable& table, const RunHref& run_href);

}  // namespace dfkd::host

#include "report/gnuplot.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace dfkd::host {

const char* figure_extension(FigureFormat format) {
  return format == FigureFormat::Svg ? ".svg" : ".png";
}

std::string gnuplot_terminal(FigureFormat format, int width, int height) {
  return fmt::format("set terminal {} size {},{} font 'Sans,11'\n",
                     format == FigureFormat::Svg ? "svg" : "pngcairo", width, height);
}

void run_gnuplot(const std::filesystem::path& dir, const std::filesystem::path& script) {
  const auto cmd =
      fmt::format("cd '{}' && gnuplot '{}' 2>&1", dir.string(), script.filename().string());
  std::string said;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot start gnuplot");
  std::array<char, 512> buf{};
  while (fgets(buf.data(), buf.size(), pipe)) said += buf.data();
  const int status = pclose(pipe);
  if (status != 0)
    throw std::runtime_error(fmt::format(
        "gnuplot failed on '{}' (exit status {}): {}", script.string(), status,
        said.empty()
            ? std::string("no output; is gnuplot-nox installed? scripts/setup.sh installs it")
            : said));
}

std::string gnuplot_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

std::string gnuplot_two_line_title(const std::string& first, const std::string& second) {
  // Double quotes: only they turn \n into a line break.
  auto escape = [](const std::string& s) {
    std::string out;
    for (char c : s) out += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
    return out;
  };
  return "\"" + escape(first) + "\\n" + escape(second) + "\"";
}

int64_t integer_tick_step(int64_t last) {
  for (int64_t scale = 1;; scale *= 10)
    for (int64_t m : {1, 2, 5})
      if (last / (m * scale) <= 10) return m * scale;
}

std::string integer_x_axis(int64_t last) {
  // The range ends at the data, not at gnuplot's next round tick (an empty band after it); a
  // single epoch sits in the middle, not on the frame.
  const auto range = last <= 1 ? std::string("0.5:1.5") : fmt::format("1:{}", last);
  return fmt::format(
      "set xrange [{}]\nset xtics 0,{}\nset format x '%.0f'\nunset mxtics\n"
      "set offsets 0, 0, graph 0.05, graph 0.05\n",
      range, integer_tick_step(std::max<int64_t>(last, 1)));
}

}  // namespace dfkd::host

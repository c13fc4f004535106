#include "report/latency_plots.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "common/error.hpp"
#include "common/child_process.hpp"

namespace copylab {

namespace fs = std::filesystem;

namespace {

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream f(p);
  f << text;
  if (!f) throw_errno("write", p.string(), errno, "check that --html points to a writable directory");
}

std::string html_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '&': o += "&amp;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string num(double v, int prec = 3) {
  char b[48];
  std::snprintf(b, sizeof b, "%.*f", prec, v);
  return b;
}

struct Series {
  std::string file;
  std::string title;
};

// One plot rendered twice (SVG and PNG) from the same gnuplot commands.
void emit_plot(std::ostringstream& gp, const std::string& stem, const std::string& setup,
               const std::string& plot_cmd) {
  gp << "set terminal svg size 960,600 dynamic enhanced font 'sans,11'\n"
     << "set output '" << stem << ".svg'\n"
     << setup << plot_cmd << "\n"
     << "set terminal pngcairo size 960,600 enhanced font 'sans,10'\n"
     << "set output '" << stem << ".png'\n"
     << "replot\nunset output\nreset\n";
}

// Series i gets its own colour (no repeat within the first 16 series), dash pattern and point
// type, so curves stay apart in grey-scale prints and for colour-blind readers too.
constexpr const char* kColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                    "#9467bd", "#8c564b", "#e377c2", "#17becf",
                                    "#7f7f7f", "#bcbd22", "#000000", "#0b3d91",
                                    "#006d2c", "#a6761d", "#f781bf", "#66a61e"};
constexpr std::size_t kDashes = 5;   // gnuplot dash types 1..5
constexpr std::size_t kPoints = 13;  // gnuplot point types 1..13

std::string series_colour(std::size_t i) {
  return std::string("lc rgb '") + kColours[i % std::size(kColours)] + "'";
}
std::string series_marker(std::size_t i) {
  return "pt " + std::to_string(i % kPoints + 1) + " ps 0.9";
}
std::string series_style(std::size_t i) {
  return series_colour(i) + " dt " + std::to_string(i % kDashes + 1) + " " + series_marker(i);
}

// `style` is the gnuplot style ("linespoints lw 2 pi -8"); each series adds its own look.
std::string plot_list(const std::vector<Series>& series, const std::string& using_cols,
                      const std::string& style) {
  std::string s = "plot ";
  for (std::size_t i = 0; i < series.size(); ++i) {
    if (i) s += ", \\\n     ";
    s += "'" + series[i].file + "' using " + using_cols + " with " + style + " " +
         series_style(i) + " title '" + series[i].title + "'";
  }
  return s;
}

}  // namespace

std::string plot_stem(const std::string& mode) {
  std::string s;
  for (char c : mode) s += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
  return s;
}

HtmlReport write_latency_html(const LatencyResults& r, const std::string& dir,
                              const std::string& table_text, const nlohmann::json& doc) {
  HtmlReport out;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    throw Error("cannot create --html directory " + dir + ": " + ec.message(),
                "give a writable directory for --html");
  }
  const fs::path d(dir);
  write_file(d / "latency.json", doc.dump(2) + "\n");

  std::vector<Series> pct, cdf, rate, size;
  std::vector<std::string> hgrms;
  for (const auto& m : r.modes) {
    const ConfigResult* c = r.find(m.name, r.base_size, 0);
    const std::string stem = plot_stem(m.name);
    if (c && c->rtt_all.count()) {
      std::ostringstream h;
      c->rtt_all.write_percentile_distribution(h, 1000.0, 5);
      write_file(d / (stem + ".hgrm"), h.str());
      hgrms.push_back(stem + ".hgrm");
      std::ostringstream p, f;
      p << "# value_us percentile inverse\n";
      f << "# value_us fraction\n";
      c->rtt_all.for_each_percentile_tick(5, [&](std::uint64_t v, double pc, std::uint64_t) {
        const double us = static_cast<double>(v) / 1000.0;
        f << num(us) << " " << num(pc / 100.0, 9) << "\n";
        if (pc < 100.0) p << num(us) << " " << num(pc, 9) << " " << num(100.0 / (100.0 - pc), 4) << "\n";
      });
      write_file(d / ("pct_" + stem + ".dat"), p.str());
      write_file(d / ("cdf_" + stem + ".dat"), f.str());
      pct.push_back({"pct_" + stem + ".dat", m.name});
      cdf.push_back({"cdf_" + stem + ".dat", m.name});
    }
    std::ostringstream rs, ss;
    rs << "# rate_pps achieved_pps p50_us p99_us p99_corrected_us\n";
    ss << "# payload_bytes p50_us p99_us\n";
    bool any_rate = false, any_size = false;
    for (const auto& cc : r.configs) {
      if (cc.mode != m.name || cc.rtt.runs == 0) continue;
      auto med = [](const RunsSummary& s, const char* k) {
        const Spread* sp = s.find(k);
        return sp ? sp->median / 1000.0 : 0.0;
      };
      if (cc.rate_pps > 0) {
        double achieved = 0;
        for (const auto& run : cc.runs) achieved += run.achieved_rate_pps;
        achieved /= static_cast<double>(cc.runs.size());
        rs << num(cc.rate_pps, 0) << " " << num(achieved, 0) << " " << num(med(cc.rtt, "p50"))
           << " " << num(med(cc.rtt, "p99")) << " " << num(med(cc.rtt_corrected, "p99")) << "\n";
        any_rate = true;
      } else {
        ss << cc.payload_bytes << " " << num(med(cc.rtt, "p50")) << " " << num(med(cc.rtt, "p99"))
           << "\n";
        any_size = true;
      }
    }
    if (any_rate) {
      write_file(d / ("rate_" + stem + ".dat"), rs.str());
      rate.push_back({"rate_" + stem + ".dat", m.name});
    }
    if (any_size) {
      write_file(d / ("size_" + stem + ".dat"), ss.str());
      size.push_back({"size_" + stem + ".dat", m.name});
    }
  }

  std::ostringstream gp;
  std::vector<std::string> stems;
  if (!pct.empty()) {
    emit_plot(gp, "percentiles",
              "set title 'Round-trip latency by percentile (" + std::to_string(r.base_size) +
                  " B payload, all runs merged)'\n"
                  "set logscale x\nset logscale y\nset grid\nset key top left\n"
                  "set xlabel 'percentile'\nset ylabel 'RTT (µs)'\n"
                  "set xtics ('0%%' 1, '50%%' 2, '90%%' 10, '99%%' 100, '99.9%%' 1000, "
                  "'99.99%%' 10000, '99.999%%' 100000)\n",
              plot_list(pct, "3:1", "linespoints lw 2 pi -6"));
    stems.push_back("percentiles");
    emit_plot(gp, "cdf",
              "set title 'CDF of round-trip latency (" + std::to_string(r.base_size) +
                  " B payload)'\nset logscale x\nset grid\nset key bottom right\n"
                  "set xlabel 'RTT (µs)'\nset ylabel 'fraction of pings'\nset yrange [0:1]\n",
              plot_list(cdf, "1:2", "linespoints lw 2 pi -6"));
    stems.push_back("cdf");
  }
  if (!rate.empty()) {
    std::string cmd = "plot ";
    for (std::size_t i = 0; i < rate.size(); ++i) {
      if (i) cmd += ", \\\n     ";
      // One colour and point type per mode; p50 solid, p99 dashed.
      cmd += "'" + rate[i].file + "' using 1:3 with linespoints lw 2 " + series_colour(i) +
             " dt 1 " + series_marker(i) + " title '" + rate[i].title + " p50', '" +
             rate[i].file + "' using 1:5 with linespoints lw 2 " + series_colour(i) + " dt 3 " +
             series_marker(i) + " title '" + rate[i].title + " p99 (CO-corrected)'";
    }
    emit_plot(gp, "rate_sweep",
              "set title 'Latency under paced load'\nset logscale x\nset logscale y\nset grid\n"
              "set key outside right\nset xlabel 'ping rate (pings/s)'\nset ylabel 'RTT (µs)'\n",
              cmd);
    stems.push_back("rate_sweep");
  }
  // The kernel RX split of the base configuration: stacked p50 bars, measured modes only.
  std::ostringstream split;
  split << "# mode to_kernel_rx_p50_us kernel_rx_to_user_p50_us (pong one-way, median of runs)\n";
  bool any_split = false;
  for (const auto& m : r.modes) {
    const ConfigResult* c = r.find(m.name, r.base_size, 0);
    if (!c || !c->one_way_split.measured || c->one_way_split.to_kernel.runs == 0) continue;
    const Spread* k = c->one_way_split.to_kernel.find("p50");
    const Spread* u = c->one_way_split.from_kernel.find("p50");
    if (!k || !u) continue;
    split << "\"" << m.name << "\" " << num(k->median / 1000.0) << " " << num(u->median / 1000.0)
          << "\n";
    any_split = true;
  }
  if (any_split) {
    write_file(d / "kernel_rx_split.dat", split.str());
    emit_plot(gp, "kernel_rx_split",
              "set title 'One-way latency split at the pong kernel RX timestamp (p50, " +
                  std::to_string(r.base_size) +
                  " B; socket and AF_XDP pongs, stamped at different points)'\n"
                  "set style data histograms\n"
                  "set style histogram rowstacked\nset style fill solid 0.8 border -1\n"
                  "set boxwidth 0.6\nset grid ytics\nset key top right\nset ylabel 'µs'\n"
                  "set yrange [0:*]\n",
              "plot 'kernel_rx_split.dat' using 2:xtic(1) title 'send -> kernel RX', "
              "'' using 3 title 'kernel RX -> user'");
    stems.push_back("kernel_rx_split");
  }

  std::vector<std::size_t> distinct_sizes;
  for (const auto& cc : r.configs) {
    if (cc.rate_pps == 0 && std::find(distinct_sizes.begin(), distinct_sizes.end(),
                                      cc.payload_bytes) == distinct_sizes.end()) {
      distinct_sizes.push_back(cc.payload_bytes);
    }
  }
  if (!size.empty() && distinct_sizes.size() > 1) {
    emit_plot(gp, "size_sweep",
              "set title 'RTT p50 by UDP payload size'\nset grid\nset key top left\n"
              "set xlabel 'UDP payload (bytes)'\nset ylabel 'RTT p50 (µs)'\n",
              plot_list(size, "1:2", "linespoints lw 2"));
    stems.push_back("size_sweep");
  }
  write_file(d / "latency.gp", gp.str());

  if (!stems.empty()) {
    try {
      // gnuplot resolves the data files relative to its working directory.
      const CommandResult res = run_command(
          {"sh", "-c", "cd \"$1\" && exec gnuplot latency.gp", "sh", fs::absolute(d).string()});
      if (!res.ok()) {
        out.plot_error = "gnuplot failed: " + res.last_error_line();
      } else {
        for (const auto& s : stems) {
          out.images.push_back((d / (s + ".svg")).string());
          out.images.push_back((d / (s + ".png")).string());
        }
      }
    } catch (const Error& e) {
      out.plot_error = e.one_line();
    }
    if (!out.plot_error.empty() &&
        out.plot_error.find("not found") != std::string::npos) {
      out.plot_error += " (install it: apt-get install gnuplot-nox)";
    }
  }

  std::ostringstream html;
  html << "<!doctype html>\n<html><head><meta charset='utf-8'><title>copylab latency</title>\n"
       << "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto}"
          "pre{background:#f6f6f6;padding:1em;overflow-x:auto}img{max-width:100%}</style>"
          "</head><body>\n<h1>copylab latency</h1>\n";
  html << "<h2>Modes</h2>\n<pre>" << html_escape(table_text) << "</pre>\n";
  if (!out.plot_error.empty()) {
    html << "<p><b>Plots not rendered:</b> " << html_escape(out.plot_error)
         << ". The data files and latency.gp are here; run <code>gnuplot latency.gp</code>.</p>\n";
  }
  for (const auto& s : stems) {
    html << "<h2>" << s << "</h2>\n<p><a href='" << s << ".svg'><img src='" << s
         << ".svg' alt='" << s << "'></a><br><a href='" << s << ".png'>PNG</a></p>\n";
  }
  html << "<h2>Files</h2>\n<ul>\n<li><a href='latency.json'>latency.json</a> (schema "
       << kLatencySchema << ")</li>\n";
  for (const auto& h : hgrms) {
    html << "<li><a href='" << h << "'>" << h
         << "</a> (HdrHistogram percentile distribution, µs; plottable at "
            "hdrhistogram.github.io/HdrHistogram/plotFiles.html)</li>\n";
  }
  html << "<li><a href='latency.gp'>latency.gp</a> (gnuplot script)</li>\n</ul>\n";
  html << "<h2>Method</h2>\n<pre>" << html_escape(r.meta.contains("method") ? r.meta["method"].dump(2) : "{}")
       << "</pre>\n</body></html>\n";
  write_file(d / "index.html", html.str());
  out.index = (d / "index.html").string();
  return out;
}

}  // namespace copylab

package org.wal4j.bench.peers;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.style.Styler;
import org.wal4j.bench.peers.PeerBench.Row;

/**
 * The peer benchmark's results: a console line per cell, markdown tables (every peer's
 * median of the rounds and latency percentiles over all rounds, and wal4j against the best
 * other peer in every row), JSON, and charts of durable throughput against threads.
 */
final class Report {
    private final Map<Row, List<Cell>> byRow = new LinkedHashMap<>();
    private final List<PeerKind> kinds;

    Report(List<Cell> cells, List<PeerKind> kinds) {
        this.kinds = kinds;
        for (Cell c : cells) {
            byRow.computeIfAbsent(c.row(), r -> new ArrayList<>()).add(c);
        }
    }

    static String line(Cell c) {
        String head = String.format(Locale.ROOT, "[%d] %-58s %-15s round %d: ", c.row().workload(), c.row().label(),
                c.peer(), c.round());
        if (c.notApplicable() != null) {
            return head + "n/a: " + c.notApplicable();
        }
        if (!Double.isNaN(c.micros())) {
            return head + String.format(Locale.ROOT, "%.1f ms", c.micros() / 1e3);
        }
        String rate = String.format(Locale.ROOT, "%,.0f %s/s", c.rate(), c.row().unit());
        return c.latencyNanos() == null ? head + rate : head + rate + String.format(Locale.ROOT,
                "  p50 %.1f  p99 %.1f  p99.9 %.1f us", c.percentileMicros(50), c.percentileMicros(99),
                c.percentileMicros(99.9));
    }

    /** A peer's figures in one row: the median over its rounds, each round, merged latency. */
    record Summary(Row row, String peer, double median, List<Double> rounds, Histogram latency, String notApplicable) {
        boolean measured() {
            return notApplicable == null;
        }

        /** Higher is better: a rate, or minus a time. */
        double score() {
            return row.unit().equals("us") ? -median : median;
        }

        String figure() {
            if (!measured()) {
                return "n/a: " + notApplicable;
            }
            return row.unit().equals("us") ? String.format(Locale.ROOT, "%.1f ms", median / 1e3)
                    : String.format(Locale.ROOT, "%,.0f %s/s", median, row.unit());
        }
    }

    List<Summary> summaries(Row row) {
        Map<String, List<Cell>> byPeer = new LinkedHashMap<>();
        for (Cell c : byRow.get(row)) {
            byPeer.computeIfAbsent(c.peer(), p -> new ArrayList<>()).add(c);
        }
        List<Summary> out = new ArrayList<>();
        for (var e : byPeer.entrySet()) {
            List<Cell> ok = e.getValue().stream().filter(c -> c.notApplicable() == null).toList();
            if (ok.isEmpty()) {
                out.add(new Summary(row, e.getKey(), Double.NaN, List.of(), null, e.getValue().get(0).notApplicable()));
                continue;
            }
            List<Double> values = ok.stream().map(c -> Double.isNaN(c.micros()) ? c.rate() : c.micros()).toList();
            double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            double median = sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                    : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
            Histogram merged = null;
            for (Cell c : ok) {
                if (c.latencyNanos() != null) {
                    if (merged == null) {
                        merged = new Histogram(Driver.HIGHEST_NANOS, 3);
                    }
                    merged.add(c.latencyNanos());
                }
            }
            out.add(new Summary(row, e.getKey(), median, values, merged, null));
        }
        return out;
    }

    String markdown() {
        StringBuilder sb = new StringBuilder();
        sb.append("| peer | an acknowledged append is |\n|---|---|\n");
        for (PeerKind k : kinds) {
            sb.append("| ").append(k.name()).append(" | ").append(k.acknowledged()).append(" |\n");
        }
        sb.append("\nwal4j against the best other peer in each row (median of the rounds; above 1: wal4j ahead; for the"
                + " open rows, the peer's time over wal4j's):\n\n| row | best other peer | wal4j configurations |\n|---|---|---|\n");
        for (Row row : byRow.keySet()) {
            List<Summary> s = summaries(row);
            Summary best = s.stream().filter(x -> x.measured() && !Peers.isWal4j(x.peer()))
                    .max(java.util.Comparator.comparingDouble(Summary::score)).orElse(null);
            List<String> ours = new ArrayList<>();
            for (Summary x : s) {
                if (Peers.isWal4j(x.peer())) {
                    ours.add(x.peer() + " " + x.figure() + (best == null || !x.measured() ? ""
                            : String.format(Locale.ROOT, ", **%.2fx**", ratio(x, best))));
                }
            }
            sb.append("| ").append(row.label()).append(" | ")
                    .append(best == null ? "none measured" : best.peer() + " " + best.figure()).append(" | ")
                    .append(String.join("; ", ours)).append(" |\n");
        }
        int workload = -1;
        for (Row row : byRow.keySet()) {
            if (row.workload() != workload) {
                workload = row.workload();
                sb.append("\n| workload ").append(workload)
                        .append(" | peer | median (each round) | p50 us | p99 us | p99.9 us |\n|---|---|---|---|---|---|\n");
            }
            for (Summary x : summaries(row)) {
                sb.append("| ").append(row.label()).append(" | ").append(x.peer()).append(" | ").append(x.figure());
                if (x.measured() && x.rounds().size() > 1) {
                    sb.append(" (").append(String.join(", ", x.rounds().stream().map(v -> row.unit().equals("us")
                            ? String.format(Locale.ROOT, "%.1f", v / 1e3) : String.format(Locale.ROOT, "%,.0f", v))
                            .toList())).append(")");
                }
                sb.append(" | ").append(us(x.latency(), 50)).append(" | ").append(us(x.latency(), 99)).append(" | ")
                        .append(us(x.latency(), 99.9)).append(" |\n");
            }
        }
        return sb.toString();
    }

    private static double ratio(Summary wal4j, Summary peer) {
        return wal4j.row().unit().equals("us") ? peer.median() / wal4j.median() : wal4j.median() / peer.median();
    }

    private static String us(Histogram h, double p) {
        return h == null ? "" : String.format(Locale.ROOT, "%.1f", h.getValueAtPercentile(p) / 1e3);
    }

    String json(String machine, PeerBench bench) {
        StringBuilder sb = new StringBuilder("{\n");
        sb.append("  \"benchmark\": \"PeerBench\",\n");
        sb.append("  \"date\": \"").append(Instant.now()).append("\",\n");
        sb.append("  \"machine\": ").append(quote(machine)).append(",\n");
        sb.append(String.format(Locale.ROOT, "  \"rounds\": %d, \"logRounds\": %d, \"scale\": %s, \"logMiB\": %d,%n",
                bench.rounds, bench.logRounds, bench.scale, bench.logMiB));
        sb.append("  \"peers\": [\n");
        List<String> ps = new ArrayList<>();
        for (PeerKind k : kinds) {
            ps.add(String.format(Locale.ROOT, "    {\"name\": %s, \"durable\": %b, \"acknowledged\": %s}", quote(k.name()),
                    k.durable(), quote(k.acknowledged())));
        }
        sb.append(String.join(",\n", ps)).append("\n  ],\n  \"rows\": [\n");
        List<String> rows = new ArrayList<>();
        for (Row row : byRow.keySet()) {
            List<String> peers = new ArrayList<>();
            for (Summary x : summaries(row)) {
                peers.add(x.measured()
                        ? String.format(Locale.ROOT, "      {\"peer\": %s, \"median\": %.3f, \"rounds\": %s, \"p50Us\": %s, "
                                + "\"p99Us\": %s, \"p999Us\": %s}", quote(x.peer()), x.median(),
                                x.rounds().stream().map(v -> String.format(Locale.ROOT, "%.3f", v)).toList(),
                                num(x.latency(), 50), num(x.latency(), 99), num(x.latency(), 99.9))
                        : String.format(Locale.ROOT, "      {\"peer\": %s, \"notApplicable\": %s}", quote(x.peer()),
                                quote(x.notApplicable())));
            }
            rows.add(String.format(Locale.ROOT, "    {\"row\": %s, \"workload\": %d, \"unit\": %s, \"peers\": [%n%s%n    ]}",
                    quote(row.label()), row.workload(), quote(row.unit().equals("us") ? "us (time)" : row.unit() + "/s"),
                    String.join(",\n", peers)));
        }
        sb.append(String.join(",\n", rows)).append("\n  ]\n}\n");
        return sb.toString();
    }

    private static String num(Histogram h, double p) {
        return h == null ? "null" : String.format(Locale.ROOT, "%.1f", h.getValueAtPercentile(p) / 1e3);
    }

    private static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                default -> sb.append(ch < 0x20 ? String.format("\\u%04x", (int) ch) : String.valueOf(ch));
            }
        }
        return sb.append('"').toString();
    }

    /**
     * Durable appends/s against writer threads, one chart per record size, one line per peer:
     * 1 thread (workload 1; 4 KiB only), 4, 16, 64 platform threads and 1,000 virtual threads.
     */
    void charts(Path base) throws IOException {
        for (String size : List.of("1 KiB", "4 KiB")) {
            List<String> xs = new ArrayList<>();
            Map<String, List<Double>> series = new LinkedHashMap<>();
            List<Row> rows = byRow.keySet().stream().filter(r -> r.workload() <= 2 && r.label().startsWith("durable append")
                    && r.label().endsWith(", " + size)).toList();
            for (Row row : rows) {
                xs.add(row.label().substring("durable append, ".length(), row.label().length() - size.length() - 2));
                for (Summary x : summaries(row)) {
                    series.computeIfAbsent(x.peer(), p -> new ArrayList<>());
                }
            }
            if (rows.isEmpty()) {
                continue;
            }
            for (Row row : rows) {
                Map<String, Summary> s = new LinkedHashMap<>();
                summaries(row).forEach(x -> s.put(x.peer(), x));
                for (var e : series.entrySet()) {
                    Summary x = s.get(e.getKey());
                    e.getValue().add(x == null || !x.measured() ? null : x.median());
                }
            }
            CategoryChart chart = new CategoryChartBuilder().width(1000).height(560)
                    .title("Durable appends of " + size + " records (median of the rounds)")
                    .xAxisTitle("writers").yAxisTitle("durable appends/s (log scale)").build();
            chart.getStyler().setDefaultSeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Line);
            chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
            chart.getStyler().setYAxisDecimalPattern("#,###");
            chart.getStyler().setYAxisLogarithmic(true);
            chart.getStyler().setOverlapped(true);
            for (var e : series.entrySet()) {
                if (e.getValue().stream().anyMatch(v -> v != null)) {
                    chart.addSeries(e.getKey(), xs, e.getValue());
                }
            }
            String name = base.getFileName().toString().replaceFirst("\\.png$", "") + "-" + size.replace(" ", "") + ".png";
            Path file = base.resolveSibling(name);
            BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
            System.out.println("chart: " + file);
        }
    }
}

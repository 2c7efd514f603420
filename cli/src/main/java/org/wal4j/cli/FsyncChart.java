package org.wal4j.cli;

import de.erichseifert.vectorgraphics2d.VectorGraphics2D;
import de.erichseifert.vectorgraphics2d.svg.SVGProcessor;
import de.erichseifert.vectorgraphics2d.util.PageSize;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.imageio.ImageIO;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.style.CategoryStyler;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * fsync-test's {@code --chart}: a panel per file state, each method's p50 (solid) and p99
 * (dashed) latency against the write size, on a log latency axis. A method is drawn on the
 * path a journal would use where it ran there (ffm), else on java, else on the C loop: the
 * paths' agreement is the table's business, the chart's is how methods and sizes compare.
 * SVG or PNG, by the file's extension.
 */
final class FsyncChart {
    static {
        // a command line has no display; headless AWT draws off-screen all the same
        System.setProperty("java.awt.headless", "true");
    }

    /** What the file's extension asks for. */
    enum Format { SVG, PNG }

    private static final int WIDTH = 1100;
    private static final int PANEL_HEIGHT = 520;
    private static final CallPath[] PATH_PREFERENCE = {CallPath.FFM, CallPath.JAVA, CallPath.C};
    /** One colour per method, the same in every panel. */
    private static final Color[] COLORS = {
        new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728),
        new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2)};
    private static final BasicStroke P99_LINE =
            new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {6, 4}, 0);

    private FsyncChart() {}

    /** The format for {@code file}'s extension; an {@link IllegalArgumentException} for any other. */
    static Format formatOf(Path file) {
        Path name = file.getFileName();
        String lower = name == null ? "" : name.toString().toLowerCase(Locale.ROOT);
        if (lower.endsWith(".svg")) {
            return Format.SVG;
        }
        if (lower.endsWith(".png")) {
            return Format.PNG;
        }
        throw new IllegalArgumentException("--chart=" + file + ": the extension picks the format, .svg or .png");
    }

    /**
     * Draws a small chart off-screen, so that a JVM that cannot draw (no fonts, no AWT) fails
     * before the tests rather than after them.
     */
    static void checkCanDraw() {
        try {
            CategoryChart chart = panel("check");
            chart.addSeries("check", List.of("4 KiB"), List.of(100.0));
            BufferedImage image = new BufferedImage(200, 100, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = image.createGraphics();
            try {
                chart.paint(g, 200, 100);
            } finally {
                g.dispose();
            }
        } catch (RuntimeException | Error e) {
            throw new IllegalArgumentException("--chart: this JVM cannot draw a chart: " + e);
        }
    }

    /** Writes the chart of {@code results} to {@code file}, in the format its extension names. */
    static void write(Path file, List<FsyncTestCommand.Result> results, int threads) throws IOException {
        List<CategoryChart> panels = new ArrayList<>();
        for (FileState state : FileState.values()) {
            CategoryChart panel = panelOf(results, state, threads);
            if (panel != null) {
                panels.add(panel);
            }
        }
        if (panels.isEmpty()) {
            CategoryChart empty = panel("fsync-test: no operation completed, nothing to draw");
            empty.addSeries("none", List.of("-"), List.of(1)).setMarker(SeriesMarkers.NONE);
            empty.getStyler().setLegendVisible(false);
            panels.add(empty);
        }
        int height = PANEL_HEIGHT * panels.size();
        try (OutputStream out = Files.newOutputStream(file)) {
            if (formatOf(file) == Format.SVG) {
                VectorGraphics2D g = new VectorGraphics2D();
                paint(g, panels);
                new SVGProcessor().getDocument(g.getCommands(), new PageSize(0, 0, WIDTH, height)).writeTo(out);
            } else {
                BufferedImage image = new BufferedImage(WIDTH, height, BufferedImage.TYPE_INT_RGB);
                Graphics2D g = image.createGraphics();
                try {
                    paint(g, panels);
                } finally {
                    g.dispose();
                }
                if (!ImageIO.write(image, "png", out)) {
                    throw new IOException("no PNG writer in this JVM");
                }
            }
        }
    }

    private static void paint(Graphics2D g, List<CategoryChart> panels) {
        for (int i = 0; i < panels.size(); i++) {
            Graphics2D panel = (Graphics2D) g.create(0, i * PANEL_HEIGHT, WIDTH, PANEL_HEIGHT);
            try {
                panels.get(i).paint(panel, WIDTH, PANEL_HEIGHT);
            } finally {
                panel.dispose();
            }
        }
    }

    /** The panel of one file state, or null if nothing in that state completed an operation. */
    private static CategoryChart panelOf(List<FsyncTestCommand.Result> results, FileState state, int threads) {
        List<Long> sizes = results.stream().filter(r -> drawn(r) && r.state() == state)
                .map(FsyncTestCommand.Result::sizeBytes).distinct().sorted().toList();
        if (sizes.isEmpty()) {
            return null;
        }
        CategoryChart chart = panel("fsync-test: " + state.id + " file, " + FsyncTestCommand.threadCount(threads)
                + ", latency by write size (p50 solid, p99 dashed)");
        List<String> x = sizes.stream().map(ByteSize::format).toList();
        double min = Double.MAX_VALUE;
        double max = 0;
        for (FsyncMethod method : FsyncMethod.values()) {
            Optional<CallPath> path = pathOf(results, state, method);
            if (path.isEmpty()) {
                continue;
            }
            // a size the method has no row for is a gap in its line
            List<Double> p50 = new ArrayList<>(Collections.nCopies(sizes.size(), (Double) null));
            List<Double> p99 = new ArrayList<>(Collections.nCopies(sizes.size(), (Double) null));
            for (FsyncTestCommand.Result r : results) {
                if (drawn(r) && r.state() == state && r.method() == method && r.path() == path.get()) {
                    int i = sizes.indexOf(r.sizeBytes());
                    // a log axis takes no zero
                    p50.set(i, Math.max(r.micros(50), 1e-3));
                    p99.set(i, Math.max(r.micros(99), 1e-3));
                    min = Math.min(min, p50.get(i));
                    max = Math.max(max, p99.get(i));
                }
            }
            Color color = COLORS[method.ordinal() % COLORS.length];
            String name = method.id + " (" + path.get().id + ")";
            CategorySeries median = chart.addSeries(name + " p50", x, p50);
            median.setMarker(SeriesMarkers.CIRCLE).setMarkerColor(color).setLineColor(color);
            median.setLineStyle(new BasicStroke(2f));
            CategorySeries tail = chart.addSeries(name + " p99", x, p99);
            tail.setMarker(SeriesMarkers.DIAMOND).setMarkerColor(color).setLineColor(color);
            tail.setLineStyle(P99_LINE);
        }
        // whole decades at both ends: XChart labels a log axis at the powers of ten only
        double low = Math.pow(10, Math.floor(Math.log10(min)));
        double high = Math.pow(10, Math.ceil(Math.log10(max)));
        chart.getStyler().setYAxisMin(low).setYAxisMax(high > low ? high : low * 10);
        return chart;
    }

    private static boolean drawn(FsyncTestCommand.Result r) {
        return r.ok() && r.ops() > 0;
    }

    private static Optional<CallPath> pathOf(List<FsyncTestCommand.Result> results, FileState state, FsyncMethod method) {
        for (CallPath p : PATH_PREFERENCE) {
            if (results.stream().anyMatch(r -> drawn(r) && r.state() == state && r.method() == method && r.path() == p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** An empty panel with the axes and style every panel shares. */
    private static CategoryChart panel(String title) {
        CategoryChart chart = new CategoryChart(WIDTH, PANEL_HEIGHT);
        chart.setTitle(title);
        chart.setXAxisTitle("write size");
        chart.setYAxisTitle("latency, us (log scale)");
        CategoryStyler styler = chart.getStyler();
        styler.setDefaultSeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Line);
        // the series of a size share its category's centre, as points of a line chart do
        styler.setOverlapped(true);
        styler.setYAxisLogarithmic(true)
                .setYAxisDecimalPattern("#,##0.###")
                .setChartBackgroundColor(Color.WHITE)
                .setPlotBackgroundColor(Color.WHITE)
                .setLegendPosition(Styler.LegendPosition.OutsideE)
                .setMarkerSize(7);
        return chart;
    }
}

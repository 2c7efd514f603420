package org.wal4j.bench.peers;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * wal4j side by side with what a user would pick instead ({@link Peers}), in one JVM, on one
 * directory's disk, every row's peers interleaved: for each round, every peer in an order
 * that rotates from round to round, each on a fresh directory (deleted after its cell).
 *
 * <ol>
 *   <li>Durable append, 1 thread: 128 B, 4 KiB, 64 KiB records.
 *   <li>Durable append, 4, 16, 64 platform threads and 1,000 virtual threads, 1 KiB and
 *       4 KiB records.
 *   <li>No-sync append, 1 thread: 4 KiB records one by one, and batches of 64.
 *   <li>On a log of {@code --log-mib} of 4 KiB records: random reads by record number (page
 *       cache warm), and a full sequential replay.
 *   <li>Open of that log after a clean close, and after kill -9 of a child JVM that filled
 *       it and was still appending: the time from open to the end of the first append.
 * </ol>
 *
 * Each cell runs a warm-up on the opened peer before the measured operations (a fixed count,
 * times {@code --scale}). Latency is per operation (HdrHistogram); throughput is the
 * operations over the wall time from the start to the last operation's end. Results: the
 * console, {@code --json}, {@code --markdown}, and {@code --chart} (PNG files of durable
 * throughput against threads).
 */
@Command(name = "peer-bench", mixinStandardHelpOptions = true,
        description = "wal4j against the logs a user would pick instead, side by side in one run.")
public final class PeerBench implements Callable<Integer> {
    static final int KIB = 1024;

    @Option(names = "--workloads", split = ",", defaultValue = "1,2,3,4,5", description = "which workloads (1-5)")
    List<Integer> workloads;

    @Option(names = "--peers", split = ",", description = "only these peers (default: all)")
    List<String> peerNames;

    @Option(names = "--rounds", defaultValue = "2", description = "rounds per row of workloads 1-3 (default ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--log-rounds", defaultValue = "1",
            description = "rounds per row of workloads 4 and 5, whose cells each write the whole log (default ${DEFAULT-VALUE})")
    int logRounds;

    @Option(names = "--scale", defaultValue = "1", description = "multiplies every operation count (e.g. 0.05 for a smoke run)")
    double scale;

    @Option(names = "--log-mib", defaultValue = "1024", description = "the log of workloads 4 and 5, in MiB")
    long logMiB;

    @Option(names = "--dir", defaultValue = "target/peer-bench", description = "where the peers' directories go")
    Path dir;

    @Option(names = "--json", description = "write every cell and the summary to this file")
    Path json;

    @Option(names = "--markdown", description = "write the tables to this file")
    Path markdown;

    @Option(names = "--chart", description = "write durable throughput against threads to <chart>-1KiB.png and -4KiB.png")
    Path chart;

    @Option(names = "--child", hidden = true, description = "internal: fill a log as this peer, then keep appending")
    String child;

    final List<Cell> cells = new ArrayList<>();
    private List<PeerKind> kinds;

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn"); // Chronicle's and JRaft's banners
        }
        System.exit(new CommandLine(new PeerBench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        kinds = Peers.all();
        if (child != null) {
            Workloads.fillThenAppend(kind(child), dir, logMiB << 20);
            return 0;
        }
        if (peerNames != null) {
            for (String name : peerNames) {
                kind(name);
            }
            kinds = kinds.stream().filter(k -> peerNames.contains(k.name())).toList();
        }
        Files.createDirectories(dir);
        System.out.println(Machine.describe(dir));
        Workloads w = new Workloads(this);
        long t0 = System.nanoTime();
        for (int n : workloads) {
            switch (n) {
                case 1 -> w.durableOneThread();
                case 2 -> w.durableThreads();
                case 3 -> w.noSync();
                case 4, 5 -> {
                    if (n == 4 || !workloads.contains(4)) {
                        w.readsAndOpen(workloads.contains(4), workloads.contains(5));
                    }
                }
                default -> throw new CommandLine.ParameterException(new CommandLine(this), "no workload " + n + " (1-5)");
            }
        }
        System.out.printf(Locale.ROOT, "%nall workloads: %.0f s%n%n", (System.nanoTime() - t0) / 1e9);
        Report report = new Report(cells, kinds);
        String tables = report.markdown();
        System.out.println(tables);
        if (markdown != null) {
            Files.writeString(markdown, tables);
        }
        if (json != null) {
            Files.writeString(json, report.json(Machine.describe(dir), this));
        }
        if (chart != null) {
            report.charts(chart);
        }
        return 0;
    }

    PeerKind kind(String name) {
        return kinds.stream().filter(k -> k.name().equals(name)).findFirst().orElseThrow(() ->
                new CommandLine.ParameterException(new CommandLine(this), "no peer named " + name + "; the peers: "
                        + kinds.stream().map(PeerKind::name).toList()));
    }

    List<PeerKind> kinds() {
        return kinds;
    }

    long ops(long n) {
        return Math.max(1, Math.round(n * scale));
    }

    /** One cell's work on a fresh directory: its cells (one, or several for a shared setup). */
    @FunctionalInterface
    interface CellRun {
        List<Cell> run(PeerKind kind, int round, Path dir) throws Exception;
    }

    /**
     * Runs {@code run} for every peer in {@code peers}, every round, interleaved: its cells are
     * those of {@code rows}. A peer that cannot do it gets them as not applicable, with the
     * reason.
     */
    void row(List<Row> rows, List<PeerKind> peers, CellRun run) throws Exception {
        int n = rows.get(0).workload() >= 4 ? logRounds : rounds;
        for (int round = 1; round <= n; round++) {
            List<PeerKind> order = new ArrayList<>(peers);
            Collections.rotate(order, -(round - 1));
            for (PeerKind kind : order) {
                Path d = Files.createTempDirectory(dir, kind.name() + "-");
                List<Cell> got;
                try {
                    got = run.run(kind, round, d);
                } catch (UnsupportedOperationException e) {
                    got = notApplicable(rows, kind, round, e.getMessage());
                } catch (Exception | LinkageError e) {
                    got = notApplicable(rows, kind, round, "failed: " + e);
                    e.printStackTrace();
                } finally {
                    Workloads.deleteTree(d);
                }
                for (Cell c : got) {
                    cells.add(c);
                    System.out.println(Report.line(c));
                }
            }
        }
    }

    private static List<Cell> notApplicable(List<Row> rows, PeerKind kind, int round, String why) {
        return rows.stream().map(r -> Cell.na(r, kind.name(), round, why)).toList();
    }

    /**
     * A row of the tables.
     *
     * @param label what it measures, e.g. {@code durable append, 1 thread, 4 KiB}
     * @param workload the workload's number (1 to 5), which groups rows into tables
     * @param unit what a cell's rate counts per second ({@code records}, {@code MB}), or
     *     {@code us} for a one-shot time
     */
    record Row(String label, int workload, String unit) {}

    static byte[] randomRecord(int bytes, long seed) {
        byte[] b = new byte[bytes];
        new Random(seed).nextBytes(b);
        return b;
    }

    static long randomIndex(long n) {
        return 1 + ThreadLocalRandom.current().nextLong(n);
    }

    /** Starts this class as a child JVM with {@code args}, the same JVM flags and class path. */
    static Process startChild(List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(PeerBench.class.getName());
        cmd.addAll(args);
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    /** Waits for a line of the child's output that starts with {@code prefix}; the child's lines are echoed. */
    static void awaitLine(Process p, String prefix, long timeoutSeconds) throws Exception {
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        String line;
        while ((line = r.readLine()) != null) {
            if (line.startsWith(prefix)) {
                return;
            }
            System.out.println("  child: " + line);
            if (System.nanoTime() > deadline) {
                break;
            }
        }
        p.destroyForcibly();
        throw new IllegalStateException("the child did not print '" + prefix + "' (exit " + p.waitFor() + ")");
    }
}

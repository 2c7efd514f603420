package org.wal4j.bench.jraft;

import com.alipay.sofa.jraft.Iterator;
import com.alipay.sofa.jraft.Node;
import com.alipay.sofa.jraft.RaftGroupService;
import com.alipay.sofa.jraft.Status;
import com.alipay.sofa.jraft.conf.Configuration;
import com.alipay.sofa.jraft.core.StateMachineAdapter;
import com.alipay.sofa.jraft.entity.PeerId;
import com.alipay.sofa.jraft.entity.Task;
import com.alipay.sofa.jraft.option.NodeOptions;
import com.alipay.sofa.jraft.option.RaftOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * Commits through a 3-node SOFAJRaft group on 127.0.0.1 (ephemeral ports, one JVM), with
 * every node's log on wal4j ({@code Wal4jJRaftServiceFactory}) or on RocksDB (JRaft's
 * {@code DefaultJRaftServiceFactory}), {@code RaftOptions.sync = true}.
 *
 * <p>A turn starts a fresh group (new directories) for one storage, waits for a leader, and
 * then T client threads each apply a task to the leader and wait for its closure, in a loop:
 * first {@code --warmup} operations (not measured), then {@code --ops} operations (split evenly
 * between the threads). Commit latency is apply to closure done (the entry is committed by a
 * majority, each of which synced it, and applied to the leader's counter state machine);
 * committed operations/s is the measured operations over the wall time from the first apply
 * to the last closure; CPU us/op is the JVM's CPU time (the three nodes and the clients) over
 * the measured part, per operation. Every node's log is wrapped in a {@link TimedLogStorage},
 * which gives the appendEntries calls per operation (the three nodes together; with sync on,
 * one fdatasync each), the entries per call and the time per call. At the end of a turn every
 * node's counter must equal the operations applied, or the run fails. Turns are interleaved:
 * for each round and each thread count, every storage, the one that goes first rotating from
 * round to round.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
 *   -cp bench/target/wal4j-bench.jar org.wal4j.bench.jraft.JRaftClusterBench \
 *   [--threads 1,16,64] [--ops 3000,20000,40000] [--warmup 1000,4000,8000] [--rounds 5]
 *   [--settle-ms 3000] [--jit-turns 1] [--storages wal4j,rocksdb[,memory]] [--payload 128] [--dir target] [--json FILE]
 * </pre>
 *
 * {@code --ops} and {@code --warmup} give one count per thread count, or one for all.
 * {@code --settle-ms}: the pause between the election and the warm-up, for every storage, in
 * which each node's storage finishes what it starts in the background on a fresh log (wal4j
 * zero-fills a 64 MiB spare segment; a node that runs for long pays that once per segment).
 * {@code --jit-turns}: turns per storage run first and not counted, so that the measured turns
 * of every storage run compiled code (JRaft, bolt and netty are most of the code on the path).
 * Directories go under {@code --dir} (default {@code -Dwal4j.bench.dir}, else {@code ./target})
 * and are deleted after each turn.
 */
public final class JRaftClusterBench {
    private static final int NODES = 3;
    private static final long HIGHEST_NANOS = TimeUnit.SECONDS.toNanos(60);

    /** Held so that the level sticks: hessian (bolt's serializer) warns through JUL on JDK 25 that it cannot open a JDK field. */
    private static final java.util.logging.Logger HESSIAN_LOG = java.util.logging.Logger.getLogger("com.caucho");

    private JRaftClusterBench() {}

    record Turn(int round, String storage, int threads, long ops, double seconds, long failed,
                Histogram latencyNanos, String leader, double cpuSeconds, long appendCalls, long appendedEntries,
                long appendNanos) {
        double opsPerSecond() {
            return ops / seconds;
        }

        /** appendEntries calls of the three nodes per committed operation: with sync on, fdatasyncs per operation. */
        double appendCallsPerOp() {
            return (double) appendCalls / ops;
        }

        double entriesPerAppendCall() {
            return appendCalls == 0 ? Double.NaN : (double) appendedEntries / appendCalls;
        }

        /** Mean time inside the log's appendEntries, in microseconds. */
        double appendCallMicros() {
            return appendCalls == 0 ? Double.NaN : appendNanos / 1e3 / appendCalls;
        }

        /** The JVM's CPU time (3 nodes and the clients) per committed operation, in microseconds. */
        double cpuMicrosPerOp() {
            return cpuSeconds * 1e6 / ops;
        }

        /** How many of the machine's CPUs the JVM kept busy on average during the measured part. */
        double cpusBusy() {
            return cpuSeconds / seconds;
        }
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
            .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    public static void main(String[] args) throws Exception {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        if (System.getProperty("org.slf4j.simpleLogger.log.com.alipay.sofa.common.log") == null) {
            // bolt logs every connection made and closed at WARN; a turn's shutdown closes them all
            System.setProperty("org.slf4j.simpleLogger.log.com.alipay.sofa.common.log", "error");
        }
        HESSIAN_LOG.setLevel(java.util.logging.Level.SEVERE);
        Map<String, String> opt = parse(args);
        int[] threads = ints(opt.getOrDefault("threads", "1,16,64"));
        long[] ops = perThreads(opt.getOrDefault("ops", "3000,20000,40000"), threads.length, "ops");
        long[] warmup = perThreads(opt.getOrDefault("warmup", "1000,4000,8000"), threads.length, "warmup");
        int rounds = Integer.parseInt(opt.getOrDefault("rounds", "5"));
        List<String> storages = List.of(opt.getOrDefault("storages", Storages.WAL4J + "," + Storages.ROCKSDB).split(","));
        int payload = Integer.parseInt(opt.getOrDefault("payload", "128"));
        long settleMillis = Long.parseLong(opt.getOrDefault("settle-ms", "3000"));
        if (payload < 8) {
            throw new IllegalArgumentException("--payload is at least 8 bytes (the counter's delta)");
        }
        Path base = Path.of(opt.getOrDefault("dir", System.getProperty("wal4j.bench.dir", "target")));
        Files.createDirectories(base);

        System.out.printf(Locale.ROOT, "JRaftClusterBench: %d nodes on 127.0.0.1, sync on, payload %d B, threads %s, "
                + "ops %s, warmup %s, settle %d ms, rounds %d, storages %s, dir %s%n", NODES, payload, Arrays.toString(threads),
            Arrays.toString(ops), Arrays.toString(warmup), settleMillis, rounds, storages, base.toAbsolutePath());
        List<Turn> turns = new ArrayList<>();
        int group = 0;
        // the JVM's first turns run JRaft, bolt and netty in the interpreter: one short turn per
        // storage, at the largest thread count, before the measured ones (printed, not counted)
        int jitTurns = Integer.parseInt(opt.getOrDefault("jit-turns", "1"));
        int maxThreads = Arrays.stream(threads).max().orElse(1);
        for (int i = 0; i < jitTurns; i++) {
            for (String storage : storages) {
                Turn turn = runTurn(base, "bench-" + (++group), 0, storage, maxThreads, 0, 4000L * maxThreads / 16 + 2000,
                    payload, 0);
                System.out.printf(Locale.ROOT, "JIT warm-up %-7s %2d threads: %8.0f ops/s (not counted)%n", storage,
                    maxThreads, turn.opsPerSecond());
                if (turn.failed() > 0) {
                    throw new IllegalStateException(turn.failed() + " operations failed in the JIT warm-up turn");
                }
            }
        }
        for (int round = 1; round <= rounds; round++) {
            for (int t = 0; t < threads.length; t++) {
                List<String> order = new ArrayList<>(storages);
                java.util.Collections.rotate(order, -(round - 1));
                for (String storage : order) {
                    Turn turn = runTurn(base, "bench-" + (++group), round, storage, threads[t], warmup[t], ops[t],
                        payload, settleMillis);
                    turns.add(turn);
                    System.out.printf(Locale.ROOT, "round %d %-7s %2d threads: %8.0f ops/s  p50 %8.1f us  p99 %8.1f us"
                            + "  p99.9 %8.1f us  max %9.1f us  CPU %.0f us/op, %.2f CPUs  appendEntries %.2f/op,"
                            + " %.1f entries, %.0f us  (%d ops in %.2f s, %d failed, leader %s)%n",
                        round, storage, threads[t], turn.opsPerSecond(), us(turn.latencyNanos(), 50),
                        us(turn.latencyNanos(), 99), us(turn.latencyNanos(), 99.9),
                        turn.latencyNanos().getMaxValue() / 1e3, turn.cpuMicrosPerOp(), turn.cpusBusy(),
                        turn.appendCallsPerOp(), turn.entriesPerAppendCall(), turn.appendCallMicros(), turn.ops(),
                        turn.seconds(), turn.failed(),
                        turn.leader());
                }
            }
        }
        String summary = summary(turns, threads, storages);
        System.out.println();
        System.out.print(summary);
        if (opt.containsKey("json")) {
            Path json = Path.of(opt.get("json"));
            if (json.getParent() != null) {
                Files.createDirectories(json.getParent());
            }
            Files.writeString(json, json(turns, threads, storages, opt, payload));
            System.out.println("results: " + json);
        }
        long failed = turns.stream().mapToLong(Turn::failed).sum();
        System.exit(failed == 0 ? 0 : 1);
    }

    /** One fresh group, one storage, one thread count. */
    static Turn runTurn(Path base, String groupId, int round, String storage, int threads, long warmup, long ops,
                        int payload, long settleMillis) throws Exception {
        Path dir = Files.createTempDirectory(base, "jraft-cluster-" + storage + "-");
        List<PeerId> peers = new ArrayList<>();
        for (int port : freePorts(NODES)) {
            peers.add(new PeerId("127.0.0.1", port));
        }
        Configuration conf = new Configuration(peers);
        List<RaftGroupService> services = new ArrayList<>();
        List<CounterStateMachine> fsms = new ArrayList<>();
        List<Node> nodes = new ArrayList<>();
        TimedLogStorage.Counters appends = new TimedLogStorage.Counters();
        try {
            for (int i = 0; i < NODES; i++) {
                Path nodeDir = dir.resolve("node" + i);
                Files.createDirectories(nodeDir);
                CounterStateMachine fsm = new CounterStateMachine();
                NodeOptions nodeOptions = new NodeOptions();
                RaftOptions raftOptions = new RaftOptions();
                raftOptions.setSync(true);
                nodeOptions.setRaftOptions(raftOptions);
                nodeOptions.setServiceFactory(TimedLogStorage.timing(Storages.serviceFactory(storage), appends));
                nodeOptions.setFsm(fsm);
                nodeOptions.setInitialConf(conf.copy());
                nodeOptions.setElectionTimeoutMs(1000);
                nodeOptions.setLogUri(nodeDir.resolve("log").toString());
                nodeOptions.setRaftMetaUri(nodeDir.resolve("meta").toString());
                nodeOptions.setSnapshotUri(nodeDir.resolve("snapshot").toString());
                nodeOptions.setSnapshotIntervalSecs(0); // no snapshots during a turn
                nodeOptions.setEnableMetrics(false);
                RaftGroupService service = new RaftGroupService(groupId, peers.get(i), nodeOptions);
                services.add(service);
                fsms.add(fsm);
                nodes.add(service.start());
            }
            Node leader = awaitLeader(nodes, 30_000);
            // the storages' start-up work done in the background (wal4j zero-fills each node's spare
            // segment) is over before the warm-up; a long-running node pays it once per segment
            Thread.sleep(settleMillis);
            byte[] data = new byte[payload];
            ByteBuffer.wrap(data).putLong(1);

            long[] failed = {0};
            drive(leader, threads, warmup, data, new Histogram(HIGHEST_NANOS, 3), failed);
            Histogram h = new Histogram(HIGHEST_NANOS, 3);
            long warmupFailed = failed[0];
            failed[0] = 0;
            appends.reset();
            long cpu0 = processCpuNanos();
            double seconds = drive(leader, threads, ops, data, h, failed);
            double cpuSeconds = (processCpuNanos() - cpu0) / 1e9;
            long appendCalls = appends.calls.sum();
            long appendedEntries = appends.entries.sum();
            long appendNanos = appends.nanos.sum();
            long applied = perThread(warmup, threads) * threads + perThread(ops, threads) * threads;
            awaitCounters(fsms, applied - warmupFailed - failed[0], 30_000);
            return new Turn(round, storage, threads, perThread(ops, threads) * threads, seconds, warmupFailed + failed[0], h,
                leader.getNodeId().getPeerId().toString(), cpuSeconds, appendCalls, appendedEntries, appendNanos);
        } finally {
            for (RaftGroupService s : services) {
                s.shutdown();
            }
            for (RaftGroupService s : services) {
                s.join();
            }
            Storages.deleteTree(dir);
        }
    }

    /** T threads, ops/T applies each, every apply waited for; the wall time in seconds. */
    private static double drive(Node leader, int threads, long ops, byte[] data, Histogram into,
                                long[] failedInto) throws Exception {
        long each = perThread(ops, threads);
        CyclicBarrier start = new CyclicBarrier(threads + 1);
        CountDownLatch done = new CountDownLatch(threads);
        Histogram[] hs = new Histogram[threads];
        AtomicLong failed = new AtomicLong();
        AtomicLong lastEnd = new AtomicLong();
        Throwable[] error = new Throwable[1];
        for (int t = 0; t < threads; t++) {
            Histogram h = hs[t] = new Histogram(HIGHEST_NANOS, 3);
            Thread.ofPlatform().name("client-" + t).daemon().start(() -> {
                Semaphore committed = new Semaphore(0);
                Status[] status = new Status[1];
                try {
                    start.await();
                    for (long i = 0; i < each; i++) {
                        long t0 = System.nanoTime();
                        leader.apply(new Task(ByteBuffer.wrap(data), s -> {
                            status[0] = s;
                            committed.release();
                        }));
                        if (!committed.tryAcquire(30, TimeUnit.SECONDS)) {
                            throw new IllegalStateException("a task's closure did not run in 30 s");
                        }
                        long t1 = System.nanoTime();
                        h.recordValue(Math.min(t1 - t0, HIGHEST_NANOS));
                        if (!status[0].isOk()) {
                            if (failed.incrementAndGet() <= 3) {
                                System.err.println("apply failed: " + status[0]);
                            }
                        }
                    }
                    lastEnd.accumulateAndGet(System.nanoTime(), Math::max);
                } catch (Throwable e) {
                    synchronized (error) {
                        error[0] = e;
                    }
                } finally {
                    done.countDown();
                }
            });
        }
        start.await();
        long begin = System.nanoTime();
        if (!done.await(30, TimeUnit.MINUTES)) {
            throw new IllegalStateException("clients did not finish in 30 minutes");
        }
        synchronized (error) {
            if (error[0] != null) {
                throw new IllegalStateException("a client failed", error[0]);
            }
        }
        for (Histogram h : hs) {
            into.add(h);
        }
        failedInto[0] += failed.get();
        return (lastEnd.get() - begin) / 1e9;
    }

    private static long perThread(long ops, int threads) {
        return Math.max(1, ops / threads);
    }

    private static Node awaitLeader(List<Node> nodes, long timeoutMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (System.currentTimeMillis() < deadline) {
            for (Node n : nodes) {
                if (n.isLeader()) {
                    return n;
                }
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("no leader elected in " + timeoutMillis + " ms");
    }

    private static void awaitCounters(List<CounterStateMachine> fsms, long expected, long timeoutMillis)
        throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (true) {
            boolean all = true;
            for (CounterStateMachine f : fsms) {
                all &= f.value.get() == expected;
            }
            if (all) {
                return;
            }
            if (System.currentTimeMillis() > deadline) {
                List<Long> values = fsms.stream().map(f -> f.value.get()).toList();
                throw new IllegalStateException("counters " + values + " after " + timeoutMillis + " ms, expected "
                    + expected);
            }
            Thread.sleep(10);
        }
    }

    /** Adds each entry's first 8 bytes (a long) to a counter. */
    static final class CounterStateMachine extends StateMachineAdapter {
        final AtomicLong value = new AtomicLong();

        @Override
        public void onApply(Iterator iter) {
            while (iter.hasNext()) {
                ByteBuffer data = iter.getData();
                value.addAndGet(data.getLong(data.position()));
                if (iter.done() != null) {
                    iter.done().run(Status.OK());
                }
                iter.next();
            }
        }
    }

    private static int[] freePorts(int n) {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            int[] ports = new int[n];
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
                s.setReuseAddress(true);
                sockets.add(s);
                ports[i] = s.getLocalPort();
            }
            return ports;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            for (ServerSocket s : sockets) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closing a probe socket
                }
            }
        }
    }

    private static double us(Histogram h, double percentile) {
        return h.getValueAtPercentile(percentile) / 1e3;
    }

    private static String summary(List<Turn> turns, int[] threads, List<String> storages) {
        StringBuilder sb = new StringBuilder();
        sb.append("| threads | storage | committed ops/s (median of rounds; each round) | p50 us | p99 us | p99.9 us |"
            + " CPU us/op (median) | appendEntries calls/op, entries/call, us/call (medians) | failed |\n"
            + "|---|---|---|---|---|---|---|---|---|\n");
        for (int t : threads) {
            for (String storage : storages) {
                List<Turn> ts = turns.stream().filter(x -> x.threads() == t && x.storage().equals(storage)).toList();
                Histogram all = merged(ts);
                sb.append(String.format(Locale.ROOT, "| %d | %s | %.0f (%s) | %.1f | %.1f | %.1f | %.0f | %.2f, %.1f, %.0f | %d |%n",
                    t, storage, median(ts), String.join(", ", ts.stream().map(x -> String.format(Locale.ROOT, "%.0f",
                        x.opsPerSecond())).toList()), us(all, 50), us(all, 99), us(all, 99.9),
                    medianOf(ts, Turn::cpuMicrosPerOp),
                    medianOf(ts, Turn::appendCallsPerOp), medianOf(ts, Turn::entriesPerAppendCall),
                    medianOf(ts, Turn::appendCallMicros), ts.stream().mapToLong(Turn::failed).sum()));
            }
        }
        if (storages.contains(Storages.WAL4J) && storages.contains(Storages.ROCKSDB)) {
            sb.append("\nwal4j / rocksdb, committed ops/s (ratio of medians; each round's pair):\n");
            for (int t : threads) {
                List<Turn> w = turns.stream().filter(x -> x.threads() == t && x.storage().equals(Storages.WAL4J)).toList();
                List<Turn> r = turns.stream().filter(x -> x.threads() == t && x.storage().equals(Storages.ROCKSDB)).toList();
                List<String> pairs = new ArrayList<>();
                for (int i = 0; i < Math.min(w.size(), r.size()); i++) {
                    pairs.add(String.format(Locale.ROOT, "%.2f", w.get(i).opsPerSecond() / r.get(i).opsPerSecond()));
                }
                sb.append(String.format(Locale.ROOT, "  %2d threads: %.2fx (%s)%n", t, median(w) / median(r),
                    String.join(", ", pairs)));
            }
        }
        if (storages.contains(Storages.MEMORY)) {
            sb.append("\neach storage / memory (the ceiling of a log that costs nothing), ratio of medians:\n");
            for (int t : threads) {
                double ceiling = median(turns.stream().filter(x -> x.threads() == t && x.storage().equals(Storages.MEMORY)).toList());
                List<String> parts = new ArrayList<>();
                for (String storage : storages) {
                    if (!storage.equals(Storages.MEMORY)) {
                        parts.add(String.format(Locale.ROOT, "%s %.2f", storage,
                            median(turns.stream().filter(x -> x.threads() == t && x.storage().equals(storage)).toList()) / ceiling));
                    }
                }
                sb.append(String.format(Locale.ROOT, "  %2d threads: %s%n", t, String.join(", ", parts)));
            }
        }
        return sb.toString();
    }

    private static double medianOf(List<Turn> ts, java.util.function.ToDoubleFunction<Turn> f) {
        double[] v = ts.stream().mapToDouble(f).sorted().toArray();
        return v.length == 0 ? Double.NaN : v[v.length / 2];
    }

    private static Histogram merged(List<Turn> ts) {
        Histogram all = new Histogram(HIGHEST_NANOS, 3);
        for (Turn x : ts) {
            all.add(x.latencyNanos());
        }
        return all;
    }

    private static double median(List<Turn> ts) {
        double[] v = ts.stream().mapToDouble(Turn::opsPerSecond).sorted().toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static String json(List<Turn> turns, int[] threads, List<String> storages, Map<String, String> opt,
                               int payload) {
        StringBuilder sb = new StringBuilder("{\n");
        sb.append("  \"benchmark\": \"JRaftClusterBench\",\n");
        sb.append("  \"date\": \"").append(Instant.now()).append("\",\n");
        sb.append("  \"nodes\": ").append(NODES).append(",\n");
        sb.append("  \"sync\": true,\n");
        sb.append("  \"payloadBytes\": ").append(payload).append(",\n");
        sb.append("  \"options\": {");
        sb.append(String.join(", ", opt.entrySet().stream()
            .map(e -> "\"" + e.getKey() + "\": \"" + e.getValue().replace("\\", "\\\\").replace("\"", "\\\"") + "\"")
            .toList()));
        sb.append("},\n  \"turns\": [\n");
        for (int i = 0; i < turns.size(); i++) {
            Turn x = turns.get(i);
            sb.append(String.format(Locale.ROOT, "    {\"round\": %d, \"storage\": \"%s\", \"threads\": %d, \"ops\": %d, "
                    + "\"seconds\": %.4f, \"opsPerSecond\": %.1f, \"failed\": %d, \"p50Us\": %.1f, \"p90Us\": %.1f, "
                    + "\"p99Us\": %.1f, \"p999Us\": %.1f, \"maxUs\": %.1f, \"meanUs\": %.1f, \"cpuSeconds\": %.3f, "
                    + "\"cpuUsPerOp\": %.1f, \"appendCallsPerOp\": %.3f, \"entriesPerAppendCall\": %.2f, "
                    + "\"appendCallUs\": %.1f}%s%n",
                x.round(), x.storage(), x.threads(), x.ops(), x.seconds(), x.opsPerSecond(), x.failed(),
                us(x.latencyNanos(), 50), us(x.latencyNanos(), 90), us(x.latencyNanos(), 99),
                us(x.latencyNanos(), 99.9), x.latencyNanos().getMaxValue() / 1e3, x.latencyNanos().getMean() / 1e3,
                x.cpuSeconds(), x.cpuMicrosPerOp(), x.appendCallsPerOp(), x.entriesPerAppendCall(), x.appendCallMicros(),
                i + 1 < turns.size() ? "," : ""));
        }
        sb.append("  ],\n  \"summary\": [\n");
        List<String> rows = new ArrayList<>();
        for (int t : threads) {
            for (String storage : storages) {
                List<Turn> ts = turns.stream().filter(x -> x.threads() == t && x.storage().equals(storage)).toList();
                Histogram all = merged(ts);
                rows.add(String.format(Locale.ROOT, "    {\"storage\": \"%s\", \"threads\": %d, \"medianOpsPerSecond\": "
                        + "%.1f, \"p50Us\": %.1f, \"p99Us\": %.1f, \"p999Us\": %.1f}", storage, t, median(ts),
                    us(all, 50), us(all, 99), us(all, 99.9)));
            }
        }
        sb.append(String.join(",\n", rows)).append("\n  ]\n}\n");
        return sb.toString();
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> opt = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument: " + a);
            }
            String key = a.substring(2);
            String value;
            int eq = key.indexOf('=');
            if (eq >= 0) {
                value = key.substring(eq + 1);
                key = key.substring(0, eq);
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                throw new IllegalArgumentException(a + " needs a value");
            }
            if (!List.of("threads", "ops", "warmup", "settle-ms", "jit-turns", "rounds", "storages", "payload", "dir",
                "json").contains(key)) {
                throw new IllegalArgumentException("unknown option --" + key);
            }
            opt.put(key, value);
        }
        return opt;
    }

    private static int[] ints(String csv) {
        return Arrays.stream(csv.split(",")).mapToInt(s -> Integer.parseInt(s.trim())).toArray();
    }

    private static long[] perThreads(String csv, int n, String name) {
        long[] v = Arrays.stream(csv.split(",")).mapToLong(s -> Long.parseLong(s.trim())).toArray();
        if (v.length == 1) {
            long[] all = new long[n];
            Arrays.fill(all, v[0]);
            return all;
        }
        if (v.length != n) {
            throw new IllegalArgumentException("--" + name + ": one count, or one per thread count (" + n + ")");
        }
        return v;
    }
}

package org.wal4j.bench.peers;

import static org.wal4j.bench.peers.PeerBench.KIB;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.wal4j.bench.peers.PeerBench.Row;

/** The peer benchmark's five workloads (see {@link PeerBench}). */
final class Workloads {
    /** Records per batch in the no-sync batch row and when filling the read log. */
    static final int BATCH = 64;
    static final int READ_RECORD_BYTES = 4 * KIB;

    private final PeerBench bench;

    Workloads(PeerBench bench) {
        this.bench = bench;
    }

    /** 1. Durable append, one thread, 128 B, 4 KiB and 64 KiB records. */
    void durableOneThread() throws Exception {
        for (int bytes : new int[] {128, 4 * KIB, 64 * KIB}) {
            Row row = new Row("durable append, 1 thread, " + size(bytes), 1, "records");
            long ops = bench.ops(bytes >= 64 * KIB ? 2000 : 5000);
            bench.row(List.of(row), durable(), (kind, round, d) -> {
                try (Peer p = kind.opener().open(d, bytes)) {
                    byte[] rec = PeerBench.randomRecord(bytes, round);
                    Driver.run(1, false, bench.ops(500), (t, i) -> p.append(rec));
                    return List.of(cell(row, kind, round, Driver.run(1, false, ops, (t, i) -> p.append(rec)), 1));
                }
            });
        }
    }

    /** 2. Durable append, 4 / 16 / 64 platform threads and 1,000 virtual threads, 1 KiB and 4 KiB. */
    void durableThreads() throws Exception {
        record Shape(int threads, boolean virtual, long ops) {}
        List<Shape> shapes = List.of(new Shape(4, false, 8000), new Shape(16, false, 16000), new Shape(64, false, 32000),
                new Shape(1000, true, 20000));
        for (int bytes : new int[] {KIB, 4 * KIB}) {
            for (Shape s : shapes) {
                Row row = new Row("durable append, " + threads(s.threads(), s.virtual()) + ", " + size(bytes), 2,
                        "records");
                long ops = Math.max(bench.ops(s.ops()), s.threads());
                bench.row(List.of(row), durable(), (kind, round, d) -> {
                    try (Peer p = kind.opener().open(d, bytes)) {
                        byte[] rec = PeerBench.randomRecord(bytes, round);
                        Driver.run(s.threads(), s.virtual(), Math.max(ops / 10, s.threads()), (t, i) -> p.append(rec));
                        Driver.Run run = Driver.run(s.threads(), s.virtual(), ops, (t, i) -> p.append(rec));
                        return List.of(cell(row, kind, round, run, 1));
                    }
                });
            }
        }
    }

    /** 3. No-sync append, one thread, 4 KiB: one record per call, and batches of 64. */
    void noSync() throws Exception {
        int bytes = 4 * KIB;
        Row single = new Row("no-sync append, 1 thread, 4 KiB", 3, "records");
        bench.row(List.of(single), noSyncPeers(), (kind, round, d) -> {
            try (Peer p = kind.opener().open(d, bytes)) {
                byte[] rec = PeerBench.randomRecord(bytes, round);
                Driver.run(1, false, bench.ops(20_000), (t, i) -> p.append(rec));
                Driver.Run run = Driver.run(1, false, bench.ops(200_000), (t, i) -> p.append(rec));
                p.sync();
                return List.of(cell(single, kind, round, run, 1));
            }
        });
        Row batched = new Row("no-sync appendBatch of 64 x 4 KiB, 1 thread, per record", 3, "records");
        bench.row(List.of(batched), noSyncPeers(), (kind, round, d) -> {
            try (Peer p = kind.opener().open(d, bytes)) {
                byte[][] batch = batch(round);
                Driver.run(1, false, bench.ops(300), (t, i) -> p.appendBatch(batch));
                Driver.Run run = Driver.run(1, false, bench.ops(3000), (t, i) -> p.appendBatch(batch));
                p.sync();
                return List.of(cell(batched, kind, round, run, BATCH));
            }
        });
    }

    /**
     * 4 and 5. A log of {@code --log-mib} of 4 KiB records, filled in batches of 64 and
     * synced: random reads (page cache warm) and a replay; then, for 5, its open after a
     * clean close, and (in another directory) after kill -9 of a child JVM that filled it.
     */
    void readsAndOpen(boolean reads, boolean open) throws Exception {
        long logBytes = bench.logMiB << 20;
        long n = logBytes / READ_RECORD_BYTES;
        String mib = bench.logMiB + " MiB log";
        Row read = new Row("random read 4 KiB by record number, " + mib + ", warm", 4, "records");
        Row replay = new Row("replay, " + mib + ", warm", 4, "MB");
        Row clean = new Row("open + first append after clean close, " + mib, 5, "us");
        Row killed = new Row("open + first append after kill -9, " + mib, 5, "us");
        List<Row> rows = new java.util.ArrayList<>();
        if (reads) {
            rows.add(read);
            rows.add(replay);
        }
        if (open) {
            rows.add(clean);
        }
        bench.row(rows, readPeers(), (kind, round, d) -> {
            List<Cell> out = new java.util.ArrayList<>();
            byte[] rec = PeerBench.randomRecord(READ_RECORD_BYTES, round);
            try (Peer p = kind.opener().open(d, READ_RECORD_BYTES)) {
                fill(p, logBytes, round);
                p.sync();
                if (reads) {
                    p.replay(); // warms the page cache (and the peer's own caches)
                    byte[] one = p.read(n);
                    if (one.length != READ_RECORD_BYTES) {
                        throw new IllegalStateException(kind.name() + ": record " + n + " has " + one.length + " bytes");
                    }
                    Driver.run(1, false, bench.ops(20_000), (t, i) -> p.read(PeerBench.randomIndex(n)));
                    Driver.Run reading = Driver.run(1, false, bench.ops(200_000), (t, i) -> p.read(PeerBench.randomIndex(n)));
                    out.add(cell(read, kind, round, reading, 1));
                    long t0 = System.nanoTime();
                    long bytes = p.replay();
                    double seconds = (System.nanoTime() - t0) / 1e9;
                    if (bytes != n * READ_RECORD_BYTES) {
                        throw new IllegalStateException(kind.name() + ": replay read " + bytes + " bytes of " + n * READ_RECORD_BYTES);
                    }
                    out.add(Cell.rate(replay, kind.name(), round, bytes / 1e6 / seconds, null));
                }
            }
            if (open) {
                out.add(timedOpen(clean, kind, round, d, rec));
            }
            return out;
        });
        if (open) {
            bench.row(List.of(killed), readPeers(), (kind, round, d) -> {
                Process child = PeerBench.startChild(List.of("--child", kind.name(), "--dir", d.toString(),
                        "--log-mib", Long.toString(bench.logMiB)));
                try {
                    PeerBench.awaitLine(child, "filled", 900);
                    Thread.sleep(200); // killed while appending, not between appends
                } finally {
                    child.destroyForcibly(); // SIGKILL
                    child.waitFor();
                }
                return List.of(timedOpen(killed, kind, round, d, PeerBench.randomRecord(READ_RECORD_BYTES, round)));
            });
        }
    }

    /** The child JVM of the kill -9 row: fills a log in {@code dir}, says "filled", and appends until killed. */
    static void fillThenAppend(PeerKind kind, Path dir, long logBytes) throws Exception {
        Peer p = kind.opener().open(dir, READ_RECORD_BYTES);
        fill(p, logBytes, 1);
        System.out.println("filled");
        System.out.flush();
        byte[] rec = PeerBench.randomRecord(READ_RECORD_BYTES, 2);
        while (true) {
            p.append(rec);
        }
    }

    private static Cell timedOpen(Row row, PeerKind kind, int round, Path d, byte[] rec) throws Exception {
        long t0 = System.nanoTime();
        try (Peer q = kind.opener().open(d, READ_RECORD_BYTES)) {
            q.append(rec);
            return Cell.time(row, kind.name(), round, (System.nanoTime() - t0) / 1e3);
        }
    }

    private static void fill(Peer p, long logBytes, int round) throws Exception {
        byte[][] batch = batch(round);
        long batches = logBytes / ((long) BATCH * READ_RECORD_BYTES);
        for (long b = 0; b < batches; b++) {
            p.appendBatch(batch);
        }
    }

    private static byte[][] batch(int round) {
        byte[][] batch = new byte[BATCH][];
        for (int i = 0; i < BATCH; i++) {
            batch[i] = PeerBench.randomRecord(READ_RECORD_BYTES, round * 1000L + i);
        }
        return batch;
    }

    private static Cell cell(Row row, PeerKind kind, int round, Driver.Run run, int recordsPerOp) {
        return Cell.rate(row, kind.name(), round, run.opsPerSecond() * recordsPerOp, run.latencyNanos());
    }

    private List<PeerKind> durable() {
        return bench.kinds().stream().filter(PeerKind::durable).toList();
    }

    private List<PeerKind> noSyncPeers() {
        return bench.kinds().stream().filter(k -> !k.durable()).toList();
    }

    /**
     * The peers of workloads 4 and 5: those that append without sync (the log fills fast,
     * and is synced before the reads), O_DIRECT wal4j (its reads differ), and JRaft's log.
     */
    private List<PeerKind> readPeers() {
        return bench.kinds().stream().filter(k -> !k.durable() || k.name().equals("wal4j-direct")
                || k.name().equals("jraft-rocksdb")).toList();
    }

    static String size(int bytes) {
        return bytes >= KIB ? bytes / KIB + " KiB" : bytes + " B";
    }

    static String threads(int threads, boolean virtual) {
        return virtual ? String.format(java.util.Locale.ROOT, "%,d virtual threads", threads) : threads + " threads";
    }

    static void deleteTree(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}

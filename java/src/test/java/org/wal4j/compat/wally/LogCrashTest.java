package org.wal4j.compat.wally;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.wal4j.QuietJournalLog;
import org.wal4j.io.CrashImages;
import org.wal4j.io.IoBackend;
import org.wal4j.io.SimulatedDisk;
import org.wal4j.io.SimulatedDisk.Loss;

/**
 * Crash-point exploration of the go-wally {@link Log}, as
 * {@code org.wal4j.CrashPointExplorationTest} does it for the Journal: seeded workloads
 * (appends of random sizes, some above 4 KiB, appendBatch, writeBatch, syncs, truncateBack,
 * close and reopen) run on a {@link SimulatedDisk} that loses power or fails a sync; each
 * image of what the disk could hold is opened with the real backend and checked against a
 * model (see {@link Workload#check}).
 * {@link CrashImages} says which system properties set the seeds and the random points.
 */
@ExtendWith(QuietJournalLog.class)
class LogCrashTest {
    private static final int OPS = 40;
    private static final String FILE = "log.wally";

    @TempDir
    Path tmp;

    /**
     * Durable appends or not, each with no index and a full one ({@code checkpointInterval} 0
     * and 1), and a sparse one (3); a 4 KiB buffer in some, so that records larger than it
     * are written in pieces and noSync appends reach the file before a sync.
     */
    static Stream<Options> configurations() {
        return Stream.of(new Options(false, 0, false, 0), new Options(false, 4 << 10, true, 1),
                new Options(true, 4 << 10, false, 0), new Options(true, 0, true, 1), new Options(true, 4 << 10, true, 3));
    }

    /** What the log must and may hold after a crash, as far as the workload got. */
    static final class Model extends CrashImages.Model<Model> {
        /** The log's records as the workload sees them (record i at i - 1), with an append that had not returned. */
        final List<byte[]> log = new ArrayList<>();
        /**
         * Per index (at index - 1), every value the file may hold there: the record the last
         * fdatasync covered, and each value appended there since (a truncateBack that was not
         * synced may come undone).
         */
        final List<List<byte[]>> allowed = new ArrayList<>();
        /** Records 1..durable were acknowledged durable. */
        int durable;
        /** A recovery may have appended {@link #PROBE} after the records. */
        boolean probeAllowed;

        /** Records {@code v} as appended at the next index, and returns it. */
        synchronized byte[] appending(byte[] v) {
            log.add(v);
            if (allowed.size() < log.size()) {
                allowed.add(new ArrayList<>());
            }
            allowed.get(log.size() - 1).add(v);
            return v;
        }

        /** An fdatasync returned after the log's bytes were written: the file holds the log, exactly. */
        synchronized void synced() {
            durable = log.size();
            allowed.clear();
            log.forEach(v -> allowed.add(new ArrayList<>(List.of(v))));
        }

        synchronized void truncatingBack(int to) {
            durable = Math.min(durable, to);
        }

        synchronized void truncatedBack(int to) {
            log.subList(to, log.size()).clear();
        }

        /**
         * A reopen in the same boot found {@code found}: what is wrong with it, or null. The
         * model becomes what was found, all durable (open makes it durable).
         */
        synchronized String reopened(List<byte[]> found) {
            String wrong = null;
            for (int i = 0; i < found.size() && wrong == null; i++) {
                byte[] v = found.get(i);
                if (i >= allowed.size() || allowed.get(i).stream().noneMatch(a -> Arrays.equals(a, v))) {
                    wrong = "record " + (i + 1) + " (" + v.length + " bytes) is no value appended there"
                            + (i < log.size() ? " (" + log.get(i).length + " bytes were)" : "") + " or was truncated away durably";
                }
            }
            for (int i = 0; i < durable && wrong == null; i++) {
                if (i >= found.size() || !Arrays.equals(found.get(i), log.get(i))) {
                    wrong = "durable record " + (i + 1) + " is " + (i < found.size() ? "changed" : "missing") + " ("
                            + found.size() + " found, durable through " + durable + ")";
                }
            }
            log.clear();
            log.addAll(found);
            synced();
            return wrong;
        }

        synchronized int size() {
            return log.size();
        }

        @Override
        protected Model copyState() {
            Model c = new Model();
            c.log.addAll(log);
            allowed.forEach(vs -> c.allowed.add(new ArrayList<>(vs)));
            c.durable = durable;
            c.probeAllowed = probeAllowed;
            return c;
        }
    }

    /** The workload and its checks for one configuration. */
    static final class Workload extends CrashImages.Workload<Model, Log> {
        private final Options options;

        Workload(Options options) {
            super(Model::new);
            this.options = options;
        }

        @Override
        public void run(Path dir, SimulatedDisk disk, long seed, int ops, Model m) throws Exception {
            Path file = dir.resolve(FILE);
            log = null;
            log = Log.open(file, options, disk);
            operations(new Random(seed), file, disk, ops, m);
            m.trace("close", disk);
            close(m);
        }

        /**
         * Reopens the failed log on the same disk: every record it holds must be one appended at
         * its index and not truncated away durably, and the durable ones must all be there. Open
         * makes what it found durable, so the model becomes that, all durable.
         */
        @Override
        public String reopenAfterFailedSync(Path dir, SimulatedDisk disk, long seed, int ops, Model m) throws Exception {
            Path file = dir.resolve(FILE);
            m.trace("reopen after the failed sync", disk);
            log = Log.open(file, options, disk);
            List<byte[]> found = new ArrayList<>();
            for (long i = 1; i <= log.lastIndex(); i++) {
                found.add(log.read(i));
            }
            String wrong = m.reopened(found);
            operations(new Random(seed), file, disk, ops, m);
            return wrong;
        }

        @Override
        public void recoverAndAppendProbe(Path dir, SimulatedDisk disk) throws Exception {
            log = null;
            try {
                log = Log.open(dir.resolve(FILE), options, disk);
            } catch (InvalidLogException refused) {
                return; // not a log (its first record torn): check() tells whether that may be
            }
            log.append(PROBE);
            closeLog();
        }

        @Override
        protected void allowProbe(Model m) {
            m.probeAllowed = true;
        }

        private void operations(Random r, Path file, SimulatedDisk disk, int ops, Model m) throws Exception {
            for (int op = 0; op < ops; op++) {
                int kind = r.nextInt(100);
                if (kind < 45 || kind >= 92) {
                    boolean large = kind >= 92;
                    m.trace(large ? "large append" : "append", disk);
                    int bytes = large ? 4097 + r.nextInt(2000) : 1 + r.nextInt(r.nextInt(8) == 0 ? 6000 : 400);
                    byte[] v = m.appending(value(r, bytes));
                    assertEquals(m.size(), log.append(v));
                    acknowledged(m);
                } else if (kind < 62) {
                    boolean viaBatch = kind >= 55;
                    m.trace(viaBatch ? "writeBatch" : "appendBatch", disk);
                    byte[][] vs = new byte[1 + r.nextInt(4)][];
                    Batch batch = new Batch();
                    for (int i = 0; i < vs.length; i++) {
                        vs[i] = value(r, 1 + r.nextInt(r.nextInt(6) == 0 ? 5000 : 300));
                        batch.add(vs[i]);
                        m.appending(vs[i]);
                    }
                    Range got = viaBatch ? log.writeBatch(batch) : log.appendBatch(vs);
                    assertEquals(new Range(m.size() - vs.length + 1, m.size()), got);
                    acknowledged(m);
                } else if (kind < 75) {
                    m.trace("sync", disk);
                    log.sync();
                    m.synced();
                } else if (kind < 84) {
                    int to = r.nextInt(12) == 0 ? 0 : Math.max(0, m.size() - r.nextInt(4));
                    m.trace("truncateBack(" + to + ")", disk);
                    m.truncatingBack(to);
                    log.truncateBack(to);
                    m.truncatedBack(to);
                    acknowledged(m);
                } else {
                    m.trace("reopen", disk);
                    close(m);
                    log = Log.open(file, options, disk);
                }
            }
        }

        /** Non-empty: an empty record recovered can only come from zero-filled space. */
        private static byte[] value(Random r, int bytes) {
            byte[] v = new byte[bytes];
            r.nextBytes(v);
            return v;
        }

        /** An append, batch or truncateBack returned: with noSync=false it was written and fdatasynced. */
        private void acknowledged(Model m) {
            if (!options.noSync()) {
                m.synced();
            }
        }

        private void close(Model m) throws Exception {
            closeLog();
            acknowledged(m);
        }

        @Override
        protected Map<String, CrashImages.Probe> probesAfterFailure(Log failed) {
            Map<String, CrashImages.Probe> probes = new LinkedHashMap<>();
            probes.put("sync()", failed::sync);
            probes.put("an append", () -> failed.append(new byte[] {1}));
            return probes;
        }

        @Override
        protected Class<LogFailedException> failedLogException() {
            return LogFailedException.class;
        }

        /** What an open of an image gave: its records, or the InvalidLogException of a first record open refused. */
        private record Recovered(List<byte[]> records, InvalidLogException refused) {
            boolean same(Recovered o) {
                return (refused == null) == (o.refused == null) && records.size() == o.records.size()
                        && IntStream.range(0, records.size())
                                .allMatch(i -> Arrays.equals(records.get(i), o.records.get(i)));
            }
        }

        /**
         * Recovers {@code dir}'s log twice and appends to it. Every record acknowledged durable
         * is there, byte for byte; every record is one appended at its index and not removed by
         * a truncateBack that a returned fdatasync made durable; the second recovery gives the
         * same records; the next append gets the next index.
         *
         * <p>Two outcomes docs/format.md documents ("go-wally") are tolerated and counted, nothing else: open
         * refuses the file as not a log (its first record invalid, the file left as it was)
         * when no record in it was acknowledged durable: a crash during the first append to an
         * empty file, or with noSync anywhere before the first sync; and after a
         * {@link Loss#SECTORS} image, or any image of a crash inside a truncateBack (durable
         * then counts only the records it keeps), an empty record (16 zero bytes, a valid WALLY record)
         * beyond the acknowledged ones: zero-filled space reads as valid empty records (the
         * workload never appends one), and the bytes after them are read on as records at
         * shifted indexes, so nothing after the first such record is checked. After a crash
         * during recovery the recovery's {@link #PROBE} may be the last record.
         */
        @Override
        public String check(Path dir, Model m, Loss loss, Consumer<String> note) {
            Path file = dir.resolve(FILE);
            try {
                byte[] before = Files.exists(file) ? Files.readAllBytes(file) : null;
                Recovered first = recover(file);
                if (first.refused != null) {
                    if (m.durable > 0 || first.refused.offset() != 0) {
                        return "open refused the file, records 1.." + m.durable + " acknowledged durable: " + first.refused;
                    }
                    if (!Arrays.equals(before, Files.readAllBytes(file))) {
                        return "open refused the file and changed it";
                    }
                    note.accept("images refused as not a log (first record torn, none acknowledged durable)");
                    return recover(file).refused != null ? null : "a second open did not refuse the file";
                }
                List<byte[]> got = first.records;
                int n = got.size();
                for (int i = 0; i < n; i++) {
                    byte[] v = got.get(i);
                    if (i < m.allowed.size() && m.allowed.get(i).stream().anyMatch(a -> Arrays.equals(a, v))) {
                        continue;
                    }
                    if (m.probeAllowed && i == n - 1 && i >= m.durable && Arrays.equals(v, PROBE)) {
                        continue; // what the crashed recovery appended
                    }
                    if (v.length == 0 && loss != Loss.UNSYNCED && i >= m.durable) {
                        // Zeros read as empty records, and what follows them is read on, at
                        // shifted indexes (old bytes a crash left behind them, in noSync mode
                        // even records an unsynced truncateBack had cut; or, after a crash inside
                        // truncateBack, the zeros its ftruncate wrote to the rest of the block
                        // before the new size was committed): past the durable records the
                        // format cannot tell. docs/format.md says so.
                        note.accept("images with empty records read from zero-filled space (and records after them)");
                        break;
                    }
                    return "record " + (i + 1) + " (" + v.length + " bytes) is no value appended there"
                            + (i < m.log.size() ? " (" + m.log.get(i).length + " bytes were)" : "")
                            + " or was truncated away durably";
                }
                for (int i = 0; i < m.durable; i++) {
                    if (i >= n || !Arrays.equals(got.get(i), m.log.get(i))) {
                        return "durable record " + (i + 1) + " is " + (i < n ? "changed" : "missing") + " (" + n
                                + " recovered, durable through " + m.durable + ")";
                    }
                }
                if (!recover(file).same(first)) {
                    return "a second recovery gives another log";
                }
                try (Log reopened = Log.open(file, options, IoBackend.select())) {
                    if (reopened.lastIndex() != n) {
                        return "lastIndex() is " + reopened.lastIndex() + " after recovering " + n + " records";
                    }
                    byte[] probe = {42};
                    long next = reopened.append(probe);
                    if (next != n + 1 || !Arrays.equals(reopened.read(next), probe)) {
                        return "the next append got index " + next + " after " + n + " records";
                    }
                }
                return null;
            } catch (Exception | AssertionError e) {
                return "recovery failed: " + e;
            }
        }

        private Recovered recover(Path file) throws IOException {
            List<byte[]> records = new ArrayList<>();
            // noSync only spares the close an fdatasync (the open made what it found durable itself)
            Options readOnly = new Options(true, options.bufferSize(), options.retainIndex(), options.checkpointInterval());
            Log opened;
            try {
                opened = Log.open(file, readOnly, IoBackend.select());
            } catch (InvalidLogException refused) {
                return new Recovered(List.of(), refused);
            }
            try (Log recovered = opened) {
                for (long i = 1; i <= recovered.lastIndex(); i++) {
                    records.add(recovered.read(i));
                }
            }
            return new Recovered(records, null);
        }
    }

    /** What a recovery appends in {@link #crashingDuringRecoveryIsSafe} (the workload's values are random). */
    static final byte[] PROBE = "probe-of-a-recovery".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private static String subject(Options o) {
        return "wally Log, noSync=" + o.noSync() + ", checkpointInterval=" + o.effectiveCheckpointInterval() + ", bufferSize="
                + o.effectiveBufferSize();
    }

    /**
     * Every crash point of a short workload recovers: for each I/O call of each seed's run
     * (and after the last), a run that loses power there, imaged with every {@link Loss} and
     * unsynced names lost and kept, passes {@link Workload#check}; a crash inside an operation
     * that had not returned may have taken effect or not.
     */
    @ParameterizedTest
    @MethodSource("configurations")
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void everyCrashPointOfAShortWorkloadRecovers(Options options) throws Exception {
        CrashImages.everyCrashPoint(tmp, new Workload(options), OPS).printAndAssertNone(subject(options));
    }

    /**
     * Random crash points of a long workload recover: one run of {@link CrashImages#LONG_OPS} operations
     * is imaged, with a random {@link Loss} and unsynced names lost and kept, at
     * {@link CrashImages#RANDOM_POINTS} calls drawn at random while it goes on, each image
     * checked against the model as it was at that call.
     */
    @ParameterizedTest
    @MethodSource("configurations")
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void randomCrashPointsOfALongWorkloadRecover(Options options) throws Exception {
        CrashImages.randomCrashPoints(tmp, new Workload(options), CrashImages.LONG_OPS).printAndAssertNone(subject(options));
    }

    /**
     * A failed sync is never taken for durability (fsyncgate): each call of a run in turn, if
     * it is an fdatasync or directory fsync, fails with EIO and drops the writes it covered.
     * The log fail-stops (sync and append then throw {@link LogFailedException}), and what is
     * durable afterwards holds every record it acknowledged.
     */
    @ParameterizedTest
    @MethodSource("configurations")
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void aFailedSyncIsNeverTakenForDurability(Options options) throws Exception {
        CrashImages.failEachSync(tmp, new Workload(options), OPS).printAndAssertNone(subject(options));
    }

    /**
     * fsyncgate, then a reopen in the same boot, for each call of a run in turn: the sync of
     * that number fails with EIO and drops the writes it covered, which buffered reads still
     * return. The log fail-stops, is closed, reopened on the same disk (no power loss), goes on
     * with more operations, and then the power goes: every image holds every record
     * acknowledged, before the failed sync and after the reopen, at its index.
     */
    @ParameterizedTest
    @MethodSource("configurations")
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void aReopenAfterAFailedSyncNeverLosesWhatItAcknowledges(Options options) throws Exception {
        CrashImages.failEachSyncThenReopen(tmp, new Workload(options), OPS, OPS / 2).printAndAssertNone(subject(options));
    }

    /**
     * A crash during recovery: each crash point's harshest image (torn sectors, unsynced
     * names lost) is recovered on a disk that loses power at each of the recovery's own I/O
     * calls in turn (what open writes and syncs, the cut of the torn tail before the first
     * append, that append, the close); what that leaves is recovered again and checked, the
     * recovery's probe record allowed as the last one.
     */
    @ParameterizedTest
    @MethodSource("configurations")
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void crashingDuringRecoveryIsSafe(Options options) throws Exception {
        CrashImages.crashDuringRecovery(tmp, new Workload(options), OPS, 3).printAndAssertNone(subject(options));
    }

    /**
     * The reviewer's fsyncgate reopen: records 1 and 2 are durable, the fdatasync of record 3
     * fails (its write dropped, still cached), the log is closed and reopened on the same disk
     * without a power loss, two more records are appended and acknowledged, and then the power
     * goes. Recovery must give exactly what the reopened log held once they were acknowledged:
     * every record at its index, byte for byte, nothing else. With durable appends, and with
     * noSync and explicit syncs.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aReopenAfterAFailedSyncKeepsTheRecordsItAcknowledgesAfterAPowerLoss(boolean noSync) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("log"));
        Path file = dir.resolve(FILE);
        SimulatedDisk disk = SimulatedDisk.over(IoBackend.select(), dir);
        Options options = new Options(noSync, 0, true, 1);
        Log failed = Log.open(file, options, disk);
        failed.append(value(1, 100));
        failed.append(value(2, 100));
        failed.sync();
        if (noSync) {
            failed.append(value(3, 96));
            disk.failSyncAt(disk.calls() + 2); // the buffer's write, then the fdatasync
            assertThrows(LogFailedException.class, failed::sync);
        } else {
            disk.failSyncAt(disk.calls() + 2);
            assertThrows(LogFailedException.class, () -> failed.append(value(3, 96)));
        }
        failed.close();

        List<String> acknowledged = new ArrayList<>();
        try (Log reopened = Log.open(file, options, disk)) {
            long before = reopened.lastIndex();
            assertEquals(before + 1, reopened.append(value(4, 100)));
            assertEquals(before + 2, reopened.append(value(5, 100)));
            reopened.sync();
            for (long i = 1; i <= reopened.lastIndex(); i++) {
                acknowledged.add(describe(i, reopened.read(i)));
            }
        }
        disk.powerOff();
        Path image = tmp.resolve("image");
        disk.image(image, Loss.UNSYNCED, false, 1);
        List<String> recovered = new ArrayList<>();
        try (Log log = Log.open(image.resolve(dir.getFileName().toString()).resolve(FILE), options, IoBackend.select())) {
            for (long i = 1; i <= log.lastIndex(); i++) {
                recovered.add(describe(i, log.read(i)));
            }
        }
        assertEquals(acknowledged, recovered, "every record the reopened log acknowledged, at its index, and nothing else");
    }

    /** {@code bytes} bytes of {@code b}. */
    private static byte[] value(int b, int bytes) {
        byte[] v = new byte[bytes];
        Arrays.fill(v, (byte) b);
        return v;
    }

    /** "index: length bytes of b" for a record {@link #value} made, else its length and hash. */
    private static String describe(long index, byte[] v) {
        boolean uniform = v.length > 0 && IntStream.range(0, v.length).allMatch(i -> v[i] == v[0]);
        return index + ": " + v.length + " bytes" + (uniform ? " of " + v[0] : v.length == 0 ? "" : " hash " + Arrays.hashCode(v));
    }
}

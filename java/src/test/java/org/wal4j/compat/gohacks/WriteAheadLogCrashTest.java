package org.wal4j.compat.gohacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.wal4j.QuietJournalLog;
import org.wal4j.format.WalxFormat;
import org.wal4j.io.CrashImages;
import org.wal4j.io.IoBackend;
import org.wal4j.io.IoCallException;
import org.wal4j.io.SimulatedDisk;
import org.wal4j.io.SimulatedDisk.Loss;

/**
 * Crash-point exploration of the gohacks {@link WriteAheadLog}, as
 * {@code org.wal4j.CrashPointExplorationTest} does it for the Journal: seeded workloads
 * (appends of random sizes, some above 4 KiB, with LSNs that increase with gaps and start
 * again after a reset; syncs; resets; close and reopen) run on a {@link SimulatedDisk} that
 * loses power or fails a sync; each image of what the disk could hold is opened with the real
 * backend and checked against a model (see {@link Workload#check}).
 * {@link CrashImages} says which system properties set the seeds and the random points.
 */
@ExtendWith(QuietJournalLog.class)
class WriteAheadLogCrashTest {
    private static final int OPS = 40;
    private static final String FILE = "wal.walx";

    @TempDir
    Path tmp;

    /**
     * A durability configuration: {@code syncEveryBytes} 0 (durable only after sync, reset or
     * close), or the byte threshold whose crossing append returns synced. No background sync
     * thread: its fdatasyncs would make the crash numbering differ from run to run.
     * {@code directRefused}: the simulated filesystem refuses O_DIRECT, so open rewrites the
     * file and syncs it instead of reading it with O_DIRECT.
     */
    record Config(long syncEveryBytes, boolean directRefused) {
        Policy policy() {
            return new Policy(syncEveryBytes, Duration.ZERO, 8 << 10, 64);
        }

        /** {@code disk}, refusing O_DIRECT if this configuration says so. */
        SimulatedDisk filesystem(SimulatedDisk disk) {
            return directRefused ? disk.refuseDirect() : disk;
        }

        @Override
        public String toString() {
            return (syncEveryBytes == 0 ? "syncEveryBytes=0, explicit syncs" : "syncEveryBytes=" + syncEveryBytes)
                    + (directRefused ? ", O_DIRECT refused" : "");
        }
    }

    static Stream<Config> configurations() {
        return Stream.of(new Config(0, false), new Config(4 << 10, false), new Config(0, true));
    }

    /** One record as appended or replayed. */
    record Rec(long lsn, long ts, byte[] key, byte[] value) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Rec r && r.lsn == lsn && r.ts == ts && Arrays.equals(r.key, key) && Arrays.equals(r.value, value);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(lsn) * 31 + Arrays.hashCode(value);
        }

        @Override
        public String toString() {
            return "lsn " + lsn + " (" + value.length + " value bytes)";
        }

        /** Whether this is {@link #PROBE}, whatever its LSN. */
        boolean isProbe() {
            return ts == PROBE.ts && Arrays.equals(key, PROBE.key) && Arrays.equals(value, PROBE.value);
        }
    }

    /** What a recovery appends in {@link #crashingDuringRecoveryIsSafe} (with the next LSN; the workload's keys are random). */
    static final Rec PROBE = new Rec(0, 7, "probe".getBytes(java.nio.charset.StandardCharsets.US_ASCII), new byte[] {7, 7, 7});

    /** What the log must and may hold after a crash, as far as the workload got. */
    static final class Model extends CrashImages.Model<Model> {
        /** The records appended since the last reset that returned, in order, with an append that had not returned. */
        final List<Rec> log = new ArrayList<>();
        /** The first {@code durable} records of {@link #log} were acknowledged durable. */
        int durable;
        /**
         * A reset had not returned: the log may hold any prefix of what it held before, the
         * whole of it or none. Its ftruncate to the header zeroes the rest of the first block,
         * and the filesystem may write that block before it commits the new size: the records
         * there read as zeros, recovery stops at them, and the records after them go too.
         */
        boolean resetting;
        /** Record bytes appended since the port's last fdatasync (open, sync, reset, close, threshold). */
        long unsyncedBytes;
        /** A recovery may have appended {@link #PROBE} (with the next LSN) after the records. */
        boolean probeAllowed;

        synchronized void appending(Rec r) {
            log.add(r);
        }

        synchronized void appended(Rec r, long syncEveryBytes) {
            unsyncedBytes += WalxFormat.recordLength(r.key.length, r.value.length);
            if (syncEveryBytes > 0 && unsyncedBytes >= syncEveryBytes) {
                synced();
            }
        }

        synchronized void synced() {
            durable = log.size();
            unsyncedBytes = 0;
        }

        synchronized void resetting() {
            resetting = true;
        }

        synchronized void wasReset() {
            log.clear();
            resetting = false;
            synced();
        }

        /**
         * A reopen in the same boot found {@code found}: what is wrong with it, or null. The
         * model becomes what was found, all durable (open syncs it).
         */
        synchronized String reopened(List<Rec> found) {
            String wrong = null;
            for (int i = 0; i < found.size() && wrong == null; i++) {
                if (i >= log.size() || !found.get(i).equals(log.get(i))) {
                    wrong = "record " + (i + 1) + " is " + found.get(i) + ", not " + (i < log.size()
                            ? "the one appended there: " + log.get(i) : "one appended since the last reset");
                }
            }
            if (wrong == null && found.size() < durable && !resetting) {
                wrong = found.size() + " records found, " + durable + " were acknowledged durable";
            }
            log.clear();
            log.addAll(found);
            resetting = false;
            synced();
            return wrong;
        }

        synchronized long lastLsn() {
            return log.isEmpty() ? 0 : log.getLast().lsn;
        }

        @Override
        protected Model copyState() {
            Model c = new Model();
            c.log.addAll(log);
            c.durable = durable;
            c.resetting = resetting;
            c.unsyncedBytes = unsyncedBytes;
            c.probeAllowed = probeAllowed;
            return c;
        }
    }

    /** The workload and its checks for one configuration. */
    static final class Workload extends CrashImages.Workload<Model, WriteAheadLog> {
        private final Config config;

        Workload(Config config) {
            super(Model::new);
            this.config = config;
        }

        @Override
        public void run(Path dir, SimulatedDisk disk, long seed, int ops, Model m) throws Exception {
            Path file = dir.resolve(FILE);
            config.filesystem(disk);
            log = null;
            log = WriteAheadLog.open(file, config.policy(), disk);
            operations(new Random(seed), file, disk, ops, m);
            m.trace("close", disk);
            close(m);
        }

        /**
         * Reopens the failed log on the same disk: what it holds must be a prefix of what was
         * appended, at least as long as what was acknowledged durable (the failed sync's
         * records may be there or not). Open syncs what it found, so the model becomes that,
         * all durable.
         */
        @Override
        public String reopenAfterFailedSync(Path dir, SimulatedDisk disk, long seed, int ops, Model m) throws Exception {
            Path file = dir.resolve(FILE);
            m.trace("reopen after the failed sync", disk);
            log = WriteAheadLog.open(file, config.policy(), disk);
            List<Rec> found = new ArrayList<>();
            log.replay(0, (lsn, ts, k, v) -> found.add(new Rec(lsn, ts, k, v)));
            String wrong = m.reopened(found);
            operations(new Random(seed), file, disk, ops, m);
            return wrong;
        }

        @Override
        public void recoverAndAppendProbe(Path dir, SimulatedDisk disk) throws Exception {
            config.filesystem(disk);
            log = null;
            log = WriteAheadLog.open(dir.resolve(FILE), config.policy(), disk);
            log.append(log.lastLsn() + 1, PROBE.ts, PROBE.key, PROBE.value);
            closeLog();
        }

        @Override
        protected void allowProbe(Model m) {
            m.probeAllowed = true;
        }

        private void operations(Random r, Path file, SimulatedDisk disk, int ops, Model m) throws Exception {
            for (int op = 0; op < ops; op++) {
                int kind = r.nextInt(100);
                if (kind < 55 || kind >= 92) {
                    boolean large = kind >= 92;
                    m.trace(large ? "large append" : "append", disk);
                    append(r, m, large ? 4097 + r.nextInt(2000) : 1 + r.nextInt(r.nextInt(8) == 0 ? 6000 : 400));
                } else if (kind < 65) {
                    m.trace("appends", disk);
                    for (int i = 1 + r.nextInt(4); i > 0; i--) {
                        append(r, m, 1 + r.nextInt(300));
                    }
                } else if (kind < 78) {
                    m.trace("sync", disk);
                    log.sync();
                    m.synced();
                } else if (kind < 84) {
                    m.trace("reset", disk);
                    m.resetting();
                    log.reset();
                    m.wasReset();
                } else {
                    m.trace("reopen", disk);
                    close(m);
                    log = WriteAheadLog.open(file, config.policy(), disk);
                }
            }
        }

        private void append(Random r, Model m, int valueBytes) throws IOException {
            byte[] key = new byte[r.nextInt(17)];
            byte[] value = new byte[valueBytes];
            r.nextBytes(key);
            r.nextBytes(value);
            Rec rec = new Rec(m.lastLsn() + 1 + r.nextInt(3), r.nextInt(1 << 30), key, value);
            m.appending(rec);
            log.append(rec.lsn, rec.ts, rec.key, rec.value);
            m.appended(rec, config.syncEveryBytes());
        }

        private void close(Model m) throws Exception {
            closeLog();
            m.synced();
        }

        @Override
        protected Map<String, CrashImages.Probe> probesAfterFailure(WriteAheadLog failed) {
            Map<String, CrashImages.Probe> probes = new LinkedHashMap<>();
            probes.put("sync()", failed::sync);
            probes.put("an append", () -> failed.append(failed.lastLsn() + 1, 0, null, new byte[] {1}));
            probes.put("close()", failed::close);
            return probes;
        }

        /**
         * Recovers {@code dir}'s log twice and appends to it. Every record acknowledged durable
         * is there, byte for byte (LSN, timestamp, key, value); what is there is a prefix of the
         * records appended since the last returned reset, so in order, with increasing LSNs and
         * nothing a returned reset removed; a reset that had not returned may have left any
         * prefix of the log. After a crash during recovery the recovery's {@link #PROBE} may follow,
         * with an LSN above the record before it. The second recovery gives the same records;
         * lastLsn() is the last record's and the next append follows it.
         */
        @Override
        public String check(Path dir, Model m, Loss loss, Consumer<String> note) {
            Path file = dir.resolve(FILE);
            try {
                List<Rec> first = recover(file);
                List<Rec> appended = first;
                if (m.probeAllowed && !first.isEmpty() && first.getLast().isProbe()
                        && (first.size() == 1 || Long.compareUnsigned(first.getLast().lsn, first.get(first.size() - 2).lsn) > 0)) {
                    appended = first.subList(0, first.size() - 1);
                }
                for (int i = 0; i < appended.size(); i++) {
                    if (i >= m.log.size() || !appended.get(i).equals(m.log.get(i))) {
                        return "record " + (i + 1) + " is " + appended.get(i) + ", not " + (i < m.log.size()
                                ? "the one appended there: " + m.log.get(i) : "one appended since the last reset");
                    }
                }
                int n = appended.size();
                if (n < m.durable && !m.resetting) {
                    return n + " records recovered, " + m.durable + " were acknowledged durable";
                }
                List<Rec> second = recover(file);
                if (!second.equals(first)) {
                    return "a second recovery gives another log: " + second + " against " + first;
                }
                long last = first.isEmpty() ? 0 : first.getLast().lsn;
                try (WriteAheadLog reopened = WriteAheadLog.open(file, config.policy(), IoBackend.select())) {
                    if (reopened.lastLsn() != last) {
                        return "lastLsn() is " + reopened.lastLsn() + " after recovering up to lsn " + last;
                    }
                    Rec probe = new Rec(last + 1, 1, new byte[] {9}, new byte[] {42});
                    reopened.append(probe.lsn, probe.ts, probe.key, probe.value);
                    List<Rec> after = new ArrayList<>();
                    reopened.replay(last, (lsn, ts, k, v) -> after.add(new Rec(lsn, ts, k, v)));
                    if (!after.equals(List.of(probe))) {
                        return "after an append at lsn " + probe.lsn + " the replay from " + last + " gives " + after;
                    }
                }
                return null;
            } catch (Exception | AssertionError e) {
                return "recovery failed: " + e;
            }
        }

        private List<Rec> recover(Path file) throws IOException {
            List<Rec> records = new ArrayList<>();
            try (WriteAheadLog recovered = WriteAheadLog.open(file, config.policy(), IoBackend.select())) {
                recovered.replay(0, (lsn, ts, k, v) -> records.add(new Rec(lsn, ts, k, v)));
            }
            return records;
        }
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
    void everyCrashPointOfAShortWorkloadRecovers(Config config) throws Exception {
        CrashImages.everyCrashPoint(tmp, new Workload(config), OPS).printAndAssertNone("gohacks WriteAheadLog, " + config);
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
    void randomCrashPointsOfALongWorkloadRecover(Config config) throws Exception {
        CrashImages.randomCrashPoints(tmp, new Workload(config), CrashImages.LONG_OPS).printAndAssertNone("gohacks WriteAheadLog, " + config);
    }

    /**
     * A failed sync is never taken for durability (fsyncgate): each call of a run in turn, if
     * it is an fdatasync or directory fsync, fails with EIO and drops the writes it covered.
     * The log fail-stops (sync, append and close then throw), and what is durable afterwards
     * holds every record it acknowledged.
     */
    @ParameterizedTest
    @MethodSource("configurations")
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void aFailedSyncIsNeverTakenForDurability(Config config) throws Exception {
        CrashImages.failEachSync(tmp, new Workload(config), OPS).printAndAssertNone("gohacks WriteAheadLog, " + config);
    }

    /**
     * fsyncgate, then a reopen in the same boot, for each call of a run in turn: the sync of
     * that number fails with EIO and drops the writes it covered, which buffered reads still
     * return. The log fail-stops, is closed, reopened on the same disk (no power loss), goes on
     * with more appends and syncs, and then the power goes: every image holds every record
     * acknowledged, before the failed sync and after the reopen, at its LSN.
     */
    @ParameterizedTest
    @MethodSource("configurations")
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void aReopenAfterAFailedSyncNeverLosesWhatItAcknowledges(Config config) throws Exception {
        CrashImages.failEachSyncThenReopen(tmp, new Workload(config), OPS, OPS / 2)
                .printAndAssertNone("gohacks WriteAheadLog, " + config);
    }

    /**
     * A crash during recovery: each crash point's harshest image (torn sectors, unsynced
     * names lost) is recovered on a disk that loses power at each of the recovery's own I/O
     * calls in turn (the cut of the tail and its fdatasync, the first append, the close);
     * what that leaves is recovered again and checked, the recovery's probe record allowed
     * after the records.
     */
    @ParameterizedTest
    @MethodSource("configurations")
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void crashingDuringRecoveryIsSafe(Config config) throws Exception {
        CrashImages.crashDuringRecovery(tmp, new Workload(config), OPS, 3).printAndAssertNone("gohacks WriteAheadLog, " + config);
    }

    /**
     * The reviewer's fsyncgate reopen: r1 and r2 are durable, r3's fdatasync fails (its write
     * dropped, still cached), the log is closed and reopened on the same disk without a power
     * loss, r4 and r5 are appended and synced, and then the power goes. Recovery must give
     * exactly what the reopened log held when its sync returned: every acknowledged record at
     * its LSN, byte for byte, nothing else. Once where the filesystem honours O_DIRECT, once
     * where it refuses it.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aReopenAfterAFailedSyncKeepsTheRecordsItAcknowledgesAfterAPowerLoss(boolean directRefused) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("wal"));
        Path file = dir.resolve(FILE);
        SimulatedDisk disk = SimulatedDisk.over(IoBackend.select(), dir);
        if (directRefused) {
            disk.refuseDirect();
        }
        Policy policy = new Config(0, directRefused).policy();
        Rec r1 = rec(1, 101);
        Rec r2 = rec(2, 102);
        Rec r3 = rec(3, 103);
        WriteAheadLog failed = WriteAheadLog.open(file, policy, disk);
        for (Rec r : List.of(r1, r2)) {
            failed.append(r.lsn, r.ts, r.key, r.value);
        }
        failed.sync();
        failed.append(r3.lsn, r3.ts, r3.key, r3.value);
        disk.failSyncAt(disk.calls() + 1);
        assertThrows(IoCallException.class, failed::sync);
        assertThrows(IOException.class, failed::close, "close of a failed log reports the failure");

        List<Rec> acknowledged = new ArrayList<>();
        try (WriteAheadLog reopened = WriteAheadLog.open(file, policy, disk)) {
            long last = reopened.lastLsn();
            Rec r4 = rec(last + 1, 104);
            Rec r5 = rec(last + 2, 105);
            for (Rec r : List.of(r4, r5)) {
                reopened.append(r.lsn, r.ts, r.key, r.value);
            }
            reopened.sync();
            reopened.replay(0, (lsn, ts, k, v) -> acknowledged.add(new Rec(lsn, ts, k, v)));
            assertEquals(List.of(r4, r5), acknowledged.subList(acknowledged.size() - 2, acknowledged.size()));
        }
        disk.powerOff();
        Path image = tmp.resolve("image");
        disk.image(image, Loss.UNSYNCED, false, 1);
        List<Rec> recovered = new ArrayList<>();
        try (WriteAheadLog wal = WriteAheadLog.open(image.resolve(dir.getFileName().toString()).resolve(FILE), policy,
                IoBackend.select())) {
            wal.replay(0, (lsn, ts, k, v) -> recovered.add(new Rec(lsn, ts, k, v)));
            assertEquals(acknowledged, recovered, "every record the reopened log acknowledged, at its LSN, and nothing else; "
                    + wal.recovery());
        }
    }

    /** A record with LSN {@code lsn} and a value of {@code valueBytes} bytes that say which it is. */
    private static Rec rec(long lsn, int valueBytes) {
        byte[] value = new byte[valueBytes];
        Arrays.fill(value, (byte) lsn);
        return new Rec(lsn, 1000 + lsn, new byte[] {(byte) lsn}, value);
    }
}

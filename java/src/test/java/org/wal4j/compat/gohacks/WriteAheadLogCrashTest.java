package org.wal4j.compat.gohacks;

import java.io.IOException;
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
import org.wal4j.QuietJournalLog;
import org.wal4j.format.WalxFormat;
import org.wal4j.io.CrashImages;
import org.wal4j.io.IoBackend;
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
     */
    record Config(long syncEveryBytes) {
        Policy policy() {
            return new Policy(syncEveryBytes, Duration.ZERO, 8 << 10, 64);
        }

        @Override
        public String toString() {
            return syncEveryBytes == 0 ? "syncEveryBytes=0, explicit syncs" : "syncEveryBytes=" + syncEveryBytes;
        }
    }

    static Stream<Config> configurations() {
        return Stream.of(new Config(0), new Config(4 << 10));
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
    }

    /** What the log must and may hold after a crash, as far as the workload got. */
    static final class Model extends CrashImages.Model<Model> {
        /** The records appended since the last reset that returned, in order, with an append that had not returned. */
        final List<Rec> log = new ArrayList<>();
        /** The first {@code durable} records of {@link #log} were acknowledged durable. */
        int durable;
        /** A reset had not returned: the log may be empty, or hold what it held before. */
        boolean resetting;
        /** Record bytes appended since the port's last fdatasync (open, sync, reset, close, threshold). */
        long unsyncedBytes;

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
            Random r = new Random(seed);
            Path file = dir.resolve(FILE);
            log = null;
            log = WriteAheadLog.open(file, config.policy(), disk);
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
            m.trace("close", disk);
            close(m);
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
         * nothing a returned reset removed; a reset that had not returned may have emptied the
         * log, or not. The second recovery gives the same records; lastLsn() is the last
         * record's and the next append follows it.
         */
        @Override
        public String check(Path dir, Model m, Loss loss, Consumer<String> note) {
            Path file = dir.resolve(FILE);
            try {
                List<Rec> first = recover(file);
                for (int i = 0; i < first.size(); i++) {
                    if (i >= m.log.size() || !first.get(i).equals(m.log.get(i))) {
                        return "record " + (i + 1) + " is " + first.get(i) + ", not " + (i < m.log.size()
                                ? "the one appended there: " + m.log.get(i) : "one appended since the last reset");
                    }
                }
                int n = first.size();
                if (n < m.durable && !(m.resetting && n == 0)) {
                    return n + " records recovered, " + m.durable + " were acknowledged durable";
                }
                List<Rec> second = recover(file);
                if (!second.equals(first)) {
                    return "a second recovery gives another log: " + second + " against " + first;
                }
                long last = n == 0 ? 0 : first.getLast().lsn;
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
}

package org.wal4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.wal4j.io.SimulatedDisk.Loss;

/**
 * The loops of a crash-point exploration, for any log with a model of what it must and may
 * hold: run a seeded workload on a {@link SimulatedDisk} that loses power at each call in turn
 * ({@link #everyCrashPoint}), or image one long run at random calls while it goes on
 * ({@link #randomCrashPoints}), or fail each sync in turn ({@link #failEachSync}, and with a
 * reopen in the same boot after it, {@link #failEachSyncThenReopen}), or crash the recovery of
 * a crashed run's image at each of its calls ({@link #crashDuringRecovery}); image what the
 * disk could hold and let the {@link Workload} recover and check each image.
 */
public final class CrashImages {

    private CrashImages() {}

    /**
     * The backend under the simulated disks: the real one with its syncs skipped. The images
     * are made of what the simulated disk recorded, so a real fdatasync would only cost time
     * (most of it, measured).
     */
    private static final IoBackend REAL_DISK_WITHOUT_SYNCS = new IoBackend() {
        private final IoBackend real = IoBackend.select();

        @Override
        public String name() {
            return real.name();
        }

        @Override
        public IoFile open(Path path, OpenFlag... flags) throws IOException {
            return new ForwardingIoFile(real.open(path, flags)) {
                @Override
                public void datasync() {
                    // skipped, see REAL_DISK_WITHOUT_SYNCS
                }

                @Override
                public void sync() {
                    // skipped, see REAL_DISK_WITHOUT_SYNCS
                }
            };
        }

        @Override
        public void syncDirectory(Path dir) {
            // skipped, see REAL_DISK_WITHOUT_SYNCS
        }

        @Override
        public boolean supportsAllocate() {
            return real.supportsAllocate();
        }
    };

    /**
     * What a log must and may hold after a crash, as far as a workload got, and the operations
     * it saw. Mutated only in synchronized methods: a snapshot's copy is taken inside an I/O
     * call of the running workload.
     */
    public abstract static class Model<M extends Model<M>> {
        private final List<String> trace = new ArrayList<>();

        /** Records that {@code op} starts, with the disk's call count. */
        public final void trace(String op, SimulatedDisk disk) {
            String entry = op + "@" + disk.calls(); // not under this lock: a snapshot takes the disk's lock, then this one
            synchronized (this) {
                trace.add(entry);
            }
        }

        /** The operations seen, each with the call count at its start. */
        public final synchronized List<String> trace() {
            return List.copyOf(trace);
        }

        /** A copy of this model as it is now. */
        public final synchronized M copy() {
            M c = copyState();
            Model<M> copied = c;
            copied.trace.addAll(trace);
            return c;
        }

        /** A copy of the subclass's state; this model's lock is held. */
        protected abstract M copyState();
    }

    /** An operation a failed log must refuse. */
    @FunctionalInterface
    public interface Probe {
        void run() throws Exception;
    }

    /**
     * A single-threaded seeded workload against one log {@code L}, with its model {@code M}. It
     * keeps the log it has open in {@link #log}, so that a run that ended with an exception
     * can be probed ({@link #failStop}) and closed ({@link #abandon}).
     */
    public abstract static class Workload<M extends Model<M>, L extends AutoCloseable> {
        /**
         * The log the run has open; null while it opens or closes one (a failed close leaves
         * nothing to probe, and a second close would return at once).
         */
        protected L log;
        private final Supplier<M> newModel;

        /** {@code newModel}: the model of a log nothing has been done to. */
        protected Workload(Supplier<M> newModel) {
            this.newModel = newModel;
        }

        final M newModel() {
            return newModel.get();
        }

        /**
         * Runs {@code ops} operations of {@code seed}'s workload on a log in {@code dir} over
         * {@code disk}, updating {@code model} as each operation starts and returns; closes
         * the log at the end. An exception from the disk ends it, the log left open.
         */
        public abstract void run(Path dir, SimulatedDisk disk, long seed, int ops, M model) throws Exception;

        /**
         * Recovers the image {@code dir} (the crashed run's directory) with the real backend
         * and checks it against {@code model}: what is wrong, or null. A tolerated finding
         * (a documented limitation) is passed to {@code note}, which counts it by its text.
         */
        public abstract String check(Path dir, M model, Loss loss, Consumer<String> note);

        /** The operations each of which a log that failed a sync must refuse, by name, in order. */
        protected abstract Map<String, Probe> probesAfterFailure(L failed);

        /** What a failed log throws from each probe. */
        protected Class<? extends IOException> failedLogException() {
            return IOException.class;
        }

        /**
         * For {@link #failEachSyncThenReopen}: after a run ended with a failed sync and the
         * failed log was closed, reopens the log in {@code dir} on the same {@code disk} (no
         * power loss: what a process does when it restarts in the same boot), checks what it
         * holds against {@code model} and makes {@code model} that, then runs {@code ops}
         * more operations of {@code seed}'s workload, updating {@code model}, and leaves the
         * log open in {@link #log} (the power goes next). Returns what is wrong with what the
         * reopened log held, or null.
         *
         * @throws UnsupportedOperationException if the workload does not support it (the default)
         */
        public String reopenAfterFailedSync(Path dir, SimulatedDisk disk, long seed, int ops, M model) throws Exception {
            throw new UnsupportedOperationException("reopenAfterFailedSync is not implemented by " + getClass().getName());
        }

        /**
         * For {@link #crashDuringRecovery}: opens the log in {@code dir} on {@code disk} (its
         * recovery), appends one probe record, and closes it. A log that the open refuses
         * without modifying it (a documented outcome the check tolerates) ends it quietly.
         *
         * @throws UnsupportedOperationException if the workload does not support it (the default)
         */
        public void recoverAndAppendProbe(Path dir, SimulatedDisk disk) throws Exception {
            throw new UnsupportedOperationException("recoverAndAppendProbe is not implemented by " + getClass().getName());
        }

        /** Makes {@code model} accept the record {@link #recoverAndAppendProbe} appends, after the records it holds. */
        protected void allowProbe(M model) {
            throw new UnsupportedOperationException("allowProbe is not implemented by " + getClass().getName());
        }

        /** Closes {@link #log}. */
        protected final void closeLog() throws Exception {
            L closing = log;
            log = null;
            closing.close();
        }

        /** Closes the log a run left open, ignoring what that throws (the disk is revived). */
        final void abandon() {
            if (log != null) {
                try {
                    log.close();
                } catch (Exception | Error ignored) {
                    // the crashed log only needs its descriptor and memory released
                }
            }
        }

        /**
         * After a run ended with the IOException of a failed sync: what is wrong if the log
         * does not fail-stop (a probe returns, or throws something else than
         * {@link #failedLogException}), or null; then closes it.
         */
        final String failStop() {
            if (log == null) {
                return null; // open or close failed: there is no log to go on with
            }
            try {
                for (Map.Entry<String, Probe> p : probesAfterFailure(log).entrySet()) {
                    try {
                        p.getValue().run();
                        return p.getKey() + " returned after a failed sync";
                    } catch (Exception e) {
                        if (!failedLogException().isInstance(e)) {
                            return p.getKey() + " after a failed sync threw " + e;
                        }
                    }
                }
                return null;
            } finally {
                abandon();
            }
        }
    }

    /**
     * Seeds of the exhaustive explorations (every crash point of a short workload, every call
     * of its recovery, every failed sync), the journal's and the ports': {@code -Dwal4j.crash.seeds}
     * (default 14: with the other defaults, over 100 000 crash points in make test's two runs).
     */
    public static final int SEEDS = Integer.getInteger("wal4j.crash.seeds", 14);
    /** Calls {@link #randomCrashPoints} images: {@code -Dwal4j.crash.randomPoints} (default 200). */
    public static final int RANDOM_POINTS = Integer.getInteger("wal4j.crash.randomPoints", 200);
    /** Operations of {@link #randomCrashPoints}' run: {@code -Dwal4j.crash.longOps} (default 400, as the Journal's). */
    public static final int LONG_OPS = Integer.getInteger("wal4j.crash.longOps", 400);
    /** The seed of {@link #randomCrashPoints}' run: {@code -Dwal4j.crash.longSeed} (default 11). */
    public static final long LONG_SEED = Long.getLong("wal4j.crash.longSeed", 11);
    private static final long FSYNCGATE_SEED = 7;

    /** What an exploration did and found. */
    public static final class Report {
        private long points;
        private long images;
        private long calls;
        private final Map<String, Long> notes = new TreeMap<>();
        private final List<String> violations = Collections.synchronizedList(new ArrayList<>());
        /** The printed line, given the log and its configuration. */
        private final Function<String, String> line;

        private Report(String format, Function<Report, Object[]> counts) {
            this.line = subject -> String.format(format, Stream.concat(Stream.of(subject), Arrays.stream(counts.apply(this)))
                    .toArray());
        }

        private Consumer<String> noter() {
            return n -> notes.merge(n, 1L, Long::sum);
        }

        private void violation(String where, Loss loss, boolean keepNames, String wrong, List<String> trace) {
            violations.add(where + (loss == null ? "" : " loss=" + loss + " keepNames=" + keepNames) + ": " + wrong
                    + " after ops " + trace);
        }

        /** The tolerated findings, {@code "; tolerated, as docs/format.md documents: 3 <note>; ..."}, or "". */
        private String tolerated() {
            if (notes.isEmpty()) {
                return "";
            }
            StringBuilder b = new StringBuilder("; tolerated, as docs/format.md documents:");
            notes.forEach((n, count) -> b.append(' ').append(count).append(' ').append(n).append(';'));
            return b.substring(0, b.length() - 1);
        }

        /**
         * Prints what was explored for {@code subject} (the log and its configuration) and how
         * many violations were found, then the first 20 of them, and asserts there are none.
         */
        public void printAndAssertNone(String subject) {
            String printed = line.apply(subject);
            System.out.println(printed + tolerated());
            CrashTally.add(printed.substring(0, printed.indexOf(':')), points, images, violations.size());
            List<String> first = violations.stream().limit(20).toList();
            first.forEach(System.out::println);
            assertEquals(List.of(), first);
        }
    }

    /**
     * Every crash point of {@link #SEEDS} seeds' workloads of {@code ops} operations: for each
     * call 1..calls+1 of a run, a fresh run that loses power there, imaged with every
     * {@link Loss} and with unsynced names lost and kept; each image checked.
     */
    public static <M extends Model<M>> Report everyCrashPoint(Path tmp, Workload<M, ?> w, int ops) throws Exception {
        Report report = new Report("crash-point exploration (%s, %d seeds): %d crash points, %d images recovered, %d violations",
                r -> new Object[] {SEEDS, r.points, r.images, r.violations.size()});
        long allCalls = 0;
        for (long seed = 1; seed <= SEEDS; seed++) {
            long calls = countCalls(tmp.resolve("full-" + seed), w, seed, ops);
            // one seed's workload may make few calls (no syncs and a large buffer); the seeds together must make many
            assertTrue(calls > 0, "the workload of seed " + seed + " makes I/O calls: " + calls);
            allCalls += calls;
            for (long at = 1; at <= calls + 1; at++) {
                Path dir = Files.createDirectories(tmp.resolve("run-" + seed + "-" + at));
                SimulatedDisk disk = SimulatedDisk.over(REAL_DISK_WITHOUT_SYNCS, dir).crashAt(at);
                M model = runUntilPowerLoss(dir, disk, w, seed, ops);
                report.points++;
                for (Loss loss : Loss.values()) {
                    for (boolean keepNames : new boolean[] {false, true}) {
                        Path image = tmp.resolve("image-" + seed + "-" + at + "-" + loss + "-" + keepNames);
                        disk.image(image, loss, keepNames, seed * 1_000_003 + at);
                        report.images++;
                        String wrong = w.check(image.resolve(dir.getFileName().toString()), model, loss, report.noter());
                        if (wrong != null) {
                            report.violation("seed=" + seed + " crashAt=" + at, loss, keepNames, wrong, model.trace());
                        }
                        deleteTree(image);
                    }
                }
                deleteTree(dir);
            }
        }
        assertTrue(allCalls > 10L * SEEDS, "the workloads make I/O calls: " + allCalls + " in " + SEEDS + " seeds");
        return report;
    }

    /**
     * One run of {@code ops} operations (seed {@link #LONG_SEED}) on a disk that, before each
     * of {@link #RANDOM_POINTS} calls drawn at random from the run's calls, images what a power
     * loss there would leave ({@link SimulatedDisk#snapshotAt}) with a random {@link Loss},
     * unsynced names lost and kept, and checks both images against a copy of the model taken
     * then. Asserts that every drawn point the run reached was explored.
     */
    public static <M extends Model<M>> Report randomCrashPoints(Path tmp, Workload<M, ?> w, int ops) throws Exception {
        long seed = LONG_SEED;
        long calls = countCalls(tmp.resolve("full"), w, seed, ops);
        Report report = new Report("random crash points of a long workload (%s, %d operations, seed %d): %d of %d calls"
                + " explored, %d images recovered, %d violations",
                r -> new Object[] {ops, seed, r.points, calls, r.images, r.violations.size()});
        NavigableSet<Long> points = randomPoints(seed, calls, RANDOM_POINTS);
        Path dir = Files.createDirectories(tmp.resolve("long"));
        M model = w.newModel();
        SimulatedDisk disk = SimulatedDisk.over(REAL_DISK_WITHOUT_SYNCS, dir).snapshotAt(points::contains, snap -> {
            M then = model.copy();
            report.points++;
            report.images += imageBothWays(tmp, snap, dir, new Random(seed * 1_000_003 + snap.call()),
                    (image, loss) -> w.check(image, then, loss, report.noter()),
                    wrong -> report.violations.add("seed=" + seed + " point=" + snap.call() + " " + wrong + " after ops " + then.trace()));
        });
        w.run(dir, disk, seed, ops, model);
        assertEveryReachablePointExplored(report.points, points, disk.calls(), calls);
        return report;
    }

    /**
     * The points are drawn from the calls of a first run, but concurrent appenders make a run's
     * call count vary (group commit joins more or fewer appends per round), so a drawn point can
     * lie past the end of the explored run: every point the run reached must have been
     * explored, and at least half the drawn ones must have been reachable.
     */
    public static void assertEveryReachablePointExplored(long explored, NavigableSet<Long> points, long callsMade,
                                                         long callsCounted) {
        int reachable = points.headSet(callsMade, true).size();
        assertTrue(explored == reachable && reachable >= points.size() / 2, "crash points explored: " + explored + ", of "
                + points.size() + " drawn from the " + callsCounted + " calls of the counting run " + reachable
                + " were at or below the " + callsMade + " calls this run made");
    }

    /**
     * The calls a random exploration images: {@code wanted} drawn from 1..{@code calls} by
     * {@code seed} (all of them if there are fewer), or the ones {@code -Dwal4j.crash.onlyPoints}
     * lists ({@code "94,167"}: reproduces reported points).
     */
    public static NavigableSet<Long> randomPoints(long seed, long calls, int wanted) {
        NavigableSet<Long> points = new TreeSet<>();
        String only = System.getProperty("wal4j.crash.onlyPoints", "");
        if (!only.isBlank()) {
            Arrays.stream(only.split(",")).map(String::strip).map(Long::valueOf).forEach(points::add);
            return points;
        }
        Random pick = new Random(seed);
        while (points.size() < Math.min(wanted, calls)) {
            points.add(1 + (long) (pick.nextDouble() * calls));
        }
        return points;
    }

    /** How one image is checked: what is wrong, or null. */
    @FunctionalInterface
    public interface ImageCheck {
        String check(Path recovered, Loss loss) throws Exception;
    }

    /**
     * Images {@code snap} three times, unsynced names lost, kept, and each kept or lost on its
     * own ({@link SimulatedDisk.Names}), each with a {@link Loss}
     * drawn by {@code r}; checks the simulated directory {@code dir} in each image, then
     * deletes it. What is wrong goes to {@code wrong}, prefixed with the loss and names.
     * Returns the images made.
     */
    public static int imageBothWays(Path tmp, SimulatedDisk.Snapshot snap, Path dir, Random r, ImageCheck check,
            Consumer<String> wrong) {
        int images = 0;
        for (SimulatedDisk.Names names : SimulatedDisk.Names.values()) {
            Loss loss = Loss.values()[r.nextInt(Loss.values().length)];
            Path image = tmp.resolve("image-" + snap.call() + "-" + names);
            try {
                snap.image(image, loss, names, r.nextLong());
                images++;
                String problem = check.check(image.resolve(dir.getFileName().toString()), loss);
                if (problem != null) {
                    wrong.accept("loss=" + loss + " names=" + names + ": " + problem);
                }
                deleteTree(image);
            } catch (Exception e) {
                wrong.accept("loss=" + loss + " names=" + names + ": imaging or checking failed: " + e);
            }
        }
        return images;
    }

    /**
     * fsyncgate: for each call of a run of {@code ops} operations, a fresh run whose call of
     * that number, if it is a sync, fails with EIO and drops the writes it covered (later
     * syncs would succeed). The log must fail-stop ({@link Workload#failStop}), and the image
     * of what is durable ({@link Loss#UNSYNCED}, after the power goes) must hold every record
     * it acknowledged. Asserts that more than 3 syncs were failed.
     */
    public static <M extends Model<M>> Report failEachSync(Path tmp, Workload<M, ?> w, int ops) throws Exception {
        long calls = countCalls(tmp.resolve("full"), w, FSYNCGATE_SEED, ops);
        Report report = new Report("fsyncgate (%s): %d calls, %d failed syncs, %d violations",
                r -> new Object[] {calls, r.points, r.violations.size()});
        for (long at = 1; at <= calls; at++) {
            Path dir = Files.createDirectories(tmp.resolve("run-" + at));
            SimulatedDisk disk = SimulatedDisk.over(REAL_DISK_WITHOUT_SYNCS, dir).failSyncAt(at);
            M model = w.newModel();
            boolean failed = false;
            try {
                w.run(dir, disk, FSYNCGATE_SEED, ops, model);
            } catch (IOException e) {
                failed = true;
                String wrong = w.failStop();
                if (wrong != null) {
                    report.violation("failSyncAt=" + at, null, false, wrong, model.trace());
                }
            }
            disk.powerOff();
            if (failed) {
                report.points++;
                Path image = tmp.resolve("image-" + at);
                disk.image(image, Loss.UNSYNCED, false, at);
                report.images++;
                String wrong = w.check(image.resolve(dir.getFileName().toString()), model, Loss.UNSYNCED, report.noter());
                if (wrong != null) {
                    report.violation("failSyncAt=" + at, Loss.UNSYNCED, false, wrong, model.trace());
                }
                deleteTree(image);
            }
            deleteTree(dir);
        }
        assertTrue(report.points > 3, "syncs were failed: " + report.points);
        return report;
    }

    /**
     * fsyncgate, then a reopen in the same boot: for each call of a run of {@code ops}
     * operations, a fresh run whose call of that number, if it is a sync, fails with EIO and
     * drops the writes it covered, while buffered reads still return them (the kernel keeps the
     * pages, marked clean). The log must fail-stop; then it is closed, reopened on the same disk
     * without a power loss ({@link Workload#reopenAfterFailedSync}), and {@code moreOps}
     * operations run; then the power goes. Every image ({@link Loss} each way, unsynced names
     * lost and kept) must hold every record acknowledged, before the failed sync and after the
     * reopen, where it was acknowledged. Asserts that more than 3 syncs were failed.
     */
    public static <M extends Model<M>> Report failEachSyncThenReopen(Path tmp, Workload<M, ?> w, int ops, int moreOps)
            throws Exception {
        long calls = countCalls(tmp.resolve("full"), w, FSYNCGATE_SEED, ops);
        Report report = new Report("fsyncgate, then a reopen in the same boot (%s): %d calls, %d failed syncs, %d images"
                + " recovered, %d violations", r -> new Object[] {calls, r.points, r.images, r.violations.size()});
        for (long at = 1; at <= calls; at++) {
            Path dir = Files.createDirectories(tmp.resolve("run-" + at));
            SimulatedDisk disk = SimulatedDisk.over(REAL_DISK_WITHOUT_SYNCS, dir).failSyncAt(at);
            M model = w.newModel();
            try {
                w.run(dir, disk, FSYNCGATE_SEED, ops, model);
            } catch (IOException e) {
                report.points++;
                String wrong = w.failStop();
                if (wrong == null) {
                    try {
                        wrong = w.reopenAfterFailedSync(dir, disk, FSYNCGATE_SEED * 1_000_003 + at, moreOps, model);
                        wrong = wrong == null ? null : "the reopen after the failed sync: " + wrong;
                    } catch (IOException | RuntimeException reopen) {
                        wrong = "the reopen after the failed sync, or what followed, failed: " + reopen;
                    }
                }
                if (wrong != null) {
                    report.violation("failSyncAt=" + at, null, false, wrong, model.trace());
                }
                disk.powerOff();
                disk.revive();
                w.abandon();
                for (Loss loss : Loss.values()) {
                    for (boolean keepNames : new boolean[] {false, true}) {
                        Path image = tmp.resolve("image-" + at + "-" + loss + "-" + keepNames);
                        disk.image(image, loss, keepNames, at * 31 + loss.ordinal());
                        report.images++;
                        String bad = w.check(image.resolve(dir.getFileName().toString()), model, loss, report.noter());
                        if (bad != null) {
                            report.violation("failSyncAt=" + at, loss, keepNames, bad, model.trace());
                        }
                        deleteTree(image);
                    }
                }
            }
            deleteTree(dir);
        }
        assertTrue(report.points > 3, "syncs were failed: " + report.points);
        return report;
    }

    /**
     * A crash during recovery: for every crash point of {@code seed}'s run of {@code ops}
     * operations, the harshest image ({@link Loss#SECTORS}, unsynced names lost) is recovered
     * on a simulated disk that loses power at each of the recovery's own I/O calls in turn
     * ({@link Workload#recoverAndAppendProbe}: the open, what it cuts or rewrites, the first
     * append and the close); each image of that ({@link Loss#UNSYNCED} and {@link Loss#SECTORS},
     * unsynced names lost) is recovered again and checked against the crashed run's model as a
     * {@link Loss#SECTORS} image, with the probe allowed after its records. Asserts that
     * recovery made I/O calls to crash at.
     */
    public static <M extends Model<M>> Report crashDuringRecovery(Path tmp, Workload<M, ?> w, int ops, long seed)
            throws Exception {
        long calls = countCalls(tmp.resolve("full"), w, seed, ops);
        Report report = new Report("crash during recovery (%s, seed %d): %d workload crash points, %d recovery crash points,"
                + " %d images recovered, %d violations",
                r -> new Object[] {seed, calls + 1, r.points, r.images, r.violations.size()});
        for (long at = 1; at <= calls + 1; at++) {
            Path dir = Files.createDirectories(tmp.resolve("run-" + at));
            SimulatedDisk disk = SimulatedDisk.over(REAL_DISK_WITHOUT_SYNCS, dir).crashAt(at);
            M model = runUntilPowerLoss(dir, disk, w, seed, ops);
            w.allowProbe(model);
            Path image = tmp.resolve("image-" + at);
            disk.image(image, Loss.SECTORS, false, seed * 1_000_003 + at);
            Path crashed = image.resolve(dir.getFileName().toString());
            for (long k = 1; ; k++) {
                Path copy = tmp.resolve("recovering-" + at + "-" + k);
                copyTree(crashed, copy);
                SimulatedDisk again = SimulatedDisk.over(REAL_DISK_WITHOUT_SYNCS, copy).crashAt(k);
                boolean finished = false;
                try {
                    w.recoverAndAppendProbe(copy, again);
                    finished = true;
                } catch (SimulatedDisk.PowerLoss expected) {
                    again.revive();
                    w.abandon();
                } catch (IOException e) {
                    again.revive();
                    w.abandon();
                    if (!again.crashed()) {
                        report.violation("crashAt=" + at + " (recovery not crashed)", null, false, "recovery failed: " + e,
                                model.trace());
                        finished = true;
                    }
                }
                if (finished) {
                    deleteTree(copy);
                    break;
                }
                report.points++;
                for (Loss loss : new Loss[] {Loss.UNSYNCED, Loss.SECTORS}) {
                    Path second = tmp.resolve("second-" + at + "-" + k + "-" + loss);
                    again.image(second, loss, false, k * 31 + loss.ordinal());
                    report.images++;
                    // checked as a SECTORS image whatever the second loss: the first crash tore sectors
                    String wrong = w.check(second.resolve(copy.getFileName().toString()), model, Loss.SECTORS, report.noter());
                    if (wrong != null) {
                        report.violation("crashAt=" + at + " recoveryCrashAt=" + k, loss, false, wrong, model.trace());
                    }
                    deleteTree(second);
                }
                deleteTree(copy);
            }
            deleteTree(image);
            deleteTree(dir);
        }
        assertTrue(report.points > calls, "recovery made I/O calls to crash at: " + report.points);
        return report;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> s = Files.list(from)) {
            for (Path p : s.toList()) {
                Files.copy(p, to.resolve(p.getFileName()));
            }
        }
    }

    /** Runs the whole workload once on a simulated disk; returns its I/O calls. */
    private static <M extends Model<M>> long countCalls(Path dir, Workload<M, ?> w, long seed, int ops) throws Exception {
        Files.createDirectories(dir);
        SimulatedDisk counting = SimulatedDisk.over(REAL_DISK_WITHOUT_SYNCS, dir);
        w.run(dir, counting, seed, ops, w.newModel());
        deleteTree(dir);
        return counting.calls();
    }

    /** Runs the workload until the disk loses power (or to its end, then cuts the power); returns its model. */
    private static <M extends Model<M>> M runUntilPowerLoss(Path dir, SimulatedDisk disk, Workload<M, ?> w, long seed,
            int ops) throws Exception {
        M model = w.newModel();
        try {
            w.run(dir, disk, seed, ops, model);
            disk.powerOff();
        } catch (SimulatedDisk.PowerLoss expected) {
            disk.revive();
            w.abandon();
        } catch (IOException e) {
            if (!disk.crashed()) {
                throw e;
            }
            disk.revive(); // the port wrapped the power loss
            w.abandon();
        }
        return model;
    }

    /** Deletes {@code p} and everything below it, if it exists. */
    public static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(q);
            }
        }
    }
}

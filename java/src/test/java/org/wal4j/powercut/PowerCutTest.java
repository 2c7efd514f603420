package org.wal4j.powercut;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.wal4j.Journal;
import org.wal4j.JournalOptions;
import org.wal4j.SyncMode;
import org.wal4j.io.FsShutdown;
import org.wal4j.io.ScratchMount;

/**
 * Power cuts on real filesystems. Per filesystem (ext4, XFS) an image file is formatted and
 * loop-mounted; a writer JVM appends to a journal on it and reports every acknowledgement on
 * stdout; at a random moment this JVM cuts the power with the filesystem shutdown ioctl
 * ({@link FsShutdown}: nothing not on the device gets there any more), kills the writer,
 * unmounts, mounts again (the filesystem replays its log) and opens the journal with
 * RecoveryMode.FAIL: every record acknowledged durable must be there, byte for byte. The same
 * image carries on through all the cuts of a workload: each writer appends to what the last
 * recovery left. See docs/power-cut-tests.md.
 */
class PowerCutTest {
    /** Cuts per filesystem and workload: {@code -Dwal4j.powercut.cuts}. */
    static final int CUTS = Integer.getInteger("wal4j.powercut.cuts", 25);
    private static final long SEED = Long.getLong("wal4j.powercut.seed", 1);

    @TempDir
    static Path tmp;

    /** What the writer does. Truncations and resets only with one thread, whose order is then the acknowledgements' order. */
    enum Workload {
        ALWAYS_1_BUFFERED(SyncMode.ALWAYS, 1, false),
        ALWAYS_1_DIRECT(SyncMode.ALWAYS, 1, true),
        ALWAYS_8_BUFFERED(SyncMode.ALWAYS, 8, false),
        ALWAYS_8_DIRECT(SyncMode.ALWAYS, 8, true),
        INTERVAL_1_DIRECT(SyncMode.INTERVAL, 1, true);

        final SyncMode mode;
        final int threads;
        final boolean direct;

        Workload(SyncMode mode, int threads, boolean direct) {
            this.mode = mode;
            this.threads = threads;
            this.direct = direct;
        }

        JournalOptions options() {
            // small segments: rollovers; direct ones preallocated, so truncateFront recycles them
            return JournalOptions.builder().segmentBytes(256 << 10).maxValueBytes(8192).syncMode(mode).direct(direct)
                    .preallocate(direct).build();
        }
    }

    /**
     * A configuration that loses acknowledged records today: make test leaves it out, loudly,
     * and {@code make powercut-test} (which sets {@code -Dwal4j.powercut.open=}) runs it. See
     * docs/power-cut-tests.md, "Open: ext4, buffered ALWAYS".
     */
    private static final String OPEN_BUG = System.getProperty("wal4j.powercut.open",
            "ext4:ALWAYS_1_BUFFERED,ext4:ALWAYS_8_BUFFERED");

    /** Every filesystem and workload, or only those {@code -Dwal4j.powercut.only=ext4:ALWAYS_1_BUFFERED,...} names. */
    static List<Arguments> configurations() {
        String only = System.getProperty("wal4j.powercut.only", "");
        List<Arguments> all = new ArrayList<>();
        for (String fs : List.of("ext4", "xfs")) {
            for (Workload w : Workload.values()) {
                String name = fs + ":" + w;
                if (!only.isEmpty() && !Arrays.asList(only.split(",")).contains(name)) {
                    continue;
                }
                if (only.isEmpty() && Arrays.asList(OPEN_BUG.split(",")).contains(name)) {
                    System.out.println("POWER CUT CONFIGURATION NOT RUN: " + name + " loses the last acknowledged round's records"
                            + " in about 1 cut of 20 (an open bug, docs/power-cut-tests.md); make powercut-test runs it");
                    continue;
                }
                all.add(Arguments.of(fs, w));
            }
        }
        return all;
    }

    @BeforeAll
    static void canMount() throws IOException {
        List<String> missing = new ArrayList<>();
        if (!"root".equals(System.getProperty("user.name"))) {
            missing.add("root (mount needs CAP_SYS_ADMIN; user is " + System.getProperty("user.name") + ")");
        }
        for (String tool : List.of("mkfs.ext4", "mkfs.xfs", "mount", "umount", "losetup")) {
            if (Arrays.stream(System.getenv("PATH").split(":")).noneMatch(d -> Files.isExecutable(Path.of(d, tool)))
                    && !Files.isExecutable(Path.of("/usr/sbin", tool)) && !Files.isExecutable(Path.of("/sbin", tool))) {
                missing.add(tool + " (xfsprogs / e2fsprogs / mount)");
            }
        }
        // the JavaIo run (native access denied) cannot make the downcall: the posix run covers the machine
        Assumptions.assumeTrue(Journal.class.getModule().isNativeAccessEnabled(),
                "power cuts run with native access only (the shutdown ioctl is an FFM downcall)");
        if (!missing.isEmpty()) {
            String why = "POWER CUT TESTS NOT RUN: missing " + String.join(", ", missing);
            System.out.println(why);
            if ("true".equals(System.getenv("CI"))) {
                fail(why);
            }
            Assumptions.abort(why);
        }
    }

    /** The writer: {@code <dir> <workload> <run>}; prints A/F/B/R lines (see {@link Expected#apply}). */
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Workload w = Workload.valueOf(args[1]);
        long run = Long.parseLong(args[2]);
        Object out = new Object();
        try (Journal j = Journal.open(dir, w.options())) {
            System.out.println("O " + j.firstLsn() + " " + j.lastLsn());
            System.out.flush();
            List<Thread> threads = new ArrayList<>();
            AtomicBoolean stop = new AtomicBoolean();
            for (int t = 0; t < w.threads; t++) {
                int thread = t;
                threads.add(Thread.ofPlatform().start(() -> {
                    Random r = new Random(run * 31 + thread);
                    try {
                        for (long n = 0; !stop.get(); n++) {
                            if (w.threads == 1 && r.nextInt(60) == 0 && j.lastLsn() - j.firstLsn() > 10) {
                                long k = j.lastLsn() - 1 - r.nextInt(5);
                                synchronized (out) {
                                    System.out.println("? B " + k); // from here until "B k", records above k may be gone
                                }
                                j.truncateBack(k);
                                synchronized (out) {
                                    System.out.println("B " + k);
                                }
                            } else if (w.threads == 1 && r.nextInt(80) == 0) {
                                long from = j.lastLsn() - 40;
                                synchronized (out) {
                                    System.out.println("? F " + from);
                                }
                                j.truncateFront(from);
                                synchronized (out) {
                                    System.out.println("F " + from);
                                }
                            } else if (w.threads == 1 && r.nextInt(400) == 0) {
                                synchronized (out) {
                                    System.out.println("? R");
                                }
                                j.reset();
                                synchronized (out) {
                                    System.out.println("R");
                                }
                            }
                            if (w.mode == SyncMode.INTERVAL) {
                                long[] lsns = new long[1 + r.nextInt(4)];
                                for (int i = 0; i < lsns.length; i++) {
                                    lsns[i] = j.append(value(run, thread, n * 8 + i));
                                }
                                j.sync(); // acknowledged once sync returns
                                synchronized (out) {
                                    for (int i = 0; i < lsns.length; i++) {
                                        System.out.println("A " + lsns[i] + " " + run + " " + thread + " " + (n * 8 + i));
                                    }
                                }
                            } else {
                                long lsn = j.append(value(run, thread, n));
                                synchronized (out) {
                                    System.out.println("A " + lsn + " " + run + " " + thread + " " + n);
                                }
                            }
                        }
                    } catch (IOException | RuntimeException e) {
                        stop.set(true); // the power went: every write fails from now on
                        synchronized (out) {
                            System.out.println("E " + e);
                        }
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
        } catch (IOException | RuntimeException e) {
            System.out.println("E close " + e);
        }
        System.out.flush();
        Thread.sleep(60_000); // the parent kills us
    }

    /** Deterministic bytes of the {@code n}-th value of {@code thread} in writer run {@code run}, 40 to ~3000 bytes. */
    static byte[] value(long run, int thread, long n) {
        Random r = new Random(run * 1_000_003 + thread * 7919L + n);
        byte[] b = new byte[24 + r.nextInt(3000)];
        r.nextBytes(b);
        ByteBuffer.wrap(b).putLong(run).putLong(thread).putLong(n);
        return b;
    }

    /** What must be in the journal: acknowledged records by LSN, as (run, thread, n). */
    static final class Expected {
        final TreeMap<Long, long[]> acked = new TreeMap<>();
        long acks;
        /** A truncation or reset the writer started and did not see return: "B k", "F k" or "R". */
        String unfinished;
        final List<String> recent = new ArrayList<>();

        /** Whether {@code lsn} may be missing: the unfinished truncation or reset may have removed it. */
        boolean mayBeGone(long lsn) {
            if (unfinished == null) {
                return false;
            }
            String[] f = unfinished.split(" ");
            return switch (f[0]) {
                case "B" -> lsn > Long.parseLong(f[1]);
                case "F" -> lsn < Long.parseLong(f[1]);
                default -> true;
            };
        }

        /** A: an acknowledged record; B k: truncateBack(k) returned; F k: truncateFront(k) returned; R: reset returned. */
        void apply(String line) {
            String[] f = line.split(" ");
            if (!f[0].equals("A")) {
                recent.add(line);
                if (recent.size() > 12) {
                    recent.removeFirst();
                }
            }
            if (f[0].equals("?")) {
                unfinished = line.substring(2);
                return;
            }
            if (!f[0].equals("A")) {
                unfinished = null;
            }
            switch (f[0]) {
                case "A" -> {
                    acked.put(Long.parseLong(f[1]), new long[] {Long.parseLong(f[2]), Long.parseLong(f[3]), Long.parseLong(f[4])});
                    acks++;
                }
                case "B" -> acked.tailMap(Long.parseLong(f[1]), false).clear();
                case "F" -> acked.headMap(Long.parseLong(f[1]), false).clear(); // may be gone
                case "R" -> acked.clear();
                default -> { }
            }
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("configurations")
    void everyAcknowledgedRecordSurvivesPowerCuts(String fs, Workload w) throws Exception {
        Path image = tmp.resolve(fs + "-" + w + ".img");
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
            f.setLength(512L << 20); // sparse; XFS wants 300 MiB at least
        }
        ScratchMount.runOrThrow(fs.equals("xfs") ? List.of("mkfs.xfs", "-q", "-f", image.toString())
                : List.of("mkfs.ext4", "-q", "-F", image.toString()));
        Path mnt = Files.createDirectories(tmp.resolve("mnt-" + fs + "-" + w));
        Path dir = mnt.resolve("journal");
        Expected expected = new Expected();
        Random random = new Random(SEED * 1_000_003 + fs.hashCode() * 31L + w.ordinal());
        List<String> lost = new ArrayList<>();
        long checked = 0;
        long tornTails = 0;
        long started = System.nanoTime();
        try {
            for (int cut = 1; cut <= CUTS; cut++) {
                try (ScratchMount m = ScratchMount.mountImage(image, mnt, fs)) {
                    runUntilCut(dir, mnt, w, cut, 20 + random.nextInt(300), expected);
                }
                try (ScratchMount m = ScratchMount.mountImage(image, mnt, fs);
                     Journal j = Journal.open(dir, w.options())) { // RecoveryMode.FAIL: a torn tail must not be corruption
                    int lostBefore = lost.size();
                    if (j.recoveryReport().droppedTailBytes() > 0) {
                        tornTails++;
                    }
                    for (Map.Entry<Long, long[]> e : expected.acked.entrySet()) {
                        long[] v = e.getValue();
                        byte[] want = value(v[0], (int) v[1], v[2]);
                        checked++;
                        byte[] got;
                        try {
                            got = j.read(e.getKey()).value();
                        } catch (IOException missing) {
                            if (!expected.mayBeGone(e.getKey())) {
                                lost.add(fs + " " + w + " cut " + cut + ": acknowledged lsn " + e.getKey() + " missing: " + missing
                                        + " (the writer's last operations: " + expected.recent + ")");
                            }
                            continue;
                        }
                        if (!Arrays.equals(want, got)) {
                            lost.add(fs + " " + w + " cut " + cut + ": acknowledged lsn " + e.getKey() + " holds other bytes");
                        }
                    }
                    if (!expected.acked.isEmpty() && expected.unfinished == null) {
                        if (j.lastLsn() < expected.acked.lastKey() && lost.size() == lostBefore) { // else said above
                            lost.add(fs + " " + w + " cut " + cut + ": acknowledged lsns " + (j.lastLsn() + 1) + ".."
                                    + expected.acked.lastKey() + " missing: the journal ends at " + j.lastLsn() + " ("
                                    + j.recoveryReport() + "; the writer's last operations: " + expected.recent + ")");
                        }
                    }
                    if (expected.unfinished != null) { // it happened or not: the journal says which
                        expected.acked.headMap(j.firstLsn(), false).clear();
                        expected.acked.tailMap(j.lastLsn(), false).clear();
                        expected.unfinished = null;
                    }
                    // what this recovery kept is where the next writer starts: records it cut were never acknowledged
                    expected.acked.tailMap(j.lastLsn(), false).clear();
                }
            }
        } finally {
            Files.deleteIfExists(image);
        }
        System.out.printf("power-cut %s %s: %d cuts, %d acknowledged records, %d checked after the cuts, %d lost,"
                        + " %d recoveries cut a torn tail (%.0f s)%n", fs, w, CUTS, expected.acks, checked, lost.size(), tornTails,
                (System.nanoTime() - started) / 1e9);
        assertEquals(List.of(), lost.stream().limit(20).toList());
    }

    /** Starts a writer on {@code dir}, cuts the power after {@code acks} acknowledgements, kills it and reads all it said. */
    private static void runUntilCut(Path dir, Path mnt, Workload w, int run, int acks, Expected expected) throws Exception {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "-cp", System.getProperty("java.class.path"), "--enable-native-access=ALL-UNNAMED",
                PowerCutTest.class.getName(), dir.toString(), w.name(), Integer.toString(run)));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        StringBuilder other = new StringBuilder();
        boolean cut = false;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            long seen = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            for (String line; (line = in.readLine()) != null; ) {
                if (line.startsWith("A ") || line.startsWith("B ") || line.startsWith("F ") || line.equals("R")
                        || line.startsWith("? ")) {
                    expected.apply(line); // said before the cut or after: either way acknowledged before it
                    seen += line.startsWith("A ") ? 1 : 0;
                } else if (!line.startsWith("O ")) {
                    other.append(line).append('\n');
                }
                if (!cut && (seen >= acks || System.nanoTime() > deadline)) {
                    FsShutdown.cutPower(mnt);
                    cut = true;
                    child.toHandle().destroyForcibly(); // SIGKILL; unlike Process.destroyForcibly it leaves the pipe open: what it printed is still read
                }
            }
        } finally {
            child.destroyForcibly();
            child.waitFor(30, TimeUnit.SECONDS);
        }
        if (!cut) {
            fail("the writer ended before the cut: " + other);
        }
    }
}

package org.wal4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.wal4j.io.Errno;
import org.wal4j.io.FaultInjectingIo;
import org.wal4j.io.FaultInjectingIo.Call;
import org.wal4j.io.IoBackend;
import org.wal4j.io.PosixIo;
import org.wal4j.io.ScratchMount;
import org.wal4j.log.SegmentFiles;

/**
 * The durability engine: sync modes, group commit, asynchronous appends, the durable
 * watermark, O_DIRECT writes, zero-filled segments, background threads, and fail-stop on
 * injected I/O errors. Every test runs on the backend the suite runs with (posix, then java
 * in the second surefire run); those with a {@code direct} parameter run with O_DIRECT on and off.
 */
class JournalDurabilityTest {
    /** Generous: these tests wait for background threads on a shared, noisy machine; never a timing assertion. */
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private static JournalOptions.Builder small(boolean direct) {
        return JournalOptions.builder().syncPolicy(SyncMode.NONE).segmentBytes(64 << 10).maxValueBytes(16 << 10).maxKeyBytes(64).direct(direct);
    }

    /** A value that says which thread appended it and its sequence number, padded to {@code size}. */
    private static byte[] value(int thread, int seq, int size) {
        ByteBuffer b = ByteBuffer.allocate(Math.max(size, 8));
        b.putInt(thread).putInt(seq);
        for (int i = 8; i < b.capacity(); i++) {
            b.put((byte) (thread * 7 + seq * 13 + i));
        }
        return b.array();
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + PATIENCE + ": " + what);
            }
            Thread.sleep(1);
        }
    }

    private List<Thread> journalThreads() {
        List<Thread> found = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().endsWith(" " + dir) && t.isAlive()) {
                found.add(t);
            }
        }
        return found;
    }

    private IoBackend backend() {
        return IoBackend.select();
    }

    private FaultInjectingIo faultyOnSegments() {
        return FaultInjectingIo.over(backend()).onlyPaths(p -> p.getFileName().toString().endsWith(SegmentFiles.SUFFIX)
                || p.equals(dir));
    }

    // ---------------------------------------------------------------- ALWAYS and group commit

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void alwaysAppendReturnsOnlyOnceDurable(boolean direct) throws Exception {
        FaultInjectingIo io = faultyOnSegments();
        try (Journal j = Journal.open(dir, small(direct).syncPolicy(SyncMode.ALWAYS).build(), io)) {
            assertEquals(direct, j.isDirect());
            for (int i = 1; i <= 200; i++) {
                long syncsBefore = io.count(Call.DATASYNC);
                long lsn = j.append(value(0, i, 1 + i * 37 % 3000));
                assertEquals(i, lsn);
                assertEquals(lsn, j.durableLsn(), "durableLsn right after an ALWAYS append");
                assertTrue(io.count(Call.DATASYNC) > syncsBefore, "an fdatasync ran for lsn=" + lsn);
            }
        }
        try (Journal j = Journal.open(dir, small(direct).build())) {
            for (int i = 1; i <= 200; i++) {
                assertArrayEquals(value(0, i, 1 + i * 37 % 3000), j.read(i).value());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void concurrentAlwaysAppendersShareSyncsAndKeepLsnOrderOnDisk(boolean direct) throws Exception {
        int threads = 16;
        int perThread = 40;
        FaultInjectingIo io = faultyOnSegments();
        Map<Long, byte[]> appended = new ConcurrentHashMap<>();
        // the direct run also covers followers that spin before parking
        JournalOptions options = small(direct).syncPolicy(SyncMode.ALWAYS).followerSpin(Duration.ofMillis(direct ? 1 : 0)).build();
        try (Journal j = Journal.open(dir, options, io)) {
            long syncsBefore = io.count(Call.DATASYNC);
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> workers = new ArrayList<>();
            List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int t = 0; t < threads; t++) {
                int thread = t;
                workers.add(Thread.ofPlatform().start(() -> {
                    try {
                        start.await();
                        for (int i = 0; i < perThread; i++) {
                            byte[] v = value(thread, i, 100 + (thread * 131 + i * 17) % 2000);
                            long lsn = j.append(v);
                            assertTrue(j.durableLsn() >= lsn, "returned before durable: lsn=" + lsn);
                            assertEquals(null, appended.put(lsn, v), "lsn handed out twice: " + lsn);
                        }
                    } catch (Throwable e) {
                        errors.add(e);
                    }
                }));
            }
            start.countDown();
            for (Thread w : workers) {
                w.join();
            }
            assertEquals(List.of(), errors);
            long syncs = io.count(Call.DATASYNC) - syncsBefore;
            assertTrue(syncs < threads * perThread, "group commit: " + syncs + " fdatasyncs for " + threads * perThread
                    + " durable appends");
        }
        try (Journal j = Journal.open(dir, small(direct).build())) {
            assertEquals(threads * perThread, j.lastLsn());
            long[] expect = {1};
            j.replay(1, r -> {
                assertEquals(expect[0]++, r.lsn());
                assertArrayEquals(appended.get(r.lsn()), r.valueBytes());
            });
            assertEquals(threads * perThread + 1, expect[0]);
        }
    }

    /** Runs {@code call} on a thread of its own (the common pool may have one thread here, and these calls block). */
    private static <T> CompletableFuture<T> onItsOwnThread(java.util.concurrent.Callable<T> call) {
        CompletableFuture<T> f = new CompletableFuture<>();
        Thread.ofPlatform().daemon(true).start(() -> {
            try {
                f.complete(call.call());
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        return f;
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void appendersStageAndReadWhileARoundWritesOutsideTheLock(boolean direct) throws Exception {
        FaultInjectingIo io = faultyOnSegments();
        try (Journal j = Journal.open(dir, small(direct).build(), io)) {
            j.append(value(0, 1, 700));
            j.append(value(0, 2, 700));
            FaultInjectingIo.Gate gate = io.gateNth(Call.WRITE, 1);
            CompletableFuture<Object> sync = onItsOwnThread(() -> {
                j.sync();
                return null;
            });
            try {
                assertTrue(gate.awaitReached(), "the round's write");
                // the lock is free during the round's write: appends go into the other staging buffer
                assertEquals(3, onItsOwnThread(() -> j.append(value(0, 3, 700))).get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
                assertTrue(j.durableLsn() < 2, "record 2 is not durable before its write returned: " + j.durableLsn());
                // a read of a record in the round's buffer waits for that write, then sees it
                CompletableFuture<byte[]> read = onItsOwnThread(() -> j.read(2).value());
                gate.open();
                assertArrayEquals(value(0, 2, 700), read.get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
            } finally {
                gate.open();
            }
            sync.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            assertTrue(j.durableLsn() >= 2, "durable after the round: " + j.durableLsn());
            j.sync();
            assertEquals(3, j.durableLsn());
        }
        try (Journal reopened = Journal.open(dir, small(direct).build())) {
            for (int i = 1; i <= 3; i++) {
                assertArrayEquals(value(0, i, 700), reopened.read(i).value(), "lsn " + i);
            }
            assertEquals(3, reopened.lastLsn());
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aRoundWriteThatFailsFailsTheAppenderWaitingToWriteBehindIt(boolean direct) throws Exception {
        FaultInjectingIo io = faultyOnSegments();
        Journal j = Journal.open(dir, small(direct).writeBufferBytes(4096).build(), io);
        j.append(value(0, 1, 1000));
        j.sync();
        j.append(value(0, 2, 1000));
        FaultInjectingIo.Gate gate = io.gateNth(Call.WRITE, 1);
        io.failNth(Call.WRITE, 1, Errno.EIO);
        CompletableFuture<Object> sync = onItsOwnThread(() -> {
            j.sync();
            return null;
        });
        CompletableFuture<Object> appender;
        try {
            assertTrue(gate.awaitReached(), "the round's write");
            appender = onItsOwnThread(() -> {
                for (int i = 3; i < 10; i++) {
                    j.append(value(0, i, 1000)); // fills the other buffer: it must write behind the round's write
                }
                return null;
            });
        } finally {
            gate.open();
        }
        ExecutionException syncFailure = assertThrows(ExecutionException.class, () -> sync.get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
        OutcomeUnknownException e = assertInstanceOf(OutcomeUnknownException.class, syncFailure.getCause());
        assertEquals(Errno.EIO, e.errno());
        ExecutionException appendFailure = assertThrows(ExecutionException.class, () -> appender.get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
        assertTrue(appendFailure.getCause() instanceof OutcomeUnknownException || appendFailure.getCause() instanceof JournalFailedException,
                appendFailure.getCause().toString());
        assertEquals(1, j.durableLsn());
        assertThrows(JournalFailedException.class, j::close, "a failed journal's close says so");
        try (Journal reopened = Journal.open(dir, small(direct).build())) {
            assertArrayEquals(value(0, 1, 1000), reopened.read(1).value());
            assertEquals(1, reopened.lastLsn(), "nothing written behind the failed write: " + reopened.recoveryReport());
        }
    }

    /**
     * While a round's fdatasync of the active segment is held: an append that needs a rollover
     * waits for that fdatasync before it syncs and seals the segment (two fdatasyncs of one file
     * at once may split its writeback-error report, so one returns 0 for a lost write), and a
     * truncateFront of that segment waits for the round (removing it closed the descriptor the
     * round synced through: EBADF). Once the fdatasync returns, all three complete.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void rolloverAndTruncateFrontWaitForTheRoundSyncingTheSegment(boolean direct) throws Exception {
        FaultInjectingIo io = faultyOnSegments();
        try (Journal j = Journal.open(dir, small(direct).syncPolicy(SyncMode.ALWAYS).build(), io)) {
            for (int i = 1; i <= 14; i++) {
                j.append(value(0, i, 4000)); // 15 frames of 4032 bytes fit a 64 KiB segment
            }
            FaultInjectingIo.Gate gate = io.gateNth(Call.DATASYNC, 1);
            CompletableFuture<Long> last;
            CompletableFuture<Long> next;
            CompletableFuture<Integer> truncated;
            try {
                last = onItsOwnThread(() -> j.append(value(0, 15, 4000)));
                assertTrue(gate.awaitReached(), "the round's fdatasync");
                next = onItsOwnThread(() -> j.append(value(0, 16, 4000))); // does not fit: a rollover
                truncated = onItsOwnThread(() -> j.truncateFront(16));
                assertTrue(j.durableLsn() < 15, "nothing past the held fdatasync is durable: " + j.durableLsn());
            } finally {
                gate.open();
            }
            assertEquals(15, last.get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
            assertEquals(16, next.get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
            int removed = truncated.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            assertTrue(removed <= 1, "removed " + removed);
            assertEquals(16, j.durableLsn());
            assertEquals(17, j.append(value(0, 17, 4000)), "the journal did not fail");
        }
        try (Journal j = Journal.open(dir, small(direct).build())) {
            assertEquals(17, j.lastLsn());
            assertArrayEquals(value(0, 16, 4000), j.read(16).value());
        }
    }

    /**
     * A rollover that waits for a round's fdatasync of the segment it seals fails when that
     * fdatasync fails, and seals nothing: its own fdatasync of the file would return 0 (the
     * kernel reported the lost writes to the round), and the next segment's header would
     * record the lost frames as durable, so recovery would refuse the journal as damaged (the
     * random crash points found this with fsyncgate).
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aRolloverWaitingForARoundWhoseSyncFailsFailsAndSealsNothing(boolean direct) throws Exception {
        FaultInjectingIo io = faultyOnSegments();
        Journal j = Journal.open(dir, small(direct).syncPolicy(SyncMode.ALWAYS).build(), io);
        CompletableFuture<Long> last;
        CompletableFuture<Long> next = new CompletableFuture<>();
        FaultInjectingIo.Gate gate = null;
        try {
            for (int i = 1; i <= 14; i++) {
                j.append(value(0, i, 4000));
            }
            gate = io.gateNth(Call.DATASYNC, 1);
            io.failNth(Call.DATASYNC, 1, Errno.EIO);
            last = onItsOwnThread(() -> j.append(value(0, 15, 4000)));
            assertTrue(gate.awaitReached(), "the round's fdatasync");
            Thread roller = Thread.ofPlatform().daemon(true).start(() -> {
                try {
                    next.complete(j.append(value(0, 16, 4000))); // does not fit: a rollover
                } catch (Throwable t) {
                    next.completeExceptionally(t);
                }
            });
            await("the rollover waits for the round's fdatasync", () -> Arrays.stream(roller.getStackTrace())
                    .anyMatch(f -> f.getMethodName().equals("awaitRoundSync")));
        } finally {
            if (gate != null) {
                gate.open();
            }
        }
        ExecutionException roundFailure = assertThrows(ExecutionException.class, () -> last.get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
        assertInstanceOf(OutcomeUnknownException.class, roundFailure.getCause());
        ExecutionException rolloverFailure = assertThrows(ExecutionException.class, () -> next.get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
        assertInstanceOf(IOException.class, rolloverFailure.getCause());
        assertThrows(JournalFailedException.class, j::sync);
        assertThrows(JournalFailedException.class, j::close, "the journal had failed");
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(SegmentFiles.name(1)), files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(SegmentFiles.SUFFIX)).sorted().toList(), "no segment was sealed");
        }
        try (Journal reopened = Journal.open(dir, small(direct).build())) {
            assertTrue(reopened.lastLsn() >= 14, "lastLsn " + reopened.lastLsn());
        }
    }

    @Test
    void batchesInAlwaysModeAreDurableAsAWhole() throws Exception {
        try (Journal j = Journal.open(dir, small(false).syncPolicy(SyncMode.ALWAYS).build())) {
            LsnRange r = j.appendBatch(value(0, 1, 10), value(0, 2, 20), value(0, 3, 30));
            assertEquals(3, r.last());
            assertEquals(3, j.durableLsn());
        }
    }

    // ---------------------------------------------------------------- asynchronous appends

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void asyncAppendsCompleteOnlyWhenDurableInEveryMode(boolean direct) throws Exception {
        for (SyncMode mode : SyncMode.values()) {
            Path d = Files.createDirectory(dir.resolve(mode.name()));
            try (Journal j = Journal.open(d, small(direct).syncPolicy(mode).build())) {
                List<CompletableFuture<Long>> futures = new ArrayList<>();
                List<String> early = java.util.Collections.synchronizedList(new ArrayList<>());
                for (int i = 1; i <= 500; i++) {
                    CompletableFuture<Long> f = j.appendAsync(value(1, i, 300));
                    f.thenAccept(lsn -> {
                        if (j.durableLsn() < lsn) {
                            early.add("lsn=" + lsn + " durableLsn=" + j.durableLsn());
                        }
                    });
                    futures.add(f);
                }
                for (int i = 0; i < futures.size(); i++) {
                    assertEquals(i + 1, futures.get(i).get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
                }
                assertEquals(List.of(), early, mode + ": futures completed before their record was durable");
                assertEquals(500, j.durableLsn());
            }
        }
    }

    @Test
    void asyncAppendWithCallerLsnCompletesWithThatLsn() throws Exception {
        try (Journal j = Journal.open(dir, small(false).build())) {
            assertEquals(100L, j.appendAsync(100, 5, "k".getBytes(), "v".getBytes()).get(30, TimeUnit.SECONDS));
            assertThrows(IllegalArgumentException.class, () -> j.appendAsync(100, 5, new byte[0], new byte[0]));
            assertThrows(IllegalArgumentException.class, () -> j.appendAsync(new byte[(16 << 10) + 1]));
        }
    }

    @Test
    void closeCompletesPendingAsyncAppendsAndLaterOnesFail() throws Exception {
        List<CompletableFuture<Long>> futures = new ArrayList<>();
        Journal j = Journal.open(dir, small(false).build());
        for (int i = 1; i <= 2000; i++) {
            futures.add(j.appendAsync(value(2, i, 50)));
        }
        j.close();
        for (CompletableFuture<Long> f : futures) {
            assertTrue(f.isDone(), "close() returned with an append still pending");
            f.get();
        }
        ExecutionException e = assertThrows(ExecutionException.class, () -> j.appendAsync(new byte[1]).get());
        assertInstanceOf(JournalClosedException.class, e.getCause());
        try (Journal reopened = Journal.open(dir, small(false).build())) {
            assertEquals(2000, reopened.lastLsn());
        }
    }

    @Test
    void aFutureCallbackMayCallTheJournal() throws Exception {
        try (Journal j = Journal.open(dir, small(false).build())) {
            CompletableFuture<Long> second = j.appendAsync(new byte[] {1}).thenCompose(lsn -> j.appendAsync(new byte[] {2}));
            assertEquals(2L, second.get(30, TimeUnit.SECONDS));
        }
    }

    // ---------------------------------------------------------------- INTERVAL

    @Test
    void intervalSyncsInTheBackgroundAfterEveryBytes() throws Exception {
        try (Journal j = Journal.open(dir, small(false).syncPolicy(SyncPolicy.interval(16 << 10, Duration.ZERO)).build())) {
            long lsn = 0;
            for (int i = 0; i < 10; i++) {
                lsn = j.append(value(3, i, 4000)); // 40 KB: the 16 KiB bound is crossed twice
            }
            long last = lsn;
            await("durableLsn reaches an lsn past the byte bound", () -> j.durableLsn() >= 4);
            assertTrue(j.durableLsn() <= last);
        }
    }

    @Test
    void intervalSyncsInTheBackgroundAfterEvery() throws Exception {
        try (Journal j = Journal.open(dir, small(false).syncPolicy(SyncPolicy.interval(0, Duration.ofMillis(5))).build())) {
            long lsn = j.append(new byte[] {7});
            await("the time bound syncs lsn=" + lsn, () -> j.durableLsn() == lsn);
            long lsn2 = j.append(new byte[] {8});
            await("and again for lsn=" + lsn2, () -> j.durableLsn() == lsn2);
        }
    }

    @Test
    void syncForcesWhatIntervalHasNotSyncedYet() throws Exception {
        try (Journal j = Journal.open(dir, small(false).syncPolicy(SyncPolicy.interval(1 << 30, Duration.ofHours(1))).build())) {
            long lsn = j.append(new byte[] {1});
            j.sync();
            assertEquals(lsn, j.durableLsn());
        }
    }

    @Test
    void setPolicyStartsAndStopsTheSyncThread() throws Exception {
        try (Journal j = Journal.open(dir, small(false).build())) {
            assertEquals(List.of(), journalThreads().stream().filter(t -> t.getName().startsWith(BackgroundSync.THREAD_PREFIX)).toList());
            j.setPolicy(SyncPolicy.interval(0, Duration.ofMillis(1)));
            List<Thread> syncers = journalThreads().stream().filter(t -> t.getName().startsWith(BackgroundSync.THREAD_PREFIX)).toList();
            assertEquals(1, syncers.size(), "INTERVAL runs one sync thread: " + syncers);
            assertTrue(syncers.getFirst().isDaemon());
            long lsn = j.append(new byte[] {1});
            await("background sync", () -> j.durableLsn() == lsn);
            j.setPolicy(SyncPolicy.none());
            syncers.getFirst().join(PATIENCE.toMillis());
            assertFalse(syncers.getFirst().isAlive(), "NONE stops the sync thread");
            assertEquals(SyncPolicy.none(), j.policy());
            j.setPolicy(SyncPolicy.always());
            assertEquals(j.append(new byte[] {2}), j.durableLsn());
        }
    }

    @Test
    void followerSpinRejectsBadValuesNamingThem() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JournalOptions.builder().followerSpin(Duration.ofSeconds(2)));
        assertTrue(e.getMessage().contains("followerSpin=PT2S"), e.getMessage());
    }

    @Test
    void syncPolicyRejectsBadBoundsNamingThem() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SyncPolicy.interval(-1, Duration.ZERO));
        assertTrue(e.getMessage().contains("everyBytes=-1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SyncPolicy.interval(0, Duration.ZERO));
        assertTrue(e.getMessage().contains("INTERVAL needs"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SyncPolicy.interval(0, Duration.ofMillis(-5)));
        assertTrue(e.getMessage().contains("every=PT-0.005S"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new SyncPolicy(SyncMode.ALWAYS, 10, Duration.ZERO));
        assertTrue(e.getMessage().contains("mode=ALWAYS takes no bounds"), e.getMessage());
    }

    // ---------------------------------------------------------------- threads and close

    @Test
    void closeStopsEveryThreadOfTheJournal() throws Exception {
        Journal j = Journal.open(dir, small(false).syncPolicy(SyncPolicy.interval(4096, Duration.ofMillis(1))).build());
        for (int i = 0; i < 100; i++) {
            j.appendAsync(value(4, i, 2000)); // rollovers: the preparer runs too
        }
        assertFalse(journalThreads().isEmpty());
        j.close();
        assertEquals(List.of(), journalThreads(), "threads left after close()");
        j.close(); // idempotent
        assertFalse(Files.exists(dir.resolve(SegmentFiles.SPARE)), "close deletes the spare segment");
    }

    @Test
    void manyJournalsOpenedAndClosedLeakNoThreads() throws Exception {
        int before = Thread.activeCount();
        for (int i = 0; i < 30; i++) {
            try (Journal j = Journal.open(dir, small(false).syncPolicy(i % 2 == 0 ? SyncMode.INTERVAL : SyncMode.ALWAYS).build())) {
                j.appendAsync(new byte[100]);
                j.append(new byte[100]);
            }
        }
        assertEquals(List.of(), journalThreads());
        assertTrue(Thread.activeCount() <= before + 2, "threads before=" + before + " after=" + Thread.activeCount());
    }

    // ---------------------------------------------------------------- zero-filled segments

    @Test
    void segmentsAreZeroFilledToTheirSizeAndTheNextIsPreparedAhead() throws Exception {
        JournalOptions options = small(false).build();
        try (Journal j = Journal.open(dir, options)) {
            j.append(new byte[10]);
            await("the spare segment is prepared", () -> Files.exists(dir.resolve(SegmentFiles.SPARE)));
            for (int i = 0; i < 40; i++) {
                j.append(value(5, i, 3000));
            }
            List<Path> segments = SegmentFiles.list(dir).segments();
            assertTrue(segments.size() >= 2, "rolled over: " + segments);
            for (Path p : segments) {
                assertEquals(options.segmentBytes(), Files.size(p), p + " is written to its full size");
            }
        }
        try (Journal j = Journal.open(dir, options)) {
            assertEquals(41, j.lastLsn());
        }
    }

    @Test
    void aSpareLeftByACrashIsDeletedAtOpen() throws Exception {
        try (Journal j = Journal.open(dir, small(false).preallocate(false).build())) {
            j.append(new byte[10]);
        }
        Files.write(dir.resolve(SegmentFiles.SPARE), new byte[4096]);
        try (Journal j = Journal.open(dir, small(false).preallocate(false).build())) {
            assertEquals(1, j.lastLsn());
            assertFalse(Files.exists(dir.resolve(SegmentFiles.SPARE)));
        }
    }

    // ---------------------------------------------------------------- O_DIRECT

    @Test
    void directWritesRewriteThePartialTailBlockAndSurviveReopen() throws Exception {
        Random random = new Random(42);
        List<byte[]> values = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            try (Journal j = Journal.open(dir, small(true).writeBufferBytes(8192).build())) {
                assertTrue(j.isDirect());
                for (int i = 0; i < 150; i++) {
                    // mostly small records (many share a block), some larger than the staging buffer
                    byte[] v = new byte[random.nextInt(10) == 0 ? 9000 + random.nextInt(6000) : random.nextInt(300)];
                    random.nextBytes(v);
                    values.add(v);
                    j.append(v);
                    if (random.nextInt(4) == 0) {
                        j.sync();
                    }
                    if (random.nextInt(50) == 0) {
                        assertArrayEquals(v, j.read(values.size()).value(), "read-your-writes under O_DIRECT");
                    }
                }
            }
        }
        try (Journal j = Journal.open(dir, small(false).verifyOnOpen(true).build())) {
            assertEquals(0, j.recoveryReport().droppedTailBytes());
            for (int i = 0; i < values.size(); i++) {
                assertArrayEquals(values.get(i), j.read(i + 1).value(), "lsn=" + (i + 1));
            }
        }
    }

    @Test
    void directTruncateBackThenAppendRewritesTheCutBlock() throws Exception {
        try (Journal j = Journal.open(dir, small(true).build())) {
            for (int i = 1; i <= 30; i++) {
                j.append(value(6, i, 100));
            }
            j.truncateBack(17);
            assertEquals(17, j.durableLsn());
            for (int i = 18; i <= 25; i++) {
                j.append(value(7, i, 90));
            }
        }
        try (Journal j = Journal.open(dir, small(true).build())) {
            assertEquals(25, j.lastLsn());
            assertArrayEquals(value(6, 17, 100), j.read(17).value());
            assertArrayEquals(value(7, 18, 90), j.read(18).value());
            assertArrayEquals(value(7, 25, 90), j.read(25).value());
        }
    }

    @Test
    void directOnAFilesystemThatRefusesItFailsTheOpenOrFallsBack() throws Exception {
        Path mountPoint = Files.createDirectory(dir.resolve("ramfs"));
        try (ScratchMount ramfs = ScratchMount.mount(mountPoint, "ramfs", "")) {
            Path d = ramfs.dir().resolve("journal");
            IOException e = assertThrows(IOException.class, () -> Journal.open(d, small(true).build()).close());
            assertTrue(e.getMessage().contains("O_DIRECT is refused by the filesystem of dir=" + d), e.getMessage());
            assertEquals(List.of(), SegmentFiles.list(d).segments(), "no segment was created");
            try (Journal j = Journal.open(d, small(true).directFallback(true).build())) {
                assertFalse(j.isDirect());
                j.append(new byte[] {1, 2, 3});
                j.sync();
            }
        }
    }

    /**
     * An O_DIRECT open that fails without a known errno (JavaIo in a non-English locale) is
     * taken for a refusal only if the same open without O_DIRECT works; otherwise its own
     * error is the open's, never "O_DIRECT is refused".
     */
    @Test
    void anOpenFailureOfUnknownErrnoIsARefusalOfDirectOnlyIfTheOpenWorksWithoutIt() throws Exception {
        Path d = dir.resolve("journal");
        IoBackend refusingDirect = failingOpens(flags -> java.util.Arrays.asList(flags).contains(org.wal4j.io.OpenFlag.DIRECT));
        IOException refused = assertThrows(IOException.class, () -> Journal.open(d, small(true).build(), refusingDirect).close());
        assertTrue(refused.getMessage().contains("O_DIRECT is refused by the filesystem of dir=" + d), refused.getMessage());
        try (Journal j = Journal.open(d, small(true).directFallback(true).build(), refusingDirect)) {
            assertFalse(j.isDirect());
        }
        IoBackend failingEveryOpen = failingOpens(flags -> true);
        IOException other = assertThrows(IOException.class, () -> Journal.open(d, small(true).directFallback(true).build(),
                failingEveryOpen).close());
        assertTrue(other.getMessage().contains("Too many open files"), other.getMessage());
    }

    /** The backend of the suite, where an open whose flags {@code fails} accepts fails with errno 0 ("Too many open files"). */
    private IoBackend failingOpens(java.util.function.Predicate<org.wal4j.io.OpenFlag[]> fails) {
        IoBackend real = backend();
        return new IoBackend() {
            @Override
            public String name() {
                return real.name();
            }

            @Override
            public org.wal4j.io.IoFile open(Path path, org.wal4j.io.OpenFlag... flags) throws IOException {
                if (path.getFileName().toString().equals(SegmentFiles.DIRECT_PROBE) && fails.test(flags)) {
                    throw new org.wal4j.io.IoCallException("open", path, 0, "", new IOException("Too many open files"));
                }
                return real.open(path, flags);
            }

            @Override
            public void syncDirectory(Path d) throws IOException {
                real.syncDirectory(d);
            }

            @Override
            public boolean supportsAllocate() {
                return real.supportsAllocate();
            }
        };
    }

    // ---------------------------------------------------------------- fail-stop

    @Test
    void aFailedWriteMakesTheOutcomeUnknownAndFailsTheJournal() throws Exception {
        FaultInjectingIo io = faultyOnSegments();
        Journal j = Journal.open(dir, small(false).preallocate(false).writeBufferBytes(4096).build(), io);
        j.append(value(8, 1, 1000));
        j.sync();
        io.failNth(Call.WRITE, 1, Errno.EIO);
        long syncsBefore = io.count(Call.DATASYNC);
        OutcomeUnknownException e = assertThrows(OutcomeUnknownException.class, () -> {
            for (int i = 2; i < 100; i++) {
                j.append(value(8, i, 1000)); // the staging buffer fills: a write
            }
        });
        assertEquals(Errno.EIO, e.errno());
        assertEquals(2, e.firstLsn(), "everything after the last durable record");
        JournalFailedException later = assertThrows(JournalFailedException.class, () -> j.append(new byte[1]));
        assertEquals(e.getCause(), later.getCause());
        assertThrows(JournalFailedException.class, j::sync);
        assertThrows(JournalFailedException.class, () -> j.read(1));
        ExecutionException async = assertThrows(ExecutionException.class, () -> j.appendAsync(new byte[1]).get());
        assertInstanceOf(JournalFailedException.class, async.getCause());
        assertThrows(JournalFailedException.class, j::close, "a failed journal's close says so");
        assertEquals(syncsBefore, io.count(Call.DATASYNC), "no sync after the failure: nothing written since can be trusted");
        assertEquals(List.of(), journalThreads());
        try (Journal reopened = Journal.open(dir, small(false).build())) {
            assertArrayEquals(value(8, 1, 1000), reopened.read(1).value());
        }
    }

    @Test
    void aFullDiskSaysSo() throws Exception {
        FaultInjectingIo io = faultyOnSegments();
        Journal j = Journal.open(dir, small(false).syncPolicy(SyncMode.ALWAYS).build(), io);
        j.append(new byte[10]);
        io.failNth(Call.WRITE, 1, Errno.ENOSPC);
        OutcomeUnknownException e = assertThrows(OutcomeUnknownException.class, () -> j.append(new byte[10]));
        assertEquals(Errno.ENOSPC, e.errno());
        assertTrue(e.getMessage().contains("ENOSPC") && e.getMessage().contains("the disk or quota is full"), e.getMessage());
        JournalFailedException later = assertThrows(JournalFailedException.class, () -> j.append(new byte[10]));
        assertTrue(later.getMessage().contains("the disk or quota is full"), later.getMessage());
        assertEquals(Errno.ENOSPC, later.errno());
        assertThrows(JournalFailedException.class, j::close, "a failed journal's close says so");
    }

    @Test
    void aFailedSyncFailsEveryWaiterAndEveryFutureAndIsNeverRetried() throws Exception {
        FaultInjectingIo io = faultyOnSegments();
        Journal j = Journal.open(dir, small(false).syncPolicy(SyncMode.ALWAYS).build(), io);
        j.append(new byte[] {1});
        io.failNth(Call.DATASYNC, 30, Errno.EIO);
        Map<Long, byte[]> acknowledged = new ConcurrentHashMap<>();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int thread = t;
            workers.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; ; i++) {
                    byte[] v = value(thread, i, 200);
                    try {
                        acknowledged.put(j.append(v), v);
                    } catch (IOException e) {
                        failures.add(e);
                        return;
                    }
                }
            }));
        }
        List<CompletableFuture<Long>> futures = new ArrayList<>();
        for (Thread w : workers) {
            w.join();
        }
        assertEquals(8, failures.size());
        long unknown = failures.stream().filter(f -> f instanceof OutcomeUnknownException).count();
        assertTrue(unknown >= 1, "the waiters of the failed round are told the outcome is unknown: " + failures);
        for (Throwable f : failures) {
            assertTrue(f instanceof OutcomeUnknownException || f instanceof JournalFailedException, f.toString());
        }
        long durable = j.durableLsn();
        long syncs = io.count(Call.DATASYNC);
        futures.add(j.appendAsync(new byte[1]));
        assertInstanceOf(JournalFailedException.class, assertThrows(ExecutionException.class, () -> futures.getFirst().get()).getCause());
        assertThrows(JournalFailedException.class, j::close, "a failed journal's close says so");
        assertEquals(syncs, io.count(Call.DATASYNC), "the failed fdatasync is never retried");
        for (long lsn : acknowledged.keySet()) {
            assertTrue(lsn <= durable, "lsn=" + lsn + " acknowledged but above durableLsn=" + durable);
        }
        try (Journal reopened = Journal.open(dir, small(false).build())) {
            for (Map.Entry<Long, byte[]> e : acknowledged.entrySet()) {
                assertArrayEquals(e.getValue(), reopened.read(e.getKey()).value(), "acknowledged lsn=" + e.getKey());
            }
        }
    }

    @Test
    void pendingFuturesCompleteWithOutcomeUnknownWhenTheirSyncFails() throws Exception {
        FaultInjectingIo io = faultyOnSegments();
        Journal j = Journal.open(dir, small(false).build(), io);
        io.failNth(Call.DATASYNC, 1, Errno.EIO);
        CompletableFuture<Long> f = j.appendAsync(new byte[] {1});
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(30, TimeUnit.SECONDS));
        OutcomeUnknownException unknown = assertInstanceOf(OutcomeUnknownException.class, e.getCause());
        assertEquals(Errno.EIO, unknown.errno());
        assertEquals(1, unknown.firstLsn());
        assertEquals(-1, j.durableLsn(), "the watermark did not move");
        assertThrows(JournalFailedException.class, j::close, "a failed journal's close says so");
    }

    @Test
    void aFailedDirectorySyncAtRolloverFailsTheJournal() throws Exception {
        FaultInjectingIo io = faultyOnSegments();
        // no preparer thread: its directory syncs would meet the failure first (next test)
        Journal j = Journal.open(dir, small(false).preallocate(false).syncPolicy(SyncMode.ALWAYS).build(), io);
        j.append(value(9, 0, 3000));
        io.failNth(Call.SYNC_DIRECTORY, 1, Errno.EIO);
        OutcomeUnknownException e = assertThrows(OutcomeUnknownException.class, () -> {
            for (int i = 1; i < 100; i++) {
                j.append(value(9, i, 3000));
            }
        });
        assertTrue(e.getMessage().contains("fsync failed: EIO"), e.getMessage());
        assertThrows(JournalFailedException.class, j::sync);
        assertThrows(JournalFailedException.class, j::close, "a failed journal's close says so");
    }

    @Test
    void aFailedSparePreparationDoesNotFailTheJournal() throws Exception {
        FaultInjectingIo io = FaultInjectingIo.over(backend()).onlyPaths(p -> p.getFileName().toString().equals(SegmentFiles.SPARE));
        io.failNth(Call.WRITE, 1, Errno.ENOSPC);
        try (Journal j = Journal.open(dir, small(false).syncPolicy(SyncMode.ALWAYS).build(), io)) {
            for (int i = 0; i < 60; i++) {
                j.append(value(10, i, 3000)); // rollovers: segments are then created (zero-filled) by the appender
            }
            assertEquals(60, j.durableLsn());
            assertTrue(io.count(Call.WRITE) >= 1, "the preparer ran and met the failure");
            assertTrue(SegmentFiles.list(dir).segments().size() >= 3);
        }
    }

    /**
     * Every kind of call fails once at a random point of a mixed workload (seeded): whatever
     * was acknowledged durable before is there after reopening, byte for byte, and nothing
     * that was never appended appears.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void randomInjectedFailuresNeverLoseAcknowledgedRecords(boolean direct) throws Exception {
        int failedRuns = 0;
        for (int seed = 0; seed < 24; seed++) {
            Random random = new Random(seed);
            Call call = Call.values()[seed % 3 == 0 ? 0 : seed % 3 == 1 ? 1 : 3];
            int errno = random.nextBoolean() ? Errno.EIO : Errno.ENOSPC;
            Path d = Files.createDirectory(dir.resolve("seed-" + seed));
            FaultInjectingIo io = FaultInjectingIo.over(backend()).onlyPaths(p -> !p.getFileName().toString().endsWith(".tmp"));
            SyncMode mode = SyncMode.values()[random.nextInt(3)];
            JournalOptions options = small(direct).writeBufferBytes(8192).syncPolicy(mode).build();
            Map<Long, byte[]> appended = new java.util.TreeMap<>();
            Map<Long, byte[]> acknowledged = new java.util.TreeMap<>();
            Journal j = Journal.open(d, options, io);
            io.failNth(call, 1 + random.nextInt(40), errno);
            try {
                for (int i = 0; i < 400; i++) {
                    byte[] v = value(seed, i, random.nextInt(5000));
                    long next = j.lastLsn() < 0 ? 1 : j.lastLsn() + 1;
                    appended.put(next, v);
                    long lsn = j.append(v);
                    assertEquals(next, lsn);
                    if (mode == SyncMode.ALWAYS) {
                        acknowledged.put(lsn, v);
                    }
                    if (random.nextInt(20) == 0) {
                        j.sync();
                        acknowledged.putAll(appended);
                    }
                }
                j.close();
                acknowledged.putAll(appended); // close returned on a journal that had not failed: all durable
            } catch (OutcomeUnknownException | JournalFailedException expected) {
                // the background sync thread (INTERVAL) may meet the failure first: then the next call is refused
                int seen = expected instanceof OutcomeUnknownException u ? u.errno() : ((JournalFailedException) expected).errno();
                assertEquals(errno, seen, expected.toString());
                failedRuns++;
                try {
                    j.close(); // releases the files of a failed journal; syncs nothing
                } catch (JournalFailedException alsoExpected) {
                    // (unless the failure came from close itself, which closed the journal)
                }
            }
            int s = seed;
            try (Journal reopened = Journal.open(d, options)) {
                for (Map.Entry<Long, byte[]> e : acknowledged.entrySet()) {
                    assertArrayEquals(e.getValue(), reopened.read(e.getKey()).value(), "seed=" + s + " acknowledged lsn=" + e.getKey());
                }
                reopened.replay(1, r -> assertArrayEquals(appended.get(r.lsn()), r.valueBytes(),
                        "seed=" + s + " lsn=" + r.lsn() + " is not a record that was appended"));
                long last = reopened.lastLsn();
                assertEquals(last < 0 ? 1 : last + 1, reopened.append(new byte[] {1}), "appendable after recovery");
            }
        }
        System.out.println("randomInjectedFailures direct=" + direct + ": the journal failed in " + failedRuns + " of 24 runs");
        assertTrue(failedRuns >= 12, "too few runs met their injected failure: " + failedRuns);
    }

    @Test
    void eintrAndShortWritesAreRetriedInvisibly() throws Exception {
        assumeTrue(PosixIo.isAvailable(), "needs PosixIo: the EINTR and short-write seam is in its syscall loop");
        AtomicLong injected = new AtomicLong();
        FaultInjectingIo io = FaultInjectingIo.interruptingPosix(4, injected);
        List<byte[]> values = new ArrayList<>();
        Random random = new Random(7);
        try (Journal j = Journal.open(dir, small(false).syncPolicy(SyncMode.ALWAYS).build(), io)) {
            for (int i = 0; i < 300; i++) {
                byte[] v = new byte[random.nextInt(6000)];
                random.nextBytes(v);
                values.add(v);
                assertEquals(i + 1, j.append(v));
            }
        }
        assertTrue(injected.get() > 50, "injected=" + injected.get());
        try (Journal j = Journal.open(dir, small(false).verifyOnOpen(true).build())) {
            for (int i = 0; i < values.size(); i++) {
                assertArrayEquals(values.get(i), j.read(i + 1).value());
            }
        }
    }
}

package org.wal4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.wal4j.io.FaultInjectingIo;
import org.wal4j.io.FaultInjectingIo.Call;
import org.wal4j.io.IoBackend;
import org.wal4j.log.SegmentFiles;

/**
 * Operations that need the journal quiet (truncateBack, reset, close) racing appends and
 * syncs. A held fdatasync (what a slow disk does) opens the window: the operation waits for
 * the round in flight while other threads append and sync, and each must end as documented:
 * the truncation runs on what was durable, an append made meanwhile lands after it (or is
 * refused by a close), a waiting sync returns, and no returned record is lost.
 */
class QuietPointRaceTest {
    @TempDir
    Path dir;

    private static JournalOptions.Builder options(SyncMode mode) {
        return JournalOptions.builder().segmentBytes(64 << 10).maxValueBytes(4096).syncPolicy(mode);
    }

    private static byte[] value(long i) {
        byte[] b = new byte[40];
        java.util.Arrays.fill(b, (byte) i);
        return b;
    }

    private FaultInjectingIo segmentIo() {
        return FaultInjectingIo.over(IoBackend.select()).onlyPaths(p -> p.getFileName().toString().endsWith(SegmentFiles.SUFFIX));
    }

    /** Starts {@code body} on a platform thread that keeps what it threw. */
    private static Thread start(AtomicReference<Throwable> thrown, ThrowingRunnable body) {
        return Thread.ofPlatform().start(() -> {
            try {
                body.run();
            } catch (Throwable t) {
                thrown.compareAndSet(null, t);
            }
        });
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    /** Waits until {@code t} is parked or waiting (inside the journal, for its lock or a round). */
    private static void awaitBlocked(Thread t) throws InterruptedException {
        while (t.getState() != Thread.State.WAITING && t.getState() != Thread.State.TIMED_WAITING && t.isAlive()) {
            Thread.sleep(1);
        }
    }

    /** A journal, its backend, the gate holding a sync round in its fdatasync, the thread that leads that round, and what threads threw. */
    private record HeldRound(Journal journal, FaultInjectingIo io, FaultInjectingIo.Gate held, Thread syncer,
                             AtomicReference<Throwable> thrown) {}

    /**
     * Opens a NONE-mode journal at {@code at}, appends and syncs {@code synced} records, appends
     * one more, and starts a {@code sync()} whose fdatasync is held (what a slow disk does)
     * until the test opens the gate.
     */
    private HeldRound aRoundHeldInItsFdatasync(Path at, int synced) throws Exception {
        FaultInjectingIo io = segmentIo();
        Journal j = Journal.open(at, options(SyncMode.NONE).build(), io);
        for (long i = 1; i <= synced; i++) {
            j.append(value(i));
        }
        j.sync();
        j.append(value(synced + 1));
        FaultInjectingIo.Gate held = io.gateNth(Call.DATASYNC, 1);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread syncer = start(thrown, j::sync);
        assertTrue(held.awaitReached());
        return new HeldRound(j, io, held, syncer, thrown);
    }

    @Test
    void anAppendDuringATruncationsWaitLandsAfterItAndNothingFails() throws Exception {
        HeldRound round = aRoundHeldInItsFdatasync(dir, 10);
        Journal j = round.journal();
        AtomicReference<Throwable> thrown = round.thrown();
        Thread syncer = round.syncer();
        Thread truncator = start(thrown, () -> j.truncateBack(5));
        awaitBlocked(truncator);
        long[] appended = {-1};
        Thread appender = start(thrown, () -> appended[0] = j.append(value(99)));
        awaitBlocked(appender);
        round.held().open();
        for (Thread t : List.of(syncer, truncator, appender)) {
            t.join();
        }
        assertEquals(null, thrown.get());
        assertEquals(6, appended[0], "the append waited for the truncation, then took the next LSN");
        assertArrayEquals(value(99), j.read(6).value());
        j.close();
        try (Journal again = Journal.open(dir, options(SyncMode.NONE).build())) {
            assertEquals(6, again.lastLsn());
            assertArrayEquals(value(5), again.read(5).value());
            assertArrayEquals(value(99), again.read(6).value());
        }
    }

    @RepeatedTest(3)
    void aSyncWaitingOnTheRoundATruncationWaitsForReturns() throws Exception {
        HeldRound round = aRoundHeldInItsFdatasync(dir.resolve("r" + System.nanoTime()), 10);
        Journal j = round.journal();
        FaultInjectingIo io = round.io();
        AtomicReference<Throwable> thrown = round.thrown();
        Thread leader = round.syncer();
        // the truncation waits first, so it runs first once the round ends (the lock's queue
        // is fair to condition waiters); the sync's target, lsn 11, is gone by then
        Thread truncator = start(thrown, () -> j.truncateBack(5));
        awaitBlocked(truncator);
        Thread follower = start(thrown, j::sync);
        awaitBlocked(follower);
        long syncsBefore = io.count(Call.DATASYNC);
        round.held().open();
        for (Thread t : List.of(leader, follower, truncator)) {
            t.join(60_000);
            assertFalse(t.isAlive(), "stuck: " + t + " " + java.util.Arrays.toString(t.getStackTrace()));
        }
        assertEquals(null, thrown.get());
        assertTrue(io.count(Call.DATASYNC) - syncsBefore < 10, "fdatasyncs after the round: " + (io.count(Call.DATASYNC) - syncsBefore));
        assertEquals(5, j.lastLsn());
        j.close();
    }

    @Test
    void anAppendDuringAResetsWaitIsWrittenAfterIt() throws Exception {
        HeldRound round = aRoundHeldInItsFdatasync(dir, 3);
        Journal j = round.journal();
        AtomicReference<Throwable> thrown = round.thrown();
        Thread syncer = round.syncer();
        Thread resetter = start(thrown, j::reset);
        awaitBlocked(resetter);
        long[] appended = {-1};
        Thread appender = start(thrown, () -> appended[0] = j.append(value(5)));
        awaitBlocked(appender);
        round.held().open();
        for (Thread t : List.of(syncer, resetter, appender)) {
            t.join();
        }
        assertEquals(null, thrown.get());
        assertEquals(5, appended[0]);
        j.close(); // NONE: every record whose append returned is durable now
        try (Journal again = Journal.open(dir, options(SyncMode.NONE).build())) {
            assertEquals(5, again.firstLsn());
            assertArrayEquals(value(5), again.read(5).value());
        }
    }

    @ParameterizedTest
    @EnumSource(SyncMode.class)
    void closeRacingAppendersKeepsEveryReturnedRecord(SyncMode mode) throws Exception {
        JournalOptions o = options(mode).build();
        Journal j = Journal.open(dir, o);
        Map<Long, byte[]> returned = new ConcurrentHashMap<>();
        AtomicLong count = new AtomicLong();
        AtomicReference<Throwable> unexpected = new AtomicReference<>();
        boolean virtual = mode == SyncMode.ALWAYS;
        int threads = virtual ? 500 : 4;
        List<Thread> appenders = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            long tag = t;
            Runnable body = () -> {
                for (long seq = 0; ; seq++) {
                    byte[] v = (tag + "/" + seq).getBytes();
                    try {
                        returned.put(j.append(v), v);
                        count.incrementAndGet();
                    } catch (JournalClosedException closed) {
                        return;
                    } catch (Throwable e) {
                        unexpected.compareAndSet(null, e);
                        return;
                    }
                }
            };
            appenders.add(virtual ? Thread.ofVirtual().start(body) : Thread.ofPlatform().start(body));
        }
        while (count.get() < (virtual ? 2_000 : 50_000)) {
            Thread.sleep(1);
        }
        j.close();
        for (Thread t : appenders) {
            t.join();
        }
        assertEquals(null, unexpected.get(), () -> "an appender got " + unexpected.get());
        try (Journal again = Journal.open(dir, o)) {
            List<Long> missing = new ArrayList<>();
            for (Map.Entry<Long, byte[]> e : returned.entrySet()) {
                try {
                    assertArrayEquals(e.getValue(), again.read(e.getKey()).value());
                } catch (LsnNotFoundException gone) {
                    missing.add(e.getKey());
                }
            }
            assertEquals(List.of(), missing.stream().sorted().limit(10).toList(),
                    missing.size() + " of " + returned.size() + " returned records missing after a normal close");
        }
    }

    @Test
    void aCloseCalledDuringAnotherCloseWaitsForIt() throws Exception {
        FaultInjectingIo io = segmentIo();
        Journal j = Journal.open(dir, options(SyncMode.NONE).build(), io);
        j.append(value(1));
        FaultInjectingIo.Gate held = io.gateNth(Call.DATASYNC, 1);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread first = start(thrown, j::close);
        assertTrue(held.awaitReached());
        Thread second = start(thrown, j::close);
        awaitBlocked(second);
        assertTrue(second.isAlive(), "the second close returned before the first made record 1 durable");
        assertInstanceOf(JournalClosedException.class, org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                () -> j.append(value(2))));
        held.open();
        first.join();
        second.join();
        assertEquals(null, thrown.get());
        try (Journal again = Journal.open(dir, options(SyncMode.NONE).build())) {
            assertEquals(1, again.lastLsn());
        }
    }
}

package org.wal4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Journal#tail}: records delivered once each, in order, once durable; truncations; close. */
class TailReaderTest {
    @TempDir
    Path tmp;

    private static JournalOptions.Builder small() {
        return JournalOptions.builder().segmentBytes(64 << 10).maxValueBytes(4096);
    }

    private static byte[] value(long writer, long seq) {
        return ("w" + writer + "-" + seq).getBytes(StandardCharsets.UTF_8);
    }

    /** 1000 bytes that say which record they are: 300 of them fill several 64 KiB segments. */
    private static byte[] big(long seq) {
        byte[] v = java.util.Arrays.copyOf(value(0, seq), 1000);
        v[999] = (byte) seq;
        return v;
    }

    @Test
    void aVirtualThreadFollowsConcurrentWritersAndSeesEveryRecordOnceInOrderOnlyWhenDurable() throws Exception {
        int writers = 4;
        int perWriter = 500;
        try (Journal j = Journal.open(tmp.resolve("j"), small().build())) { // ALWAYS: each append durable when it returns
            ConcurrentHashMap<Long, byte[]> written = new ConcurrentHashMap<>();
            List<JournalRecord> seen = new ArrayList<>();
            AtomicReference<Throwable> tailFailure = new AtomicReference<>();
            long[] notYetDurable = {0};
            Thread tail = Thread.ofVirtual().start(() -> {
                try (TailReader t = j.tail(1)) {
                    while (seen.size() < writers * perWriter) {
                        JournalRecord r = t.poll(Duration.ofSeconds(30));
                        assertNotNull(r, "a record within 30 s; seen " + seen.size());
                        if (r.lsn() > j.durableLsn()) {
                            notYetDurable[0]++;
                        }
                        seen.add(r);
                    }
                } catch (Throwable e) {
                    tailFailure.set(e);
                }
            });
            List<Thread> threads = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int writer = w;
                threads.add(Thread.ofPlatform().start(() -> {
                    for (int i = 0; i < perWriter; i++) {
                        try {
                            byte[] v = value(writer, i);
                            written.put(j.append(v), v);
                        } catch (IOException e) {
                            throw new AssertionError(e);
                        }
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            tail.join(TimeUnit.SECONDS.toMillis(60));
            assertNull(tailFailure.get(), () -> "the tail reader failed: " + tailFailure.get());
            assertEquals(writers * perWriter, seen.size());
            for (int i = 0; i < seen.size(); i++) {
                JournalRecord r = seen.get(i);
                assertEquals(i + 1, r.lsn(), "in LSN order, each once");
                assertArrayEquals(written.get(r.lsn()), r.value());
            }
            assertEquals(0, notYetDurable[0], "no record was delivered before it was durable");
        }
    }

    @Test
    void inNoneModeARecordIsDeliveredOnlyAfterTheSyncThatMakesItDurable() throws Exception {
        try (Journal j = Journal.open(tmp.resolve("j"), small().syncPolicy(SyncMode.NONE).build());
                TailReader t = j.tail(1)) {
            j.append(new byte[] {1});
            j.append(new byte[] {2});
            assertNull(t.poll(Duration.ZERO), "appended, not durable: nothing yet");
            assertNull(t.poll(Duration.ofMillis(50)), "still not durable after a wait");
            j.sync();
            assertEquals(1, t.poll(Duration.ZERO).lsn());
            assertEquals(2, t.next().lsn());
            assertEquals(3, t.position());
        }
    }

    /** {@code t.next()} in another thread. */
    private static CompletableFuture<JournalRecord> nextAsync(TailReader t) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return t.next();
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
    }

    @Test
    void aBlockedReaderWakesWhenARecordBecomesDurableAndWhenClosed() throws Exception {
        try (Journal j = Journal.open(tmp.resolve("j"), small().build())) {
            TailReader t = j.tail(1);
            CompletableFuture<JournalRecord> waiting = nextAsync(t);
            Thread.sleep(50);
            long lsn = j.append("late".getBytes(StandardCharsets.UTF_8));
            assertEquals(lsn, waiting.get(30, TimeUnit.SECONDS).lsn());

            CompletableFuture<JournalRecord> blocked = nextAsync(t);
            Thread.sleep(50);
            t.close();
            assertNull(blocked.get(30, TimeUnit.SECONDS), "close from another thread ends the wait");
            assertThrows(IllegalStateException.class, t::next);
        }
    }

    @Test
    void startsAtTheGivenLsnAndReadsWhatRecoveryKept() throws Exception {
        Path dir = tmp.resolve("j");
        try (Journal j = Journal.open(dir, small().build())) {
            for (int i = 1; i <= 300; i++) { // several segments
                j.append(big(i));
            }
        }
        try (Journal j = Journal.open(dir, small().build()); TailReader t = j.tail(250)) {
            for (int i = 250; i <= 300; i++) {
                JournalRecord r = t.poll(Duration.ZERO);
                assertNotNull(r, "recovered records are durable at open: lsn " + i);
                assertEquals(i, r.lsn());
                assertArrayEquals(big(i), r.value());
            }
            assertNull(t.poll(Duration.ZERO));
        }
    }

    @Test
    void aTruncateBackOfUndeliveredRecordsIsFollowedAndOfDeliveredOnesEndsTheReader() throws Exception {
        try (Journal j = Journal.open(tmp.resolve("j"), small().build()); TailReader t = j.tail(1)) {
            for (int i = 1; i <= 10; i++) {
                j.append(value(0, i));
            }
            for (int i = 1; i <= 5; i++) {
                assertEquals(i, t.next().lsn());
            }
            j.truncateBack(7); // removes 8..10, not delivered yet
            j.append("new 8".getBytes(StandardCharsets.UTF_8));
            assertEquals(6, t.next().lsn());
            assertEquals(7, t.next().lsn());
            JournalRecord eight = t.next();
            assertEquals(8, eight.lsn());
            assertArrayEquals("new 8".getBytes(StandardCharsets.UTF_8), eight.value(), "the record appended again at 8");
            assertNull(t.poll(Duration.ZERO));

            j.truncateBack(6); // removes 7 and 8, both delivered
            IOException e = assertThrows(IOException.class, () -> t.poll(Duration.ZERO));
            assertTrue(e.getMessage().contains("above lsn=6") && e.getMessage().contains("delivered up to lsn=8"), e.getMessage());
            assertThrows(IOException.class, t::next, "it stays ended");
        }
    }

    @Test
    void aResetEndsAReaderThatDeliveredRecordsAndNotOneThatDeliveredNone() throws Exception {
        try (Journal j = Journal.open(tmp.resolve("j"), small().build())) {
            j.append(new byte[] {1});
            TailReader delivered = j.tail(1);
            TailReader caughtUp = j.tail(2);
            assertEquals(1, delivered.next().lsn());
            j.reset();
            assertThrows(IOException.class, () -> delivered.poll(Duration.ZERO));
            long lsn = j.append(new byte[] {2});
            assertEquals(lsn, caughtUp.next().lsn(), "LSNs go on after a reset: the new record is delivered");
            delivered.close();
            caughtUp.close();
        }
    }

    @Test
    void aTruncateFrontPastARecordNotYetDeliveredEndsTheReader() throws Exception {
        try (Journal j = Journal.open(tmp.resolve("j"), small().build())) {
            for (int i = 1; i <= 300; i++) {
                j.append(big(i));
            }
            try (TailReader slow = j.tail(1); TailReader ahead = j.tail(1)) {
                assertEquals(1, slow.next().lsn());
                JournalRecord r;
                while ((r = ahead.poll(Duration.ZERO)) != null && r.lsn() < 300) {
                    // read to the end
                }
                assertTrue(j.truncateFront(290) > 0, "segments went");
                IOException e = assertThrows(IOException.class, () -> slow.poll(Duration.ZERO));
                assertTrue(e.getMessage().contains("truncateFront") && e.getMessage().contains("lsn=2"), e.getMessage());
                long next = j.append(new byte[] {9});
                assertEquals(next, ahead.next().lsn(), "a reader past the truncation goes on");
            }
        }
    }

    @Test
    void aClosedJournalEndsItsReaders() throws Exception {
        Journal j = Journal.open(tmp.resolve("j"), small().build());
        TailReader t = j.tail(1);
        CompletableFuture<Throwable> blocked = CompletableFuture.supplyAsync(() -> {
            try {
                t.next();
                return null;
            } catch (Exception e) {
                return e;
            }
        });
        Thread.sleep(50);
        j.close();
        assertTrue(blocked.get(30, TimeUnit.SECONDS) instanceof JournalClosedException, "a blocked reader learns of the close");
        assertThrows(JournalClosedException.class, t::next);
    }

    /**
     * Writers append while another thread truncates the back now and then: the reader
     * delivers strictly increasing LSNs, each record the one written at its LSN (never stale
     * bytes of a removed one), and when it ends, a truncation below what it delivered did
     * happen. Then a new reader takes over from the journal's end. Timing-bound: it found a
     * reader that bounded its walk by a watermark read before a truncation lowered it (about
     * one run in 40; run it repeated to look for such races).
     */
    @Test
    void concurrentTruncationsEitherAreFollowedOrEndTheReaderWithCause() throws Exception {
        try (Journal j = Journal.open(tmp.resolve("j"), small().syncPolicy(SyncMode.NONE).build())) {
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.atomic.AtomicLong lowestCut = new java.util.concurrent.atomic.AtomicLong(Long.MAX_VALUE);
            java.util.concurrent.atomic.AtomicLong generation = new java.util.concurrent.atomic.AtomicLong();
            Thread writer = Thread.ofPlatform().start(() -> {
                try {
                    while (!stop.get()) {
                        // the record names its own LSN (the caller's LSN: above the last even if a truncation
                        // runs between this line and the next)
                        long lsn = Math.max(j.lastLsn(), 0) + 1;
                        j.append(lsn, 0, new byte[0], ("lsn " + lsn + " gen " + generation.get()).getBytes(StandardCharsets.UTF_8));
                        if (lsn % 16 == 0) {
                            j.sync();
                        }
                    }
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            });
            Thread truncator = Thread.ofPlatform().start(() -> {
                java.util.Random random = new java.util.Random(7);
                try {
                    while (!stop.get()) {
                        Thread.sleep(random.nextInt(20));
                        long last = j.lastLsn();
                        long cut = Math.max(0, last - random.nextInt(40));
                        synchronized (lowestCut) {
                            generation.incrementAndGet();
                            j.truncateBack(cut);
                            lowestCut.accumulateAndGet(cut, Math::min);
                        }
                    }
                } catch (IOException | InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
            int delivered = 0;
            int ended = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            TailReader t = j.tail(1);
            long previous = 0;
            while (System.nanoTime() < deadline) {
                try {
                    JournalRecord r = t.poll(Duration.ofMillis(100));
                    if (r == null) {
                        continue;
                    }
                    assertTrue(r.lsn() > previous, "LSNs increase: " + r.lsn() + " after " + previous);
                    String v = new String(r.value(), StandardCharsets.UTF_8);
                    assertTrue(v.startsWith("lsn " + r.lsn() + " gen "), "the record at lsn " + r.lsn() + " is its own: " + v);
                    previous = r.lsn();
                    delivered++;
                } catch (IOException e) {
                    assertTrue(e.getMessage().contains("had delivered up to lsn=" + previous), e.getMessage());
                    synchronized (lowestCut) {
                        assertTrue(lowestCut.get() < previous, "a truncation below lsn " + previous + " happened");
                        lowestCut.set(Long.MAX_VALUE);
                    }
                    ended++;
                    t.close();
                    previous = j.lastLsn();
                    t = j.tail(previous + 1);
                }
            }
            stop.set(true);
            writer.join();
            truncator.join();
            t.close();
            assertTrue(delivered > 0, "delivered " + delivered + ", ended " + ended);
            System.out.printf("tail under truncations: %d records delivered, %d readers ended by a truncation of"
                    + " delivered records%n", delivered, ended);
        }
    }
}

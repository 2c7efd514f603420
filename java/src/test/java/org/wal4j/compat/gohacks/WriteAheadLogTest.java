package org.wal4j.compat.gohacks;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.wal4j.format.WalxFormat;
import org.wal4j.io.IoCallException;

/** The API: appends, errors, sync policy, background thread, fail-stop, concurrency, close. */
class WriteAheadLogTest {
    private static final Duration FOREVER = Duration.ofHours(1);

    @TempDir
    Path dir;

    private final List<WriteAheadLog> opened = new ArrayList<>();

    @AfterEach
    void closeAll() {
        for (WriteAheadLog wal : opened) {
            try {
                wal.close();
            } catch (IOException | RuntimeException e) {
                // a test that failed the log on purpose
            }
        }
        assertEquals(List.of(), syncThreads(), "no background sync thread outlives its log");
    }

    private WriteAheadLog open(Policy policy, CountingIo io) throws IOException {
        WriteAheadLog wal = WriteAheadLog.open(dir.resolve("test.wal"), policy, io);
        opened.add(wal);
        return wal;
    }

    private WriteAheadLog open(Policy policy) throws IOException {
        return open(policy, new CountingIo());
    }

    private static List<String> syncThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .map(Thread::getName)
                .filter(n -> n.startsWith("wal4j-gohacks-sync"))
                .toList();
    }

    private static byte[] bytes(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (seed * 31 + i);
        }
        return b;
    }

    record Rec(long lsn, long ts, byte[] key, byte[] value) {}

    private static List<Rec> replayAll(WriteAheadLog wal, long base) throws IOException {
        List<Rec> out = new ArrayList<>();
        wal.replay(base, (lsn, ts, key, value) -> out.add(new Rec(lsn, ts, key, value)));
        return out;
    }

    /** Waits for a condition the log reaches by itself (no bound on how soon: no timing assertion). */
    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("gave up waiting (60 s) for: " + what);
            }
            Thread.sleep(1);
        }
    }

    // ------------------------------------------------------------ basics

    @Test
    void appendedRecordsReplayInOrderAfterReopen() throws IOException {
        try (WriteAheadLog wal = open(Policy.defaults())) {
            wal.append(1, 10, bytes(3, 1), bytes(100, 1));
            wal.append(2, 20, null, null);
            wal.append(5, 0, new byte[0], bytes(2048, 5));
            wal.append(0xFFFF_FFFF_FFFF_FFFFL, Long.MAX_VALUE, bytes(256, 6), new byte[0]);
            assertEquals(0xFFFF_FFFF_FFFF_FFFFL, wal.lastLsn());
        }
        try (WriteAheadLog wal = open(Policy.defaults())) {
            List<Rec> recs = replayAll(wal, 0);
            assertEquals(4, recs.size());
            assertAll(
                    () -> assertEquals(1, recs.get(0).lsn()),
                    () -> assertEquals(10, recs.get(0).ts()),
                    () -> assertArrayEquals(bytes(3, 1), recs.get(0).key()),
                    () -> assertArrayEquals(bytes(100, 1), recs.get(0).value()),
                    () -> assertArrayEquals(new byte[0], recs.get(1).key(), "null key is empty"),
                    () -> assertArrayEquals(new byte[0], recs.get(1).value(), "null value is empty"),
                    () -> assertArrayEquals(bytes(2048, 5), recs.get(2).value()),
                    () -> assertEquals(0xFFFF_FFFF_FFFF_FFFFL, recs.get(3).lsn()),
                    () -> assertEquals(Long.MAX_VALUE, recs.get(3).ts()));
            assertEquals(0xFFFF_FFFF_FFFF_FFFFL, wal.lastLsn());
            assertEquals(List.of(0xFFFF_FFFF_FFFF_FFFFL), replayAll(wal, 5).stream().map(Rec::lsn).toList(),
                    "the base is compared unsigned");
        }
    }

    @Test
    void replayReturnsTheHighestAppliedLsnOrTheBase() throws IOException {
        try (WriteAheadLog wal = open(Policy.defaults())) {
            assertEquals(7, wal.replay(7, (lsn, ts, k, v) -> fail("empty log")));
            wal.append(3, 1, null, null);
            wal.append(9, 1, null, null);
            assertEquals(9, wal.replay(0, (lsn, ts, k, v) -> {}));
            assertEquals(9, wal.replay(3, (lsn, ts, k, v) -> {}));
            assertEquals(12, wal.replay(12, (lsn, ts, k, v) -> fail("nothing above 12")));
        }
    }

    @Test
    void eachAppendIsOneWriteOfExactlyTheRecord() throws IOException {
        CountingIo io = new CountingIo();
        try (WriteAheadLog wal = open(Policy.defaults(), io)) {
            int before = io.writes.get();
            long size = wal.sizeBytes();
            wal.append(1, 1, bytes(10, 1), bytes(20, 1));
            assertEquals(before + 1, io.writes.get());
            assertEquals(size + WalxFormat.recordLength(10, 20), wal.sizeBytes());
            assertEquals(wal.sizeBytes(), Files.size(wal.path()), "no user-space buffering");
        }
    }

    @Test
    void replayAndOpenReadInLargeChunksNotPerRecord() throws IOException {
        int n = 20_000;
        try (WriteAheadLog wal = open(Policy.defaults())) {
            for (int i = 1; i <= n; i++) {
                wal.append(i, i, bytes(8, i), bytes(100, i));
            }
        }
        CountingIo io = new CountingIo();
        try (WriteAheadLog wal = open(Policy.defaults(), io)) {
            long size = wal.sizeBytes();
            assertTrue(size > 2L * ReadWindow.CHUNK_BYTES, "size=" + size);
            long chunks = size / (ReadWindow.CHUNK_BYTES - 4096) + 1;
            assertTrue(io.reads.get() <= chunks + 1, "open: reads=" + io.reads.get() + " chunks=" + chunks);
            io.reads.set(0);
            int[] records = {0};
            wal.replay(0, (lsn, ts, k, v) -> records[0]++);
            assertEquals(n, records[0]);
            assertTrue(io.reads.get() <= chunks, "replay: reads=" + io.reads.get() + " chunks=" + chunks);
        }
    }

    @Test
    void openWalTakesSyncEveryBytesAndDefaultLimits() throws IOException {
        try (WriteAheadLog wal = WriteAheadLog.open(dir.resolve("openwal.wal"), 4 << 20)) {
            assertEquals(new Policy(4 << 20, Duration.ZERO, 2048, 256), wal.policy());
            String expected = System.getProperty("wal4j.test.expectedBackend");
            if (expected != null) {
                assertEquals(expected, wal.ioBackend(), "the backend this surefire run is meant to use");
            }
        }
    }

    // ------------------------------------------------------------ error kinds

    @Test
    void keyTooLargeNamesTheSizes() throws IOException {
        try (WriteAheadLog wal = open(Policy.defaults())) {
            KeyTooLarge e = assertThrows(KeyTooLarge.class, () -> wal.append(1, 1, new byte[300], null));
            assertEquals("key too large: keyBytes=300 maxKeyBytes=256", e.getMessage());
            assertEquals(300, e.keyBytes());
            assertEquals(256, e.maxKeyBytes());
            assertDoesNotThrow(() -> wal.append(1, 1, new byte[256], null), "exactly the limit is fine");
        }
    }

    @Test
    void valueTooLargeNamesTheSizes() throws IOException {
        try (WriteAheadLog wal = open(new Policy(0, null, 100, 0))) {
            ValueTooLarge e = assertThrows(ValueTooLarge.class, () -> wal.append(1, 1, null, new byte[101]));
            assertEquals("value too large: valueBytes=101 maxValueBytes=100", e.getMessage());
            assertDoesNotThrow(() -> wal.append(1, 1, null, new byte[100]));
        }
    }

    @Test
    void negativeTimestampIsRefused() throws IOException {
        try (WriteAheadLog wal = open(Policy.defaults())) {
            TimestampNegative e = assertThrows(TimestampNegative.class, () -> wal.append(1, -1, null, null));
            assertEquals("negative value timestamp: timestamp=-1", e.getMessage());
            assertEquals(-1, e.timestamp());
            assertDoesNotThrow(() -> wal.append(1, 0, null, null));
        }
    }

    @Test
    void recordTooLargeNamesTheSizes() {
        // Lengths only: a record this large would need gigabytes of test data.
        RecordTooLarge e = assertThrows(RecordTooLarge.class,
                () -> WriteAheadLog.checkRecordLength(Integer.MAX_VALUE, Integer.MAX_VALUE));
        assertEquals("record too large: recordBytes=" + (2L * Integer.MAX_VALUE + 32)
                + " maxRecordBytes=" + WriteAheadLog.MAX_RECORD_BYTES, e.getMessage());
        assertDoesNotThrow(() -> WriteAheadLog.checkRecordLength(0, WriteAheadLog.MAX_RECORD_BYTES - 32));
        assertThrows(RecordTooLarge.class, () -> WriteAheadLog.checkRecordLength(1, WriteAheadLog.MAX_RECORD_BYTES - 32));
    }

    @Test
    void timestampTooBigNamesTheStoredValue() {
        TimestampTooBig e = new TimestampTooBig("ts", -1L);
        assertEquals("timestamp too big: ts=18446744073709551615 max=9223372036854775807", e.getMessage());
        assertInstanceOf(IllegalArgumentException.class, e);
    }

    @Test
    void shortWriteIsAnIOExceptionNamingTheFacts() {
        ShortWrite e = new ShortWrite(Path.of("/d/f"), 24, 100, 0);
        assertEquals("short write: path=/d/f offset=24 length=100 written=0", e.getMessage());
        assertInstanceOf(IOException.class, e);
    }

    @Test
    void argumentErrorsAreIllegalArgumentsAndFileErrorsAreIOExceptions() {
        assertAll(
                () -> assertInstanceOf(IllegalArgumentException.class, new KeyTooLarge(1, 0)),
                () -> assertInstanceOf(IllegalArgumentException.class, new ValueTooLarge(1, 0)),
                () -> assertInstanceOf(IllegalArgumentException.class, new RecordTooLarge(1, 0)),
                () -> assertInstanceOf(IllegalArgumentException.class, new TimestampNegative(-1)),
                () -> assertInstanceOf(IOException.class, new InvalidHeader(Path.of("f"), 3, "x", null)),
                () -> assertInstanceOf(IOException.class, new InvalidLog(Path.of("f"), 3, "x")));
    }

    @Test
    void lsnMustIncrease() throws IOException {
        try (WriteAheadLog wal = open(Policy.defaults())) {
            IllegalArgumentException zero = assertThrows(IllegalArgumentException.class, () -> wal.append(0, 1, null, null));
            assertTrue(zero.getMessage().startsWith("lsn=0 must be greater than lastLsn=0 (LSN 0 is reserved"),
                    zero.getMessage());
            wal.append(5, 1, null, null);
            IllegalArgumentException same = assertThrows(IllegalArgumentException.class, () -> wal.append(5, 1, null, null));
            assertTrue(same.getMessage().startsWith("lsn=5 must be greater than lastLsn=5"), same.getMessage());
            assertThrows(IllegalArgumentException.class, () -> wal.append(4, 1, null, null));
            wal.append(-1L, 1, null, null); // 2^64-1, unsigned: greater than 5
            IllegalArgumentException top = assertThrows(IllegalArgumentException.class, () -> wal.append(6, 1, null, null));
            assertTrue(top.getMessage().contains("lastLsn=18446744073709551615"), top.getMessage());
            assertFalse(wal.isFailed(), "bad arguments do not fail the log");
            assertEquals(2, replayAll(wal, 0).size());
        }
    }

    @Test
    void reopenedLogRemembersItsGreatestLsn() throws IOException {
        try (WriteAheadLog wal = open(Policy.defaults())) {
            wal.append(41, 1, null, null);
            wal.append(42, 1, null, null);
        }
        try (WriteAheadLog wal = open(Policy.defaults())) {
            assertEquals(42, wal.lastLsn());
            assertThrows(IllegalArgumentException.class, () -> wal.append(42, 1, null, null));
            wal.append(43, 1, null, null);
        }
    }

    // ------------------------------------------------------------ policy

    @Test
    void policyZeroesMeanTheSeedsDefaults() {
        Policy p = new Policy(0, null, 0, 0);
        assertEquals(Policy.defaults(), p);
        assertEquals(2048, p.maxValueBytes());
        assertEquals(256, p.maxKeyBytes());
        assertEquals(Duration.ZERO, p.syncEvery());
        assertEquals(0, p.syncEveryBytes());
        assertThrows(IllegalArgumentException.class, () -> new Policy(-1, null, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Policy(0, Duration.ofSeconds(-1), 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Policy(0, null, -1, 0));
        assertThrows(IllegalArgumentException.class, () -> new Policy(0, null, 0, -1));
        assertThrows(IllegalArgumentException.class, () -> new Policy(0, Duration.ofDays(365L * 1000), 0, 0));
    }

    @Test
    void syncEveryBytesSyncsWhenTheUnsyncedBytesReachIt() throws IOException {
        CountingIo io = new CountingIo();
        long recordBytes = WalxFormat.recordLength(4, 60); // 96
        try (WriteAheadLog wal = open(new Policy(200, null, 0, 0), io)) {
            int base = io.datasyncs.get();
            for (int i = 1; i <= 9; i++) {
                wal.append(i, i, bytes(4, i), bytes(60, i));
                long expectedSyncs = i * recordBytes / 288; // a sync after every third record (288 >= 200)
                assertEquals(base + expectedSyncs, io.datasyncs.get(), "after append " + i);
            }
            wal.sync();
            assertEquals(base + 3, io.datasyncs.get(), "nothing dirty: sync is a no-op");
            wal.append(10, 1, null, null);
            wal.sync();
            assertEquals(base + 4, io.datasyncs.get());
        }
    }

    @Test
    void syncIsANoOpWhenNothingIsDirtyAndCloseSyncsOnlyIfDirty() throws IOException {
        CountingIo io = new CountingIo();
        WriteAheadLog wal = open(Policy.defaults(), io);
        int base = io.datasyncs.get();
        wal.sync();
        assertEquals(base, io.datasyncs.get());
        wal.append(1, 1, null, null);
        assertEquals(base, io.datasyncs.get(), "no byte threshold: append does not sync");
        wal.close();
        assertEquals(base + 1, io.datasyncs.get(), "close syncs the dirty log");
        wal.close();
        assertEquals(base + 1, io.datasyncs.get(), "close is idempotent");
    }

    @Test
    void setPolicyChangesLimitsForLaterAppends() throws IOException {
        try (WriteAheadLog wal = open(Policy.defaults())) {
            assertThrows(KeyTooLarge.class, () -> wal.append(1, 1, new byte[300], null));
            wal.setPolicy(new Policy(0, null, 0, 512));
            wal.append(1, 1, new byte[300], null);
            assertEquals(512, wal.policy().maxKeyBytes());
            wal.setPolicy(Policy.defaults());
            assertEquals(1, replayAll(wal, 0).size(), "records above the new limit still replay");
        }
    }

    @Test
    void backgroundSyncThreadStartsAndStopsWithSetPolicy() throws IOException {
        WriteAheadLog wal = open(Policy.defaults());
        assertNull(wal.syncThread());
        String name = "wal4j-gohacks-sync " + wal.path();

        wal.setPolicy(new Policy(0, FOREVER, 0, 0));
        Thread first = wal.syncThread();
        assertNotNull(first);
        assertEquals(name, first.getName());
        assertTrue(first.isDaemon());
        assertEquals(List.of(name), syncThreads());

        wal.setPolicy(new Policy(0, FOREVER, 0, 100));
        assertSame(first, wal.syncThread(), "same interval: same thread");

        wal.setPolicy(new Policy(0, FOREVER.plusHours(1), 0, 0));
        Thread second = wal.syncThread();
        assertNotSame(first, second, "new interval: new thread");
        assertFalse(first.isAlive(), "the old one has ended");
        assertEquals(List.of(name), syncThreads());

        wal.setPolicy(Policy.defaults());
        assertNull(wal.syncThread());
        assertFalse(second.isAlive());
        assertEquals(List.of(), syncThreads());

        wal.setPolicy(new Policy(0, FOREVER, 0, 0));
        Thread third = wal.syncThread();
        wal.close();
        assertFalse(third.isAlive(), "close ends the thread");
        assertEquals(List.of(), syncThreads());
    }

    @Test
    void openWithSyncEveryStartsTheThreadAndCloseEndsIt() throws IOException {
        WriteAheadLog wal = open(new Policy(0, FOREVER, 0, 0));
        Thread t = wal.syncThread();
        assertTrue(t.isAlive());
        wal.close();
        assertFalse(t.isAlive());
        assertEquals(List.of(), syncThreads());
    }

    @Test
    void backgroundThreadSyncsUnsyncedBytes() throws Exception {
        CountingIo io = new CountingIo();
        WriteAheadLog wal = open(new Policy(0, Duration.ofMillis(2), 0, 0), io);
        int base = io.datasyncs.get();
        wal.append(1, 1, null, bytes(10, 1));
        await("a background fdatasync", () -> io.datasyncs.get() > base);
        int after = io.datasyncs.get();
        wal.close();
        assertEquals(after, io.datasyncs.get(), "close had nothing left to sync");
    }

    // ------------------------------------------------------------ fail-stop

    @Test
    void failedWriteFailsTheLogForGood() throws IOException {
        CountingIo io = new CountingIo();
        WriteAheadLog wal = open(Policy.defaults(), io);
        wal.append(1, 1, null, bytes(10, 1));
        io.failNext(CountingIo.Call.WRITE);
        IoCallException first = assertThrows(IoCallException.class, () -> wal.append(2, 1, null, bytes(10, 2)));
        assertEquals("pwrite", first.call());
        assertTrue(wal.isFailed());

        assertLaterCallsFailWith(wal, first);
        int syncs = io.datasyncs.get();
        IOException onClose = assertThrows(IOException.class, wal::close);
        assertSame(first, onClose.getCause());
        assertEquals(syncs, io.datasyncs.get(), "a failed log is not synced on close");
        assertDoesNotThrow(wal::close, "close stays idempotent");
        assertThrows(IllegalStateException.class, () -> wal.append(3, 1, null, null));

        assertEquals(List.of(1L), lsnsAfterReopen(), "reopen recovers what is on disk");
    }

    @Test
    void failedSyncIsNeverRetried() throws IOException {
        CountingIo io = new CountingIo();
        WriteAheadLog wal = open(new Policy(1, null, 0, 0), io);
        io.failAlways(CountingIo.Call.DATASYNC);
        int before = io.datasyncs.get();
        IoCallException first = assertThrows(IoCallException.class, () -> wal.append(1, 1, null, null));
        assertEquals("fdatasync", first.call());
        assertEquals(before + 1, io.datasyncs.get());

        assertLaterCallsFailWith(wal, first);
        assertThrows(IOException.class, wal::close);
        assertEquals(before + 1, io.datasyncs.get(), "fdatasync was tried exactly once");
        io.failAlways(null);
        assertEquals(List.of(1L), lsnsAfterReopen(), "the write itself reached the file");
    }

    @Test
    void failedResetFailsTheLog() throws IOException {
        CountingIo io = new CountingIo();
        WriteAheadLog wal = open(Policy.defaults(), io);
        wal.append(1, 1, null, null);
        io.failNext(CountingIo.Call.TRUNCATE);
        IoCallException first = assertThrows(IoCallException.class, wal::reset);
        assertLaterCallsFailWith(wal, first);
    }

    @Test
    void failedBackgroundSyncFailsTheLogAndEndsTheThread() throws Exception {
        CountingIo io = new CountingIo();
        WriteAheadLog wal = open(new Policy(0, Duration.ofMillis(2), 0, 0), io);
        Thread t = wal.syncThread();
        io.failAlways(CountingIo.Call.DATASYNC);
        wal.append(1, 1, null, null);
        await("the background sync to fail the log", wal::isFailed);
        t.join(Duration.ofSeconds(60));
        assertFalse(t.isAlive(), "the thread ends once the log failed");
        IOException later = assertThrows(IOException.class, () -> wal.append(2, 1, null, null));
        IoCallException cause = assertInstanceOf(IoCallException.class, later.getCause());
        assertEquals("fdatasync", cause.call());
    }

    private static void assertLaterCallsFailWith(WriteAheadLog wal, IoCallException first) {
        for (var call : List.<org.junit.jupiter.api.function.Executable>of(
                () -> wal.append(100, 1, null, null),
                wal::sync,
                wal::reset,
                () -> wal.replay(0, (lsn, ts, k, v) -> {}))) {
            IOException later = assertThrows(IOException.class, call);
            assertFalse(later instanceof IoCallException, "later calls are not the I/O call itself");
            assertSame(first, later.getCause(), "carries the first failure");
            assertTrue(later.getMessage().startsWith("log failed earlier"), later.getMessage());
            assertTrue(later.getMessage().contains(first.getMessage()), later.getMessage());
        }
    }

    private List<Long> lsnsAfterReopen() throws IOException {
        try (WriteAheadLog wal = WriteAheadLog.open(dir.resolve("test.wal"), Policy.defaults())) {
            return replayAll(wal, 0).stream().map(Rec::lsn).toList();
        }
    }

    // ------------------------------------------------------------ reset, close

    @Test
    void resetDiscardsEveryRecordAndSyncs() throws IOException {
        CountingIo io = new CountingIo();
        try (WriteAheadLog wal = open(Policy.defaults(), io)) {
            wal.append(7, 1, null, bytes(50, 1));
            wal.append(8, 1, null, bytes(50, 2));
            int syncs = io.datasyncs.get();
            wal.reset();
            assertEquals(syncs + 1, io.datasyncs.get());
            assertEquals(WalxFormat.HEADER_LENGTH, Files.size(wal.path()));
            assertEquals(0, wal.lastLsn());
            assertEquals(List.of(), replayAll(wal, 0));
            wal.append(1, 1, null, null);
            assertEquals(1, replayAll(wal, 0).size());
        }
    }

    @Test
    void closedLogRefusesEveryOperation() throws IOException {
        WriteAheadLog wal = open(Policy.defaults());
        wal.append(1, 1, null, null);
        wal.close();
        for (var call : List.<org.junit.jupiter.api.function.Executable>of(
                () -> wal.append(2, 1, null, null),
                wal::sync,
                wal::reset,
                () -> wal.replay(0, (lsn, ts, k, v) -> {}),
                () -> wal.setPolicy(Policy.defaults()))) {
            IllegalStateException e = assertThrows(IllegalStateException.class, call);
            assertEquals("log is closed: path=" + wal.path(), e.getMessage());
        }
        assertDoesNotThrow(wal::close);
        assertEquals(1, wal.lastLsn(), "accessors keep working");
        assertEquals(wal.path(), wal.recovery().path());
    }

    // ------------------------------------------------------------ replay callbacks

    static final class Stop extends Exception {
        Stop(String message) {
            super(message);
        }
    }

    @Test
    void callbackExceptionStopsReplayAndPropagatesUnchanged() throws IOException {
        try (WriteAheadLog wal = open(Policy.defaults())) {
            for (int i = 1; i <= 5; i++) {
                wal.append(i, 1, null, null);
            }
            List<Long> seen = new ArrayList<>();
            Stop stop = new Stop("enough");
            Stop thrown = assertThrows(Stop.class, () -> wal.replay(0, (lsn, ts, k, v) -> {
                seen.add(lsn);
                if (lsn == 3) {
                    throw stop;
                }
            }));
            assertSame(stop, thrown);
            assertEquals(List.of(1L, 2L, 3L), seen);
            IllegalStateException runtime = new IllegalStateException("boom");
            assertSame(runtime, assertThrows(IllegalStateException.class,
                    () -> wal.replay(0, (lsn, ts, k, v) -> { throw runtime; })));
            assertFalse(wal.isFailed(), "a callback's exception does not fail the log");
        }
    }

    @Test
    void callbackMayAppendButNotResetOrClose() throws IOException {
        try (WriteAheadLog wal = open(Policy.defaults())) {
            wal.append(1, 1, null, null);
            wal.append(2, 1, null, null);
            List<Long> seen = new ArrayList<>();
            wal.replay(0, (lsn, ts, k, v) -> {
                seen.add(lsn);
                wal.append(lsn + 10, 1, null, null);
                assertThrows(IllegalStateException.class, wal::reset);
                assertThrows(IllegalStateException.class, wal::close);
            });
            assertEquals(List.of(1L, 2L), seen, "appends made during a replay are not part of it");
            assertEquals(List.of(1L, 2L, 11L, 12L), replayAll(wal, 0).stream().map(Rec::lsn).toList());
        }
    }

    // ------------------------------------------------------------ concurrency

    @Test
    void replayRunsConcurrentlyWithAppendsAndSeesAPrefix() throws Exception {
        int n = 4000;
        try (WriteAheadLog wal = open(new Policy(64 << 10, null, 0, 0))) {
            AtomicBoolean done = new AtomicBoolean();
            AtomicReference<Throwable> error = new AtomicReference<>();
            Thread writer = Thread.ofPlatform().start(() -> {
                try {
                    for (int i = 1; i <= n; i++) {
                        wal.append(i, i, bytes(i % 20, i), bytes(i % 300, i));
                    }
                } catch (Throwable t) {
                    error.set(t);
                } finally {
                    done.set(true);
                }
            });
            List<Thread> readers = new ArrayList<>();
            ConcurrentLinkedQueue<Integer> replayed = new ConcurrentLinkedQueue<>();
            for (int r = 0; r < 2; r++) {
                readers.add(Thread.ofPlatform().start(() -> {
                    try {
                        long previous = 0;
                        boolean last = false;
                        while (!last) {
                            last = done.get();
                            List<Long> lsns = new ArrayList<>();
                            wal.replay(0, (lsn, ts, k, v) -> {
                                int i = (int) lsn;
                                assertEquals(lsns.size() + 1, i, "a contiguous prefix, in order");
                                assertEquals(i, ts);
                                assertArrayEquals(bytes(i % 20, i), k);
                                assertArrayEquals(bytes(i % 300, i), v);
                                lsns.add(lsn);
                            });
                            assertTrue(lsns.size() >= previous, "a later replay never sees less");
                            previous = lsns.size();
                            replayed.add(lsns.size());
                        }
                        assertEquals(n, previous, "the replay that started after the last append sees it all");
                    } catch (Throwable t) {
                        error.compareAndSet(null, t);
                    }
                }));
            }
            writer.join();
            for (Thread t : readers) {
                t.join();
            }
            if (error.get() != null) {
                throw new AssertionError(error.get());
            }
            assertFalse(replayed.isEmpty());
        }
    }

    @Test
    void concurrentAppendersAreSerialized() throws Exception {
        int threads = 4;
        int perThread = 500;
        try (WriteAheadLog wal = open(new Policy(16 << 10, null, 0, 0))) {
            // LSNs must increase, so appenders take them from one counter inside a lock of their own.
            Object lsnLock = new Object();
            long[] next = {1};
            CountDownLatch start = new CountDownLatch(1);
            AtomicReference<Throwable> error = new AtomicReference<>();
            List<Thread> appenders = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                appenders.add(Thread.ofPlatform().start(() -> {
                    try {
                        start.await();
                        for (int i = 0; i < perThread; i++) {
                            synchronized (lsnLock) {
                                long lsn = next[0]++;
                                wal.append(lsn, lsn, null, bytes((int) (lsn % 100), (int) lsn));
                            }
                            if (i % 50 == 0) {
                                wal.sync();
                            }
                        }
                    } catch (Throwable e) {
                        error.compareAndSet(null, e);
                    }
                }));
            }
            start.countDown();
            for (Thread t : appenders) {
                t.join();
            }
            if (error.get() != null) {
                throw new AssertionError(error.get());
            }
        }
        List<Long> lsns = lsnsAfterReopen();
        assertEquals(threads * perThread, lsns.size());
        for (int i = 0; i < lsns.size(); i++) {
            assertEquals(i + 1, lsns.get(i));
        }
    }

    @Test
    void backendMatchesTheSurefireRun() throws IOException {
        String expected = System.getProperty("wal4j.test.expectedBackend");
        assumeTrue(expected != null, "wal4j.test.expectedBackend is not set (not run by the build)");
        try (WriteAheadLog wal = open(Policy.defaults())) {
            assertEquals(expected, wal.ioBackend());
        }
    }
}

package org.wal4j.compat.wally;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.wal4j.io.IoCallException;

class LogTest {

    @TempDir
    Path dir;

    /** Every index mode, durable and not, with the default buffer. */
    static Stream<Options> modes() {
        return Stream.of(false, true).flatMap(noSync -> Stream.of(
                new Options(noSync, 0, false, 0),   // scan
                new Options(noSync, 0, true, 1),    // full index
                new Options(noSync, 0, true, 3),    // sparse, small interval
                new Options(noSync, 0, true, 0)));  // sparse, default 4096
    }

    /** Every index mode with a small buffer (64 bytes), so appends are flushed often. */
    static Stream<Options> smallBufferModes() {
        return modes().map(o -> new Options(o.noSync(), 64, o.retainIndex(), o.checkpointInterval()));
    }

    static Stream<Options> allModes() {
        return Stream.concat(modes(), smallBufferModes());
    }

    private static byte[] payload(int i) {
        byte[] b = new byte[(i * 37) % 300];
        for (int k = 0; k < b.length; k++) {
            b[k] = (byte) (i * 31 + k);
        }
        return b;
    }

    private static byte[] text(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private Path file() {
        return dir.resolve("log.wally");
    }

    @ParameterizedTest
    @MethodSource("allModes")
    void appendReturnsOneBasedIndexesAndEveryRecordReadsBack(Options options) throws IOException {
        try (Log log = Log.open(file(), options)) {
            assertEquals(0, log.lastIndex());
            for (int i = 1; i <= 50; i++) {
                assertEquals(i, log.append(payload(i)));
            }
            assertEquals(50, log.lastIndex());
            for (int i = 1; i <= 50; i++) {
                assertArrayEquals(payload(i), log.read(i), "index " + i);
            }
            for (int i = 50; i >= 1; i--) {
                assertArrayEquals(payload(i), log.read(i), "index " + i + " (backwards)");
            }
        }
        try (Log log = Log.open(file(), options)) {
            assertEquals(50, log.lastIndex());
            assertEquals(0, log.droppedBytes());
            for (int i = 1; i <= 50; i++) {
                assertArrayEquals(payload(i), log.read(i), "index " + i + " after reopen");
            }
            assertEquals(51, log.append(text("more")));
            assertArrayEquals(text("more"), log.read(51));
        }
    }

    @ParameterizedTest
    @MethodSource("allModes")
    void zeroLengthPayloadsAreRecordsToo(Options options) throws IOException {
        try (Log log = Log.open(file(), options)) {
            assertEquals(1, log.append(new byte[0]));
            assertEquals(new Range(2, 4), log.appendBatch(new byte[0], text("x"), new byte[0]));
            assertArrayEquals(new byte[0], log.read(1));
            assertArrayEquals(new byte[0], log.read(2));
            assertArrayEquals(text("x"), log.read(3));
            assertArrayEquals(new byte[0], log.read(4));
            assertEquals(0, log.readInto(4, new byte[0]));
        }
        assertEquals(4 * 16 + 1, Files.size(file()));
        try (Log log = Log.open(file(), options)) {
            assertEquals(4, log.lastIndex());
            assertArrayEquals(new byte[0], log.read(4));
        }
    }

    @ParameterizedTest
    @MethodSource("modes")
    void readsSeeBufferedRecords(Options options) throws IOException {
        CountingIo io = new CountingIo();
        Options buffered = new Options(true, 1 << 20, options.retainIndex(), options.checkpointInterval());
        try (Log log = Log.open(file(), buffered, io)) {
            for (int i = 1; i <= 100; i++) {
                log.append(payload(i));
            }
            assertEquals(0, io.writes.get(), "all 100 records are still in the buffer");
            assertEquals(0, Files.size(file()));
            for (int i = 100; i >= 1; i--) {
                assertArrayEquals(payload(i), log.read(i), "index " + i);
            }
            byte[] dst = new byte[300];
            assertEquals(payload(7).length, log.readInto(7, dst));
            assertArrayEquals(payload(7), Arrays.copyOf(dst, payload(7).length));
            assertEquals(0, io.writes.get());
        }
    }

    @ParameterizedTest
    @MethodSource("modes")
    void readsSpanningTheFileAndTheBufferSeeEveryRecord(Options options) throws IOException {
        Options small = new Options(true, 1000, options.retainIndex(), options.checkpointInterval());
        try (Log log = Log.open(file(), small)) {
            List<byte[]> written = new ArrayList<>();
            for (int i = 1; i <= 40; i++) {
                written.add(payload(i));
                log.append(payload(i));
                for (int k = 1; k <= i; k += 1 + i / 5) {
                    assertArrayEquals(written.get(k - 1), log.read(k), "index " + k + " of " + i);
                }
                assertArrayEquals(payload(i), log.read(i));
            }
            assertTrue(Files.size(file()) > 0 && Files.size(file()) < 40 * 16 + written.stream().mapToInt(b -> b.length).sum(),
                    "some records are in the file, some in the buffer");
        }
    }

    @Test
    void readIntoFillsTheStartOfDstAndReturnsTheLength() throws IOException {
        try (Log log = Log.open(file(), new Options(true, 0, true, 1))) {
            log.append(text("hello"));
            log.append(text("hi"));
            byte[] dst = new byte[16];
            Arrays.fill(dst, (byte) '-');
            assertEquals(5, log.readInto(1, dst));
            assertEquals("hello-----------", new String(dst, StandardCharsets.UTF_8));
            assertEquals(2, log.readInto(2, dst));
            assertEquals("hillo-----------", new String(dst, StandardCharsets.UTF_8));
            byte[] exact = new byte[5];
            assertEquals(5, log.readInto(1, exact));
            assertArrayEquals(text("hello"), exact);
        }
    }

    @Test
    void readIntoATooSmallArrayNamesBothLengthsAndLeavesItAlone() throws IOException {
        try (Log log = Log.open(file(), Options.defaults())) {
            log.append(text("hello world"));
            byte[] dst = {1, 2, 3, 4};
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> log.readInto(1, dst));
            assertTrue(e.getMessage().contains("length=11") && e.getMessage().contains("dst.length=4"), e.getMessage());
            assertArrayEquals(new byte[] {1, 2, 3, 4}, dst);
            assertArrayEquals(text("hello world"), log.read(1), "the log is still usable");
        }
    }

    @ParameterizedTest
    @MethodSource("modes")
    void readIntoReusesOneArrayForEveryRecord(Options options) throws IOException {
        try (Log log = Log.open(file(), options)) {
            for (int i = 1; i <= 30; i++) {
                log.append(payload(i));
            }
            byte[] dst = new byte[300];
            for (int i = 1; i <= 30; i++) {
                int n = log.readInto(i, dst);
                assertArrayEquals(payload(i), Arrays.copyOf(dst, n), "index " + i);
            }
        }
    }

    @Test
    void outOfRangeReadsThrowEofNamingTheIndexAndTheRange() throws IOException {
        try (Log log = Log.open(file(), Options.defaults())) {
            EOFException empty = assertThrows(EOFException.class, () -> log.read(1));
            assertTrue(empty.getMessage().contains("index=1") && empty.getMessage().contains("empty"), empty.getMessage());
            log.appendBatch(text("a"), text("b"), text("c"));
            for (long bad : new long[] {0, 4, -1, Long.MAX_VALUE}) {
                EOFException e = assertThrows(EOFException.class, () -> log.read(bad));
                assertTrue(e.getMessage().contains("index=" + bad) && e.getMessage().contains("[1, 3]"), e.getMessage());
                assertThrows(EOFException.class, () -> log.readInto(bad, new byte[10]));
            }
            assertArrayEquals(text("c"), log.read(3));
        }
    }

    @ParameterizedTest
    @MethodSource("modes")
    void aRecordLargerThanTheBufferIsWrittenThrough(Options options) throws IOException {
        CountingIo io = new CountingIo();
        Options small = new Options(true, 64, options.retainIndex(), options.checkpointInterval());
        byte[] big = new byte[1000];
        new Random(7).nextBytes(big);
        try (Log log = Log.open(file(), small, io)) {
            log.append(text("small"));
            assertEquals(0, io.writes.get());
            log.append(big);
            assertEquals(16 + 5 + 16 + 1000, Files.size(file()), "the buffered record, then the big one, are in the file");
            assertEquals(1 + (int) Math.ceil((16 + 1000 - 64) / 64.0) + 1, io.writes.get(),
                    "one write for the buffer, then the big record in buffer-sized pieces");
            log.append(text("after"));
            assertArrayEquals(big, log.read(2));
            assertArrayEquals(text("small"), log.read(1));
            assertArrayEquals(text("after"), log.read(3));
        }
        try (Log log = Log.open(file(), small)) {
            assertArrayEquals(big, log.read(2));
            byte[] dst = new byte[1000];
            assertEquals(1000, log.readInto(2, dst));
            assertArrayEquals(big, dst);
        }
    }

    @ParameterizedTest
    @MethodSource("allModes")
    void truncateBackKeepsTheFirstRecordsAndAppendsContinue(Options options) throws IOException {
        try (Log log = Log.open(file(), options)) {
            for (int i = 1; i <= 20; i++) {
                log.append(payload(i));
            }
            log.truncateBack(7);
            assertEquals(7, log.lastIndex());
            assertThrows(EOFException.class, () -> log.read(8));
            assertEquals(8, log.append(text("eight")));
            assertArrayEquals(text("eight"), log.read(8));
            for (int i = 1; i <= 7; i++) {
                assertArrayEquals(payload(i), log.read(i));
            }
        }
        long expectedSize = 8 * 16 + 5;
        for (int i = 1; i <= 7; i++) {
            expectedSize += payload(i).length;
        }
        assertEquals(expectedSize, Files.size(file()));
        try (Log log = Log.open(file(), options)) {
            assertEquals(8, log.lastIndex());
            assertArrayEquals(text("eight"), log.read(8));
            assertArrayEquals(payload(3), log.read(3));
        }
    }

    @ParameterizedTest
    @MethodSource("modes")
    void truncateBackToZeroEmptiesTheFile(Options options) throws IOException {
        try (Log log = Log.open(file(), options)) {
            log.appendBatch(text("a"), text("b"));
            log.sync();
            log.append(text("c"));
            log.truncateBack(0);
            assertEquals(0, log.lastIndex());
            assertThrows(EOFException.class, () -> log.read(1));
            assertEquals(0, Files.size(file()));
            assertEquals(1, log.append(text("z")));
            assertArrayEquals(text("z"), log.read(1));
        }
        assertEquals(17, Files.size(file()));
    }

    @Test
    void truncateBackOfBufferedRecordsNeedsNoIo() throws IOException {
        CountingIo io = new CountingIo();
        try (Log log = Log.open(file(), new Options(true, 0, true, 1), io)) {
            log.appendBatch(text("a"), text("b"), text("c"));
            log.truncateBack(1);
            assertEquals(0, io.writes.get() + io.truncates.get() + io.datasyncs.get());
            log.append(text("d"));
            assertArrayEquals(text("d"), log.read(2));
            log.sync();
        }
        assertEquals(34, Files.size(file()));
    }

    @Test
    void truncateBackRejectsBadIndexes() throws IOException {
        try (Log log = Log.open(file(), Options.defaults())) {
            log.appendBatch(text("a"), text("b"));
            EOFException e = assertThrows(EOFException.class, () -> log.truncateBack(3));
            assertTrue(e.getMessage().contains("index=3") && e.getMessage().contains("lastIndex=2"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> log.truncateBack(-1));
            log.truncateBack(2); // no-op
            assertEquals(2, log.lastIndex());
            assertArrayEquals(text("b"), log.read(2));
        }
    }

    @Test
    void durableAppendsWriteOnceAndFdatasyncOncePerCall() throws IOException {
        CountingIo io = new CountingIo();
        try (Log log = Log.open(file(), Options.defaults(), io)) {
            assertEquals(1, io.directorySyncs.get(), "a new file's directory is fsynced");
            io.reset();
            log.append(text("one"));
            assertEquals(1, io.writes.get());
            assertEquals(1, io.datasyncs.get());
            log.appendBatch(text("a"), text("b"), text("c"));
            assertEquals(2, io.writes.get());
            assertEquals(2, io.datasyncs.get());
            Batch batch = new Batch();
            for (int i = 0; i < 100; i++) {
                batch.add(payload(i));
            }
            assertEquals(new Range(5, 104), log.writeBatch(batch));
            assertEquals(3, io.writes.get());
            assertEquals(3, io.datasyncs.get());
            log.truncateBack(50);
            assertEquals(1, io.truncates.get());
            assertEquals(4, io.datasyncs.get(), "a durable truncation is fdatasynced");
            io.reset();
        }
        assertEquals(0, io.writes.get());
        assertEquals(1, io.datasyncs.get(), "close syncs unless noSync");
        io.reset();
        try (Log log = Log.open(file(), Options.defaults(), io)) {
            assertEquals(1, io.directorySyncs.get(), "an existing file's directory is fsynced too (an earlier one may have failed)");
            assertEquals(1, io.datasyncs.get(), "open writes the file back and fdatasyncs it once");
            assertEquals(50, log.lastIndex());
        }
    }

    @Test
    void noSyncLeavesSyncingToSyncAndClose() throws IOException {
        CountingIo io = new CountingIo();
        Log log = Log.open(file(), new Options(true, 0, false, 0), io);
        io.reset();
        log.append(text("one"));
        log.appendBatch(text("a"), text("b"));
        assertEquals(0, io.writes.get());
        assertEquals(0, io.datasyncs.get());
        log.sync();
        assertEquals(1, io.writes.get());
        assertEquals(1, io.datasyncs.get(), "sync() fdatasyncs even with noSync");
        log.sync();
        assertEquals(1, io.writes.get(), "nothing new to write");
        assertEquals(2, io.datasyncs.get());
        log.append(text("two"));
        log.close();
        assertEquals(2, io.writes.get(), "close writes the buffer");
        assertEquals(2, io.datasyncs.get(), "close does not fdatasync with noSync, as go-wally");
        try (Log again = Log.open(file(), Options.defaults())) {
            assertEquals(4, again.lastIndex());
        }
    }

    @Test
    void closedLogRefusesCallsButCloseIsIdempotent() throws IOException {
        Log log = Log.open(file(), Options.defaults());
        log.append(text("x"));
        log.close();
        log.close();
        assertEquals(1, log.lastIndex());
        List<Executable> calls = List.of(
                () -> log.append(text("y")),
                () -> log.appendBatch(text("y")),
                () -> log.appendBatch(),
                () -> log.writeBatch(new Batch()),
                () -> log.read(1),
                () -> log.readInto(1, new byte[4]),
                () -> log.truncateBack(0),
                log::sync);
        for (Executable call : calls) {
            LogClosedException e = assertThrows(LogClosedException.class, call);
            assertTrue(e.getMessage().contains("closed") && e.getMessage().contains(file().toString()), e.getMessage());
        }
    }

    @Test
    void aFailedFdatasyncFailsTheLogAndIsNeverRetried() throws IOException {
        CountingIo io = new CountingIo();
        Log log = Log.open(file(), Options.defaults(), io);
        log.append(text("ok"));
        io.reset();
        io.failNextDatasync = true;
        LogFailedException first = assertThrows(LogFailedException.class, () -> log.append(text("lost?")));
        IoCallException cause = (IoCallException) first.getCause();
        assertEquals("fdatasync", cause.call());
        assertEquals(1, io.datasyncs.get());
        List<Executable> calls = List.of(
                () -> log.append(text("y")),
                () -> log.appendBatch(text("y")),
                () -> log.read(1),
                () -> log.readInto(1, new byte[4]),
                () -> log.truncateBack(0),
                log::sync);
        for (Executable call : calls) {
            LogFailedException e = assertThrows(LogFailedException.class, call);
            assertSame(cause, e.getCause(), "every later call carries the first cause");
        }
        assertEquals(1, io.datasyncs.get(), "fdatasync is not retried");
        log.close();
        assertEquals(1, io.datasyncs.get(), "close of a failed log does not sync either");
        assertThrows(LogClosedException.class, () -> log.read(1));
        try (Log again = Log.open(file(), Options.defaults())) {
            assertArrayEquals(text("ok"), again.read(1));
        }
    }

    @Test
    void aFailedWriteFailsTheLog() throws IOException {
        CountingIo io = new CountingIo();
        Log log = Log.open(file(), new Options(true, 0, true, 1), io);
        log.append(text("buffered"));
        io.failNextWrite = true;
        LogFailedException e = assertThrows(LogFailedException.class, log::sync);
        assertEquals("pwrite", ((IoCallException) e.getCause()).call());
        assertThrows(LogFailedException.class, () -> log.append(text("x")));
        assertEquals(0, io.datasyncs.get());
        log.close();
    }

    @Test
    void aFailedWriteInCloseIsThrownByClose() throws IOException {
        CountingIo io = new CountingIo();
        Log log = Log.open(file(), new Options(true, 0, false, 0), io);
        log.append(text("buffered"));
        io.failNextWrite = true;
        assertThrows(LogFailedException.class, log::close);
        log.close();
        assertThrows(LogClosedException.class, () -> log.read(1));
    }

    @ParameterizedTest
    @MethodSource("modes")
    void batchesAreReusableAndKeepOrder(Options options) throws IOException {
        try (Log log = Log.open(file(), options)) {
            Batch batch = new Batch();
            long expected = 1;
            for (int round = 0; round < 5; round++) {
                batch.reset();
                assertEquals(0, batch.len());
                for (int i = 0; i < 10 + round; i++) {
                    batch.add(text("r" + round + "-" + i));
                }
                assertEquals(10 + round, batch.len());
                assertEquals("r" + round + "-3", new String(batch.records().get(3), StandardCharsets.UTF_8));
                Range range = log.writeBatch(batch);
                assertEquals(new Range(expected, expected + 9 + round), range);
                assertEquals(10 + round, range.count());
                expected += range.count();
            }
            assertEquals(expected - 1, log.lastIndex());
            assertArrayEquals(text("r4-13"), log.read(log.lastIndex()));
            assertArrayEquals(text("r0-0"), log.read(1));
            assertArrayEquals(text("r2-5"), log.read(10 + 11 + 6));
        }
    }

    @Test
    void emptyBatchesGiveAnEmptyRangeAndWriteNothing() throws IOException {
        CountingIo io = new CountingIo();
        try (Log log = Log.open(file(), Options.defaults(), io)) {
            io.reset();
            Range none = log.appendBatch();
            assertTrue(none.isEmpty());
            assertEquals(new Range(1, 0), none);
            assertEquals(0, none.count());
            log.append(text("a"));
            assertEquals(new Range(2, 1), log.writeBatch(new Batch()));
            assertEquals(1, io.writes.get());
            assertEquals(1, io.datasyncs.get());
        }
    }

    @Test
    void aNullRecordRejectsTheWholeBatch() throws IOException {
        try (Log log = Log.open(file(), Options.defaults())) {
            NullPointerException e = assertThrows(NullPointerException.class,
                    () -> log.appendBatch(text("a"), null, text("c")));
            assertTrue(e.getMessage().contains("records[1]"), e.getMessage());
            assertEquals(0, log.lastIndex());
            assertThrows(NullPointerException.class, () -> log.append(null));
            assertThrows(NullPointerException.class, () -> new Batch().add(null));
        }
        assertEquals(0, Files.size(file()));
    }

    @Test
    void concurrentAppendersGetDistinctIndexesInLockOrder() throws Exception {
        int threads = 4;
        int perThread = 200;
        ConcurrentHashMap<Long, String> written = new ConcurrentHashMap<>();
        try (Log log = Log.open(file(), new Options(true, 4096, true, 5));
             ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                futures.add(pool.submit(() -> {
                    start.await();
                    long previous = 0;
                    for (int i = 0; i < perThread; i++) {
                        String value = "t" + id + "-" + i;
                        long index = i % 10 == 0 ? log.appendBatch(text(value)).first() : log.append(text(value));
                        assertTrue(index > previous, "one thread's appends get increasing indexes");
                        previous = index;
                        written.put(index, value);
                        if (i % 7 == 0) {
                            log.read(1 + (i * 31L) % index);
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : futures) {
                f.get();
            }
            assertEquals(threads * perThread, log.lastIndex());
            assertEquals(threads * perThread, written.size());
            for (long i = 1; i <= log.lastIndex(); i++) {
                assertEquals(written.get(i), new String(log.read(i), StandardCharsets.UTF_8));
            }
        }
    }

    @Test
    void lastIndexDoesNotWaitForAnAppendInItsFdatasync() throws Exception {
        CountingIo io = new CountingIo();
        try (Log log = Log.open(file(), Options.defaults(), io);
             ExecutorService pool = Executors.newSingleThreadExecutor()) {
            log.append(text("one"));
            io.datasyncEntered = new CountDownLatch(1);
            io.datasyncRelease = new CountDownLatch(1);
            Future<Long> second = pool.submit(() -> log.append(text("two")));
            io.datasyncEntered.await();
            assertEquals(1, log.lastIndex(), "the append in its fdatasync is not counted yet, and nobody waits");
            io.datasyncEntered = null;
            io.datasyncRelease.countDown();
            assertEquals(2, second.get());
            assertEquals(2, log.lastIndex());
        }
    }

    @Test
    void optionsDefaultsAndValidation() {
        Options d = Options.defaults();
        assertFalse(d.noSync());
        assertFalse(d.retainIndex());
        assertEquals(256 * 1024, d.effectiveBufferSize());
        assertEquals(0, d.effectiveCheckpointInterval());
        assertEquals(4096, new Options(false, 0, true, 0).effectiveCheckpointInterval());
        assertEquals(1, new Options(false, 0, true, 1).effectiveCheckpointInterval());
        assertEquals(100, new Options(false, 100, false, 0).effectiveBufferSize());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Options(false, -1, false, 0));
        assertTrue(e.getMessage().contains("bufferSize=-1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Options(false, 15, false, 0));
        new Options(false, 16, false, 0);
        IllegalArgumentException ci = assertThrows(IllegalArgumentException.class, () -> new Options(false, 0, true, -2));
        assertTrue(ci.getMessage().contains("checkpointInterval=-2"), ci.getMessage());
    }

    @Test
    void rangeValidation() {
        assertEquals(3, new Range(2, 4).count());
        assertFalse(new Range(2, 4).isEmpty());
        assertThrows(IllegalArgumentException.class, () -> new Range(0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Range(5, 3));
    }

    @Test
    void batchRecordsIsALiveReadOnlyView() {
        Batch batch = new Batch();
        List<byte[]> view = batch.records();
        for (int i = 0; i < 40; i++) {
            batch.add(text("r" + i));
        }
        assertEquals(40, view.size());
        assertArrayEquals(text("r39"), view.get(39));
        assertThrows(UnsupportedOperationException.class, () -> view.add(new byte[0]));
        assertThrows(IndexOutOfBoundsException.class, () -> view.get(40));
        batch.reset();
        assertEquals(0, view.size());
        assertSame(view, batch.records());
    }

    /** Random appends, batches, reads, truncations, syncs and re-opens, checked against a list. */
    @ParameterizedTest
    @MethodSource("allModes")
    void randomOperationsMatchAListModel(Options options) throws IOException {
        Random random = new Random(42 + options.hashCode());
        List<byte[]> model = new ArrayList<>();
        Log log = Log.open(file(), options);
        try {
            for (int op = 0; op < 600; op++) {
                int what = random.nextInt(100);
                if (what < 35) {
                    byte[] data = new byte[random.nextInt(random.nextInt(10) == 0 ? 400 : 40)];
                    random.nextBytes(data);
                    assertEquals(model.size() + 1, log.append(data));
                    model.add(data);
                } else if (what < 45) {
                    byte[][] records = new byte[random.nextInt(6)][];
                    for (int i = 0; i < records.length; i++) {
                        records[i] = new byte[random.nextInt(50)];
                        random.nextBytes(records[i]);
                    }
                    Range range = log.appendBatch(records);
                    assertEquals(model.size() + 1, range.first());
                    model.addAll(List.of(records));
                    assertEquals(model.size(), range.last());
                } else if (what < 80) {
                    if (!model.isEmpty()) {
                        int i = 1 + random.nextInt(model.size());
                        assertArrayEquals(model.get(i - 1), log.read(i), "op " + op + " index " + i);
                    }
                } else if (what < 87) {
                    int keep = model.isEmpty() ? 0 : random.nextInt(model.size() + 1);
                    log.truncateBack(keep);
                    model.subList(keep, model.size()).clear();
                } else if (what < 92) {
                    log.sync();
                } else if (what < 95) {
                    log.close();
                    log = Log.open(file(), options);
                } else {
                    for (int i = 1; i <= model.size(); i++) {
                        byte[] dst = new byte[400];
                        int n = log.readInto(i, dst);
                        assertArrayEquals(model.get(i - 1), Arrays.copyOf(dst, n), "op " + op + " sequential " + i);
                    }
                }
                assertEquals(model.size(), log.lastIndex(), "op " + op);
            }
        } finally {
            log.close();
        }
        try (Log again = Log.open(file(), options)) {
            assertEquals(model.size(), again.lastIndex());
            for (int i = 1; i <= model.size(); i++) {
                assertArrayEquals(model.get(i - 1), again.read(i));
            }
        }
    }
}

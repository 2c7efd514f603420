package org.wal4j.compat.wally;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.wal4j.format.WallyFormat;
import org.wal4j.io.Errno;
import org.wal4j.io.IoCallException;

class LogRecoveryTest {

    @TempDir
    Path dir;

    private final List<LogRecord> logged = new ArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            synchronized (logged) {
                logged.add(record);
            }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };
    private final Logger julLogger = Logger.getLogger("org.wal4j.compat.wally");

    @BeforeEach
    void captureLogging() {
        julLogger.addHandler(capture);
    }

    @AfterEach
    void stopCapturing() {
        julLogger.removeHandler(capture);
    }

    static Stream<Options> modes() {
        return LogTest.modes();
    }

    private Path file() {
        return dir.resolve("log.wally");
    }

    private static byte[] text(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Writes records "record-1" .. "record-n" through the port, durably, and returns the file's bytes. */
    private byte[] writeRecords(int n) throws IOException {
        try (Log log = Log.open(file(), Options.defaults())) {
            for (int i = 1; i <= n; i++) {
                log.append(text("record-" + i));
            }
        }
        return Files.readAllBytes(file());
    }

    /** The file offset where record {@code index} starts in a file of "record-i" records. */
    private static long offsetOf(int index) {
        long offset = 0;
        for (int i = 1; i < index; i++) {
            offset += 16 + ("record-" + i).length();
        }
        return offset;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private List<LogRecord> warnings() {
        synchronized (logged) {
            return logged.stream().filter(r -> r.getLevel() == Level.WARNING).toList();
        }
    }

    /** Opens the damaged file, expects n valid records and dropped bytes, and checks the cut. */
    private void expectCutAfter(Options options, int validRecords, long droppedBytes, byte[] damaged) throws IOException {
        try (Log log = Log.open(file(), options)) {
            assertEquals(validRecords, log.lastIndex());
            assertEquals(droppedBytes, log.droppedBytes());
            for (int i = 1; i <= validRecords; i++) {
                assertArrayEquals(text("record-" + i), log.read(i));
            }
            assertArrayEquals(damaged, Files.readAllBytes(file()), "reading alone leaves the file as it was");
            assertEquals(validRecords + 1, log.append(text("new")));
            assertEquals(offsetOf(validRecords + 1), Files.size(file()) - (options.noSync() ? 0 : 19),
                    "the invalid tail was cut before the append");
            assertArrayEquals(text("new"), log.read(validRecords + 1));
        }
        assertEquals(1, warnings().size(), "one warning per open that found a tail");
        String message = warnings().getFirst().getMessage();
        assertTrue(message.contains("droppedBytes=" + droppedBytes) && message.contains(file().toString()), message);
        try (Log log = Log.open(file(), options)) {
            assertEquals(validRecords + 1, log.lastIndex());
            assertEquals(0, log.droppedBytes());
            assertArrayEquals(text("new"), log.read(validRecords + 1));
            assertArrayEquals(text("record-1"), log.read(1));
        }
        assertEquals(1, warnings().size(), "a clean open logs nothing");
    }

    @ParameterizedTest
    @MethodSource("modes")
    void tornTailMidRecordIsCutReportedAndLaterAppendsSurviveReopen(Options options) throws IOException {
        byte[] full = writeRecords(10);
        long tenth = offsetOf(10);
        byte[] damaged = Arrays.copyOf(full, (int) tenth + 20); // header and 4 of the 9 payload bytes
        Files.write(file(), damaged);
        expectCutAfter(options, 9, 20, damaged);
    }

    @ParameterizedTest
    @MethodSource("modes")
    void tornTailInsideTheHeaderIsCut(Options options) throws IOException {
        byte[] full = writeRecords(5);
        byte[] damaged = Arrays.copyOf(full, (int) offsetOf(5) + 7);
        Files.write(file(), damaged);
        expectCutAfter(options, 4, 7, damaged);
    }

    @ParameterizedTest
    @MethodSource("modes")
    void flippedCrcEndsTheLogThere(Options options) throws IOException {
        byte[] damaged = writeRecords(6);
        int sixth = (int) offsetOf(6);
        damaged[sixth + WallyFormat.CRC_OFFSET] ^= 0x01;
        Files.write(file(), damaged);
        expectCutAfter(options, 5, damaged.length - sixth, damaged);
    }

    @ParameterizedTest
    @MethodSource("modes")
    void flippedPayloadByteInTheMiddleEndsTheLogThere(Options options) throws IOException {
        byte[] damaged = writeRecords(8);
        int third = (int) offsetOf(3);
        damaged[third + 16 + 2] ^= 0x40;
        Files.write(file(), damaged);
        expectCutAfter(options, 2, damaged.length - third, damaged);
    }

    @ParameterizedTest
    @MethodSource("modes")
    void garbageAfterTheLastRecordIsCut(Options options) throws IOException {
        byte[] valid = writeRecords(3);
        byte[] garbage = text("#!garbage that is not a record at all, 0123456789");
        byte[] damaged = concat(valid, garbage);
        Files.write(file(), damaged);
        expectCutAfter(options, 3, garbage.length, damaged);
    }

    @Test
    void nonZeroReservedFieldEndsTheLog() throws IOException {
        byte[] damaged = writeRecords(4);
        damaged[(int) offsetOf(4) + WallyFormat.RESERVED_OFFSET] = 1;
        Files.write(file(), damaged);
        expectCutAfter(Options.defaults(), 3, damaged.length - offsetOf(4), damaged);
    }

    @Test
    void hugeLengthInALaterRecordIsATornTailNotAnAllocation() throws IOException {
        byte[] damaged = writeRecords(3);
        ByteBuffer.wrap(damaged).order(ByteOrder.LITTLE_ENDIAN).putLong((int) offsetOf(2), Long.MAX_VALUE - 3);
        Files.write(file(), damaged);
        expectCutAfter(new Options(false, 0, true, 1), 1, damaged.length - offsetOf(2), damaged);
    }

    @Test
    void truncateBackBeforeAnyAppendAlsoCutsTheTailDurably() throws IOException {
        CountingIo io = new CountingIo();
        byte[] full = writeRecords(5);
        Files.write(file(), Arrays.copyOf(full, full.length - 3));
        try (Log log = Log.open(file(), new Options(true, 0, false, 0), io)) {
            assertEquals(4, log.lastIndex());
            io.reset(); // open's own rewrite and fdatasync
            log.truncateBack(2);
            assertEquals(offsetOf(3), Files.size(file()));
            assertEquals(1, io.datasyncs.get(), "the cut is fdatasynced even with noSync");
            assertEquals(3, log.append(text("three")));
            assertEquals(1, io.truncates.get(), "no second cut");
        }
        try (Log log = Log.open(file(), Options.defaults())) {
            assertEquals(3, log.lastIndex());
            assertArrayEquals(text("three"), log.read(3));
        }
    }

    @Test
    void theCutIsFdatasyncedBeforeTheFirstAppendEvenWithNoSync() throws IOException {
        CountingIo io = new CountingIo();
        byte[] full = writeRecords(3);
        Files.write(file(), Arrays.copyOf(full, full.length - 1));
        try (Log log = Log.open(file(), new Options(true, 0, true, 1), io)) {
            assertEquals(0, io.truncates.get(), "open cuts nothing");
            assertEquals(Files.size(file()), full.length - 1, "the torn tail stays while the log is only read");
            io.reset(); // open's own rewrite and fdatasync
            log.append(text("x"));
            assertEquals(1, io.truncates.get());
            assertEquals(1, io.datasyncs.get());
            assertEquals(0, io.writes.get(), "the record itself is buffered");
            log.append(text("y"));
            assertEquals(1, io.truncates.get());
            assertEquals(1, io.datasyncs.get());
        }
    }

    // ---- files that are not logs ----

    private void expectRefusedAndUntouched(byte[] content, String reasonPart) throws IOException {
        Files.write(file(), content);
        for (Options options : LogTest.modes().toList()) {
            InvalidLogException e = assertThrows(InvalidLogException.class, () -> Log.open(file(), options));
            assertEquals(0, e.offset());
            assertEquals(1, e.index());
            assertEquals(file(), e.path());
            assertTrue(e.reason().contains(reasonPart), e.reason());
            assertTrue(e.getMessage().contains("not a wally log") && e.getMessage().contains(file().toString()),
                    e.getMessage());
            assertArrayEquals(content, Files.readAllBytes(file()), "the file is left exactly as it was");
        }
        assertTrue(warnings().isEmpty());
    }

    @Test
    void aTextFileIsNotALogAndIsLeftAlone() throws IOException {
        expectRefusedAndUntouched(text("# my notes\nthis file is not a wally log, please keep it\n"),
                "length runs past the end");
    }

    @Test
    void aFileShorterThanAHeaderIsNotALog() throws IOException {
        expectRefusedAndUntouched(text("abc"), "header cut short");
    }

    @Test
    void aFirstRecordWithABadCrcIsNotALog() throws IOException {
        byte[] bytes = writeRecords(3);
        bytes[20] ^= 0x01;
        expectRefusedAndUntouched(bytes, "CRC32 mismatch");
    }

    @Test
    void aFirstRecordWithNonZeroReservedIsNotALog() throws IOException {
        byte[] bytes = writeRecords(2);
        bytes[WallyFormat.RESERVED_OFFSET + 1] = 9;
        expectRefusedAndUntouched(bytes, "reserved=0x900");
    }

    @Test
    void aHugeFirstLengthIsACleanErrorNotAnOutOfMemoryError() throws IOException {
        byte[] bytes = new byte[64];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -1L); // 2^64 - 1
        expectRefusedAndUntouched(bytes, "length=18446744073709551615");
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, Integer.MAX_VALUE + 10L);
        expectRefusedAndUntouched(bytes, "length=2147483657");
    }

    @Test
    void anEmptyExistingFileIsAnEmptyLog() throws IOException {
        Files.write(file(), new byte[0]);
        CountingIo io = new CountingIo();
        try (Log log = Log.open(file(), Options.defaults(), io)) {
            assertEquals(0, log.lastIndex());
            assertEquals(0, log.droppedBytes());
            assertEquals(0, io.writes.get() + io.datasyncs.get(), "nothing to make durable");
            assertEquals(1, log.append(text("first")));
        }
    }

    @Test
    void zeroFilledSpaceReadsAsEmptyRecordsAsInGoWally() throws IOException {
        byte[] bytes = concat(writeRecords(2), new byte[32]);
        Files.write(file(), bytes);
        try (Log log = Log.open(file(), Options.defaults())) {
            assertEquals(4, log.lastIndex(), "16 zero bytes are a valid empty record (CRC32 of nothing is 0)");
            assertArrayEquals(new byte[0], log.read(4));
            assertEquals(0, log.droppedBytes());
        }
    }

    @Test
    void aRecordChangedOnDiskAfterOpenIsReportedByRead() throws IOException {
        writeRecords(3);
        try (Log log = Log.open(file(), new Options(false, 0, true, 1))) {
            byte[] bytes = Files.readAllBytes(file());
            bytes[(int) offsetOf(2) + 16] ^= 0x01;
            Files.write(file(), bytes);
            InvalidLogException e = assertThrows(InvalidLogException.class, () -> log.read(2));
            assertEquals(2, e.index());
            assertEquals(offsetOf(2), e.offset());
            assertTrue(e.reason().contains("CRC32 mismatch"), e.reason());
            assertArrayEquals(text("record-3"), log.read(3));
        }
    }

    @Test
    void invalidLogExceptionIsAnIoException() {
        assertTrue(IOException.class.isAssignableFrom(InvalidLogException.class));
    }

    /**
     * Open writes the file back through the page cache and fdatasyncs before it returns, so
     * that what it found is durable (after a failed fdatasync the kernel keeps lost pages
     * cached, marked clean; see Log's "Recovery"); a failure of that fdatasync fails the open.
     * A file that is not a log gets no write at all.
     */
    @Test
    void openMakesWhatItFoundDurableOrFails() throws IOException {
        byte[] full = writeRecords(3);
        CountingIo io = new CountingIo();
        try (Log log = Log.open(file(), new Options(true, 0, true, 1), io)) {
            assertEquals(3, log.lastIndex());
            assertEquals(1, io.writes.get(), "one write back of the file (one chunk)");
            assertEquals(1, io.datasyncs.get());
            assertEquals(1, io.directorySyncs.get());
        }
        assertArrayEquals(full, Files.readAllBytes(file()), "the same bytes");

        CountingIo failing = new CountingIo();
        failing.failNextDatasync = true;
        IoCallException e = assertThrows(IoCallException.class, () -> Log.open(file(), Options.defaults(), failing));
        assertEquals(Errno.EIO, e.errno());

        byte[] notALog = text("# my notes, not a wally log\n");
        Files.write(file(), notALog);
        CountingIo refusing = new CountingIo();
        assertThrows(InvalidLogException.class, () -> Log.open(file(), Options.defaults(), refusing));
        assertEquals(0, refusing.writes.get() + refusing.datasyncs.get(), "a file that is not a log is not written");
        assertArrayEquals(notALog, Files.readAllBytes(file()));
    }
}

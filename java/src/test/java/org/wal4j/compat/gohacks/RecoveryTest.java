package org.wal4j.compat.gohacks;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.wal4j.format.WalxFormat;
import org.wal4j.format.WalxFormat.RecordState;
import org.wal4j.io.IoCallException;

/** What open does with the files it finds: new, empty, valid, torn, damaged, foreign. */
class RecoveryTest {

    @TempDir
    Path dir;

    // ------------------------------------------------------------ helpers

    static byte[] key(long i) {
        return ("key-" + i).getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] value(long i) {
        byte[] v = new byte[(int) (i * 37 % 500)];
        Arrays.fill(v, (byte) i);
        return v;
    }

    static long recordBytes(long i) {
        return WalxFormat.recordLength(key(i).length, value(i).length);
    }

    /** Writes records 1..n (lsn i, ts 1000 + i) to a new log at {@code path}. */
    static void writeLog(Path path, long n) throws IOException {
        try (WriteAheadLog wal = WriteAheadLog.open(path, Policy.defaults())) {
            for (long i = 1; i <= n; i++) {
                wal.append(i, 1000 + i, key(i), value(i));
            }
        }
    }

    /** The file offset of record i (1-based) in a log written by {@link #writeLog}. */
    static long offsetOf(long i) {
        return WalxFormat.HEADER_LENGTH + LongStream.range(1, i).map(RecoveryTest::recordBytes).sum();
    }

    static List<Long> replayLsns(Path path) throws IOException {
        try (WriteAheadLog wal = WriteAheadLog.open(path, Policy.defaults())) {
            List<Long> lsns = new ArrayList<>();
            wal.replay(0, (lsn, ts, k, v) -> {
                assertEquals(1000 + lsn, ts);
                assertArrayEquals(key(lsn), k);
                assertArrayEquals(value(lsn), v);
                lsns.add(lsn);
            });
            return lsns;
        }
    }

    static List<Long> range(long from, long to) {
        return LongStream.rangeClosed(from, to).boxed().toList();
    }

    static void truncate(Path path, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.WRITE)) {
            ch.truncate(size);
        }
    }

    static void appendBytes(Path path, byte[] bytes) throws IOException {
        Files.write(path, bytes, StandardOpenOption.APPEND);
    }

    static void pokeBytes(Path path, long offset, byte[] bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(bytes), offset);
        }
    }

    static void flipByte(Path path, long offset) throws IOException {
        byte[] all = Files.readAllBytes(path);
        pokeBytes(path, offset, new byte[] {(byte) ~all[(int) offset]});
    }

    static String hash(Path path) throws IOException {
        return GohacksFixture.sha256(Files.readAllBytes(path));
    }

    /** Opens, checks the report, appends record n + 1... and checks a reopen replays it all. */
    private RecoveryReport openCutAndAppend(Path path, long validRecords, long expectedDropped, RecordState state)
            throws IOException {
        long sizeBefore = Files.size(path);
        CountingIo io = new CountingIo();
        RecoveryReport r;
        try (WriteAheadLog wal = WriteAheadLog.open(path, Policy.defaults(), io)) {
            r = wal.recovery();
            RecoveryReport report = r;
            assertAll(report.toString(),
                    () -> assertTrue(report.droppedTail()),
                    () -> assertEquals(sizeBefore, report.fileBytes()),
                    () -> assertEquals(validRecords, report.records()),
                    () -> assertEquals(validRecords, report.lastLsn()),
                    () -> assertEquals(offsetOf(validRecords + 1), report.validBytes()),
                    () -> assertEquals(expectedDropped, report.bytesDropped()),
                    () -> assertEquals(TailState.of(state), report.tailState()),
                    () -> assertFalse(report.tailDetail().isEmpty()));
            assertEquals(r.validBytes(), Files.size(path), "cut before open returned");
            assertEquals(1, io.truncates.get());
            assertTrue(io.datasyncs.get() >= 1, "the cut is synced before open returns");
            for (long i = validRecords + 1; i <= validRecords + 3; i++) {
                wal.append(i, 1000 + i, key(i), value(i));
            }
        }
        assertEquals(range(1, validRecords + 3), replayLsns(path), "appends after the cut are replayed");
        return r;
    }

    // ------------------------------------------------------------ new and empty files

    @Test
    void missingFileIsCreatedWithAHeaderAndTheDirectorySynced() throws IOException {
        Path path = dir.resolve("new.wal");
        CountingIo io = new CountingIo();
        long before = Instant.now().getEpochSecond();
        try (WriteAheadLog wal = WriteAheadLog.open(path, Policy.defaults(), io)) {
            assertTrue(wal.recovery().headerWritten());
            assertEquals(0, wal.recovery().records());
            assertEquals(0, wal.lastLsn());
        }
        long after = Instant.now().getEpochSecond();
        assertHeaderWritten(path, before, after);
        assertTrue(io.directorySyncs.get() >= 1, "directory fsynced");
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(path), files.toList(), "no temporary file left");
        }
    }

    @Test
    void failedCreationLeavesNoFileBehind() throws IOException {
        Path path = dir.resolve("never.wal");
        CountingIo io = new CountingIo();
        io.failNext(CountingIo.Call.DATASYNC);
        IoCallException e = assertThrows(IoCallException.class, () -> WriteAheadLog.open(path, Policy.defaults(), io));
        assertEquals("fdatasync", e.call());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(), files.toList(), "neither the log nor its temporary file");
        }
        try (WriteAheadLog wal = WriteAheadLog.open(path, Policy.defaults(), io)) {
            assertTrue(wal.recovery().headerWritten(), "the next open creates it");
        }
    }

    @Test
    void emptyFileGetsAHeaderInPlace() throws IOException {
        Path path = dir.resolve("empty.wal");
        Files.createFile(path);
        CountingIo io = new CountingIo();
        long before = Instant.now().getEpochSecond();
        try (WriteAheadLog wal = WriteAheadLog.open(path, Policy.defaults(), io)) {
            assertTrue(wal.recovery().headerWritten());
            assertEquals(1, io.directorySyncs.get());
            assertTrue(io.datasyncs.get() >= 1);
        }
        assertHeaderWritten(path, before, Instant.now().getEpochSecond());
    }

    private static void assertHeaderWritten(Path path, long before, long after) throws IOException {
        byte[] bytes = Files.readAllBytes(path);
        assertEquals(WalxFormat.HEADER_LENGTH, bytes.length);
        byte[] fixtureHeader = Arrays.copyOf(Files.readAllBytes(GohacksFixture.wal()), 16);
        assertArrayEquals(fixtureHeader, Arrays.copyOf(bytes, 16), "magic, version, features as gohacks writes them");
        long createdAt = WalxFormat.createdAt(MemorySegment.ofArray(bytes), 0);
        assertTrue(createdAt >= before && createdAt <= after, "createdAt=" + createdAt);
    }

    @Test
    void cleanLogOpensWithoutChangesAndReportsItsRecords() throws IOException {
        Path path = dir.resolve("clean.wal");
        writeLog(path, 20);
        String hash = hash(path);
        try (WriteAheadLog wal = WriteAheadLog.open(path, Policy.defaults())) {
            RecoveryReport r = wal.recovery();
            assertFalse(r.droppedTail());
            assertFalse(r.headerWritten());
            assertEquals(20, r.records());
            assertEquals(20, r.lastLsn());
            assertEquals(TailState.VALID, r.tailState());
            assertEquals(offsetOf(21), r.validBytes());
        }
        assertEquals(hash, hash(path));
    }

    // ------------------------------------------------------------ torn and damaged tails

    @Test
    void tornTailIsCutAndLogStaysAppendable() throws IOException {
        Path path = dir.resolve("torn.wal");
        writeLog(path, 10);
        truncate(path, offsetOf(11) - 7);
        openCutAndAppend(path, 9, recordBytes(10) - 7, RecordState.PAST_END);
    }

    @Test
    void tornSizeFieldIsCut() throws IOException {
        Path path = dir.resolve("torn-size.wal");
        writeLog(path, 5);
        appendBytes(path, new byte[] {40, 0});
        openCutAndAppend(path, 5, 2, RecordState.INCOMPLETE_SIZE);
    }

    @Test
    void garbageTailIsCut() throws IOException {
        Path path = dir.resolve("garbage.wal");
        writeLog(path, 5);
        byte[] garbage = new byte[300];
        new java.util.Random(42).nextBytes(garbage);
        appendBytes(path, garbage);
        RecoveryReport r = openCutAndAppend(path, 5, 300, stateOf(garbage));
        assertEquals(0, r.recordsAfterCut());
    }

    /** What the codec makes of {@code bytes} as the last thing in a file. */
    private static RecordState stateOf(byte[] bytes) {
        return WalxFormat.checkRecord(MemorySegment.ofArray(bytes), 0, bytes.length);
    }

    @Test
    void zeroFilledTailIsCut() throws IOException {
        Path path = dir.resolve("zeros.wal");
        writeLog(path, 5);
        appendBytes(path, new byte[4096]);
        openCutAndAppend(path, 5, 4096, RecordState.SIZE_TOO_SMALL);
    }

    @Test
    void flippedCrcOfTheLastRecordIsCut() throws IOException {
        Path path = dir.resolve("crc.wal");
        writeLog(path, 8);
        flipByte(path, offsetOf(9) - 1);
        openCutAndAppend(path, 7, recordBytes(8), RecordState.CRC_MISMATCH);
    }

    @Test
    void flippedValueByteOfTheLastRecordIsCut() throws IOException {
        Path path = dir.resolve("value.wal");
        writeLog(path, 8);
        flipByte(path, offsetOf(9) - 5);
        openCutAndAppend(path, 7, recordBytes(8), RecordState.CRC_MISMATCH);
    }

    @Test
    void timestampAbove2To63Minus1EndsTheLog() throws IOException {
        Path path = dir.resolve("ts.wal");
        writeLog(path, 4);
        byte[] last = Arrays.copyOfRange(Files.readAllBytes(path), (int) offsetOf(4), (int) offsetOf(5));
        MemorySegment seg = MemorySegment.ofArray(last);
        seg.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), WalxFormat.TIMESTAMP_OFFSET, -5L);
        long size = WalxFormat.size(seg, 0);
        seg.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4 + size - 4,
                WalxFormat.computeCrc(seg, 0, size - 4));
        pokeBytes(path, offsetOf(4), last);
        openCutAndAppend(path, 3, recordBytes(4), RecordState.TIMESTAMP_TOO_BIG);
    }

    @Test
    void validRecordsAfterADamagedOneAreCountedAndDropped() throws IOException {
        Path path = dir.resolve("out-of-order.wal");
        writeLog(path, 6);
        // Record 3 never reached the disk (zeros), records 4..6 did: writes out of order.
        pokeBytes(path, offsetOf(3), new byte[(int) recordBytes(3)]);
        RecoveryReport r = openCutAndAppend(path, 2, offsetOf(7) - offsetOf(3), RecordState.SIZE_TOO_SMALL);
        assertEquals(3, r.recordsAfterCut(), r::toString);
        assertEquals(offsetOf(4), r.firstRecordAfterCutOffset());
    }

    @Test
    void recordsGohacksAppendedAfterATornOneAreCounted() throws IOException {
        // gohacks keeps a torn record and appends after it: [1..3][torn 4][5][6].
        Path full = dir.resolve("full.wal");
        writeLog(full, 6);
        byte[] bytes = Files.readAllBytes(full);
        Path path = dir.resolve("gohacks-bug.wal");
        try (var out = Files.newOutputStream(path)) {
            out.write(bytes, 0, (int) offsetOf(4));
            out.write(bytes, (int) offsetOf(4), (int) (recordBytes(4) / 2));
            out.write(bytes, (int) offsetOf(5), (int) (offsetOf(7) - offsetOf(5)));
        }
        try (WriteAheadLog wal = WriteAheadLog.open(path, Policy.defaults())) {
            RecoveryReport r = wal.recovery();
            assertEquals(3, r.records());
            assertEquals(2, r.recordsAfterCut(), r::toString);
            assertEquals(Files.size(path), r.validBytes());
        }
    }

    // ------------------------------------------------------------ refused files

    @Test
    void tenByteFileIsInvalidHeaderAndUnchanged() throws IOException {
        Path path = dir.resolve("ten.wal");
        Files.write(path, Arrays.copyOf(Files.readAllBytes(GohacksFixture.wal()), 10));
        assertRefusedUnchanged(path, "file shorter than a header");
    }

    @Test
    void twentyThreeByteFileIsInvalidHeaderAndUnchanged() throws IOException {
        Path path = dir.resolve("short.wal");
        Files.write(path, Arrays.copyOf(Files.readAllBytes(GohacksFixture.wal()), 23));
        assertRefusedUnchanged(path, "file shorter than a header");
    }

    @Test
    void badMagicIsInvalidHeaderAndUnchanged() throws IOException {
        Path path = dir.resolve("magic.wal");
        writeLog(path, 3);
        pokeBytes(path, 0, "WALY".getBytes(StandardCharsets.US_ASCII));
        assertRefusedUnchanged(path, "bad magic");
    }

    @Test
    void otherVersionIsInvalidHeaderAndUnchanged() throws IOException {
        Path path = dir.resolve("version.wal");
        writeLog(path, 3);
        pokeBytes(path, WalxFormat.VERSION_OFFSET, new byte[] {2, 0, 0, 0});
        assertRefusedUnchanged(path, "unsupported version: version=2");
    }

    @Test
    void unknownFeaturesAreInvalidHeaderAndUnchanged() throws IOException {
        Path path = dir.resolve("features.wal");
        writeLog(path, 3);
        pokeBytes(path, WalxFormat.FEATURES_OFFSET, new byte[] {3});
        assertRefusedUnchanged(path, "unsupported features: features=0x3");
    }

    @Test
    void createdAtTooBigIsInvalidHeaderCausedByTimestampTooBig() throws IOException {
        Path path = dir.resolve("created.wal");
        writeLog(path, 3);
        pokeBytes(path, WalxFormat.CREATED_AT_OFFSET + 7, new byte[] {(byte) 0x80});
        InvalidHeader e = assertRefusedUnchanged(path, "created_at above 2^63-1");
        TimestampTooBig cause = assertInstanceOf(TimestampTooBig.class, e.getCause());
        assertEquals("created_at", cause.field());
        assertTrue(cause.getMessage().startsWith("timestamp too big: created_at="), cause.getMessage());
    }

    @Test
    void foreignFileIsInvalidHeaderAndUnchanged() throws IOException {
        Path path = dir.resolve("foreign.txt");
        Files.writeString(path, "this is not a write-ahead log, but it is longer than twenty-four bytes\n");
        assertRefusedUnchanged(path, "bad magic");
    }

    @Test
    void wallyFixtureIsInvalidHeaderAndUnchanged() throws IOException {
        Path wally = GohacksFixture.dir().resolve("wally-sample.wally");
        Path path = dir.resolve("wally.wal");
        Files.copy(wally, path);
        assertRefusedUnchanged(path, "bad magic");
    }

    private InvalidHeader assertRefusedUnchanged(Path path, String reason) throws IOException {
        String before = hash(path);
        long size = Files.size(path);
        InvalidHeader e = assertThrows(InvalidHeader.class, () -> WriteAheadLog.open(path, Policy.defaults()));
        assertTrue(e.getMessage().startsWith("invalid WAL header: " + reason), e.getMessage());
        assertTrue(e.getMessage().contains("path=" + path), e.getMessage());
        assertEquals(size, e.fileBytes());
        assertEquals(before, hash(path), "the file is unchanged");
        return e;
    }

    // ------------------------------------------------------------ sizes and limits

    @Test
    void recordsLargerThanTheCurrentLimitsStillReplay() throws IOException {
        Path path = dir.resolve("big-limits.wal");
        byte[] bigKey = new byte[1000];
        byte[] bigValue = new byte[100_000];
        Arrays.fill(bigValue, (byte) 7);
        try (WriteAheadLog wal = WriteAheadLog.open(path, new Policy(0, Duration.ZERO, 200_000, 2000))) {
            wal.append(1, 1, bigKey, bigValue);
        }
        try (WriteAheadLog wal = WriteAheadLog.open(path, Policy.defaults())) {
            assertFalse(wal.recovery().droppedTail());
            List<byte[]> values = new ArrayList<>();
            wal.replay(0, (lsn, ts, k, v) -> values.add(v));
            assertEquals(1, values.size());
            assertArrayEquals(bigValue, values.getFirst());
            assertThrows(ValueTooLarge.class, () -> wal.append(2, 1, null, bigValue), "limits apply to appends");
        }
    }

    @Test
    void recordsSpanningReadChunksAndLargerThanAChunkReplay() throws IOException {
        Path path = dir.resolve("chunks.wal");
        int huge = 3 * ReadWindow.CHUNK_BYTES + 17;
        Policy policy = new Policy(0, Duration.ZERO, huge, 0);
        long n = 6000;
        try (WriteAheadLog wal = WriteAheadLog.open(path, policy)) {
            for (long i = 1; i <= n; i++) {
                byte[] v = i == 1500 ? new byte[huge] : value(i);
                wal.append(i, 1000 + i, key(i), v);
            }
            assertTrue(wal.sizeBytes() > 4L * ReadWindow.CHUNK_BYTES);
        }
        try (WriteAheadLog wal = WriteAheadLog.open(path, policy)) {
            assertEquals(n, wal.recovery().records());
            List<Long> lsns = new ArrayList<>();
            wal.replay(0, (lsn, ts, k, v) -> {
                assertArrayEquals(key(lsn), k);
                assertEquals(lsn == 1500 ? huge : value(lsn).length, v.length);
                lsns.add(lsn);
            });
            assertEquals(range(1, n), lsns);
        }
    }

    // ------------------------------------------------------------ corruption after open

    @Test
    void damageBeforeTheEndFoundByReplayIsInvalidLog() throws IOException {
        Path path = dir.resolve("later.wal");
        writeLog(path, 5);
        try (WriteAheadLog wal = WriteAheadLog.open(path, Policy.defaults())) {
            flipByte(path, offsetOf(3) + WalxFormat.KEY_OFFSET);
            InvalidLog e = assertThrows(InvalidLog.class, () -> wal.replay(0, (lsn, ts, k, v) -> {}));
            assertEquals(offsetOf(3), e.offset());
            assertTrue(e.getMessage().contains("CRC_MISMATCH"), e.getMessage());
        }
    }

    @Test
    void fileTruncatedUnderneathTheLogIsInvalidLog() throws IOException {
        Path path = dir.resolve("shrunk.wal");
        writeLog(path, 5);
        try (WriteAheadLog wal = WriteAheadLog.open(path, Policy.defaults())) {
            truncate(path, offsetOf(4) + 3);
            InvalidLog e = assertThrows(InvalidLog.class, () -> wal.replay(0, (lsn, ts, k, v) -> {}));
            assertTrue(e.getMessage().contains("shorter than the log"), e.getMessage());
        }
    }
}

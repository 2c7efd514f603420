package org.wal4j.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.wal4j.format.JournalFormat;
import org.wal4j.io.IoBackend;
import org.wal4j.io.IoFile;
import org.wal4j.io.OpenFlag;

class SegmentScannerTest {
    private static final int SALT = 0x0badcafe;

    @TempDir
    Path dir;

    /** A segment image: header block plus records with LSNs base, base+1, ...; returns the image and frame ends. */
    private static MemorySegment image(Arena arena, long base, int count, int valueBytes, long[] frameEnds) {
        MemorySegment img = arena.allocate(JournalFormat.HEADER_BLOCK_BYTES
                + (long) count * JournalFormat.recordFrameBytes(1, valueBytes), 4096);
        JournalFormat.encodeHeader(img, new JournalFormat.SegmentHeader(1, base, SALT, 0, 0, 0, 0, 0, 0));
        long pos = JournalFormat.HEADER_BLOCK_BYTES;
        for (int i = 0; i < count; i++) {
            MemorySegment value = arena.allocate(valueBytes);
            value.fill((byte) (i + 1));
            pos += JournalFormat.encodeRecord(img, pos, SALT, base + i, i, MemorySegment.ofArray(new byte[] {(byte) i}), value);
            frameEnds[i] = pos;
        }
        return img;
    }

    private Path write(MemorySegment bytes, long length) throws IOException {
        Path p = dir.resolve("seg");
        try (IoFile f = IoBackend.select().open(p, OpenFlag.WRITE, OpenFlag.CREATE, OpenFlag.TRUNCATE)) {
            f.write(0, bytes.asSlice(0, length));
        }
        return p;
    }

    private SegmentScanner.Result scan(Path p, long base, List<Long> lsns) throws IOException {
        try (IoFile f = IoBackend.select().open(p, OpenFlag.READ)) {
            return SegmentScanner.scan(f, f.size(), SALT, base,
                    (chunk, at, fileOffset, d) -> lsns.add(d.lsn()));
        }
    }

    @Test
    void wholeSegmentScansToCleanEndWithEveryRecord() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            long[] ends = new long[300];
            MemorySegment img = image(arena, 100, 300, 5000, ends); // > 1 MiB: crosses chunk refills
            List<Long> lsns = new ArrayList<>();
            SegmentScanner.Result r = scan(write(img, img.byteSize()), 100, lsns);
            assertEquals(SegmentScanner.End.CLEAN, r.end());
            assertEquals(300, r.records());
            assertEquals(100, r.firstLsn());
            assertEquals(399, r.lastLsn());
            assertEquals(ends[299], r.endOffset());
            assertEquals(300, lsns.size());
            assertEquals(399L, lsns.get(299));
        }
    }

    @Test
    void tornLastFrameEndsAtThePreviousFrame() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            long[] ends = new long[10];
            MemorySegment img = image(arena, 1, 10, 100, ends);
            SegmentScanner.Result r = scan(write(img, ends[9] - 7), 1, new ArrayList<>());
            assertEquals(SegmentScanner.End.TRUNCATED, r.end());
            assertEquals(9, r.records());
            assertEquals(ends[8], r.endOffset());
        }
    }

    @Test
    void zeroTailAfterFramesIsCleanEnd() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            long[] ends = new long[4];
            MemorySegment img = image(arena, 1, 4, 100, ends);
            MemorySegment bigger = arena.allocate(img.byteSize() + 8192, 4096);
            bigger.copyFrom(img);
            SegmentScanner.Result r = scan(write(bigger, bigger.byteSize()), 1, new ArrayList<>());
            assertEquals(SegmentScanner.End.CLEAN, r.end());
            assertEquals(ends[3], r.endOffset());
        }
    }

    @Test
    void flippedByteInMiddleFrameIsInvalidThere() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            long[] ends = new long[10];
            MemorySegment img = image(arena, 1, 10, 100, ends);
            long at = ends[4] + 40;
            img.set(ValueLayout.JAVA_BYTE, at, (byte) (img.get(ValueLayout.JAVA_BYTE, at) ^ 0x20));
            SegmentScanner.Result r = scan(write(img, img.byteSize()), 1, new ArrayList<>());
            assertEquals(SegmentScanner.End.INVALID, r.end());
            assertEquals(5, r.records());
            assertEquals(ends[4], r.endOffset());
            assertTrue(r.reason().contains("CRC"), r.reason());
        }
    }

    @Test
    void absurdLengthFieldEndsScanWithoutAllocating() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            long[] ends = new long[3];
            MemorySegment img = image(arena, 1, 3, 100, ends);
            img.set(JournalFormat.U32, ends[1] + JournalFormat.LENGTH_OFFSET, 0x7fff_fff0);
            SegmentScanner.Result r = scan(write(img, img.byteSize()), 1, new ArrayList<>());
            assertEquals(SegmentScanner.End.TRUNCATED, r.end());
            assertEquals(2, r.records());
            assertTrue(r.reason().contains("needs 2147483632 bytes but the range ends after " + (img.byteSize() - ends[1])), r.reason());
        }
    }

    @Test
    void frameLargerThanTheReadChunkIsReadWhole() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            long[] ends = new long[3];
            MemorySegment img = image(arena, 1, 3, 3 << 20, ends); // 3 MiB values, 1 MiB chunks
            List<Long> lsns = new ArrayList<>();
            SegmentScanner.Result r = scan(write(img, img.byteSize()), 1, lsns);
            assertEquals(SegmentScanner.End.CLEAN, r.end());
            assertEquals(List.of(1L, 2L, 3L), lsns);
        }
    }

    @Test
    void recordBelowBaseLsnIsAnOrderViolation() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            long[] ends = new long[3];
            MemorySegment img = image(arena, 5, 3, 10, ends);
            SegmentScanner.Result r = scan(write(img, img.byteSize()), 6, new ArrayList<>());
            assertEquals(SegmentScanner.End.LSN_ORDER, r.end());
            assertEquals(0, r.records());
            assertEquals(JournalFormat.HEADER_BLOCK_BYTES, r.endOffset());
        }
    }

    @Test
    void headerOnlySegmentIsEmptyAndClean() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment img = image(arena, 1, 0, 0, new long[0]);
            SegmentScanner.Result r = scan(write(img, img.byteSize()), 1, new ArrayList<>());
            assertEquals(SegmentScanner.End.CLEAN, r.end());
            assertEquals(0, r.records());
            assertEquals(-1, r.lastLsn());
        }
    }
}

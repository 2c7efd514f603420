package org.wal4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.wal4j.format.FormatException;
import org.wal4j.format.JournalFormat;
import org.wal4j.io.IoBackend;
import org.wal4j.io.IoFile;
import org.wal4j.io.OpenFlag;
import org.wal4j.log.SegmentFiles;
import org.wal4j.log.SegmentScanner;

/**
 * Segment recycling ({@link JournalOptions.Builder#recycleSegments}): files of segments
 * removed from the front are renamed aside and written again by later segments, and recovery
 * of a recycled segment ends its log where its own frames end, without taking the former
 * contents for a torn tail and without taking a former record for one of its own. Runs on the
 * backend the suite runs with (posix, then java).
 */
class SegmentRecyclingTest {
    private static final int VALUE_BYTES = 4000; // 15 frames of 4032 bytes fill a 64 KiB segment

    @TempDir
    Path dir;

    private static JournalOptions.Builder options(boolean direct) {
        return JournalOptions.builder().syncPolicy(SyncMode.NONE).segmentBytes(64 << 10).maxValueBytes(16 << 10).maxKeyBytes(64).direct(direct);
    }

    private static byte[] value(long lsn) {
        byte[] b = new byte[VALUE_BYTES];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (lsn * 131 + i * 7);
        }
        return b;
    }

    private static void appendThrough(Journal j, long lastLsn) throws IOException {
        while (j.lastLsn() < lastLsn) {
            long next = Math.max(j.lastLsn(), 0) + 1; // LSNs start at 1
            assertEquals(next, j.append(value(next)));
        }
    }

    private static void assertRecords(Journal j, long first, long last) throws IOException {
        for (long lsn = first; lsn <= last; lsn++) {
            assertArrayEquals(value(lsn), j.read(lsn).value(), "lsn=" + lsn);
        }
    }

    private static Object inode(Path p) throws IOException {
        return Files.getAttribute(p, "unix:ino");
    }

    private static JournalFormat.SegmentHeader header(Path segment) throws IOException, FormatException {
        byte[] block = new byte[JournalFormat.HEADER_BLOCK_BYTES];
        try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.READ)) {
            ch.read(ByteBuffer.wrap(block), 0);
        }
        return JournalFormat.decodeHeader(MemorySegment.ofArray(block));
    }

    private List<Path> recycledFiles(Path in) throws IOException {
        try (Stream<Path> files = Files.list(in)) {
            return files.filter(p -> p.getFileName().toString().startsWith("recycled-")).sorted().toList();
        }
    }

    private static void assertCleanRecovery(Journal j) {
        RecoveryReport r = j.recoveryReport();
        assertEquals(0, r.droppedTailBytes(), r.toString());
        assertNull(r.tailReason(), r.toString());
        assertEquals(0, r.framesAfterCut(), r.toString());
        assertEquals(0, r.droppedSegments(), r.toString());
    }

    /** An O_DIRECT journal whose active segment is a recycled file, closed; returns its last LSN. */
    private long closedJournalWithARecycledActiveSegment() throws Exception {
        try (Journal j = Journal.open(dir, options(true).build())) {
            appendThrough(j, 100); // 7 segments
            assertTrue(j.truncateFront(61) >= 2);
            appendThrough(j, 130); // two rollovers, both into recycled files
        }
        Path active = SegmentFiles.list(dir).segments().getLast();
        assertTrue(header(active).recycled(), "the active segment is a recycled file");
        return 130;
    }

    /** Where the active segment's frames end, and where its last record starts. */
    private long[] activeEnd() throws IOException, FormatException {
        Path active = SegmentFiles.list(dir).segments().getLast();
        JournalFormat.SegmentHeader h = header(active);
        long[] lastRecord = {-1};
        try (IoFile f = IoBackend.select().open(active, OpenFlag.READ)) {
            SegmentScanner.Result r = SegmentScanner.scan(f, f.size(), h.salt(), h.baseLsn(),
                    (chunk, at, fileOffset, d) -> lastRecord[0] = fileOffset);
            return new long[] {r.endOffset(), lastRecord[0]};
        }
    }

    /** A record frame that passes {@code segment}'s CRCs. */
    private static byte[] frameOf(Path segment, long lsn, byte[] value) throws IOException, FormatException {
        byte[] frame = new byte[(int) JournalFormat.recordFrameBytes(0, value.length)];
        JournalFormat.encodeRecord(MemorySegment.ofArray(frame), 0, header(segment).salt(), lsn, 0,
                MemorySegment.ofArray(new byte[0]), MemorySegment.ofArray(value));
        return frame;
    }

    private static void write(Path file, long offset, byte[] bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(bytes), offset);
        }
    }

    private static byte[] read(Path file, long offset, int length) throws IOException {
        byte[] b = new byte[length];
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ch.read(ByteBuffer.wrap(b), offset);
        }
        return b;
    }

    // ---------------------------------------------------------------- the cycle

    @Test
    void removedSegmentsAreKeptAsideAndWrittenAgainByLaterSegments() throws Exception {
        Set<Object> recycledInodes = new HashSet<>();
        try (Journal j = Journal.open(dir, options(true).build())) {
            assertTrue(j.isDirect());
            appendThrough(j, 100);
            int before = SegmentFiles.list(dir).segments().size();
            int removed = j.truncateFront(61);
            assertTrue(removed >= 3, "removed " + removed);
            assertEquals(before - removed, SegmentFiles.list(dir).segments().size());
            List<Path> aside = recycledFiles(dir);
            assertEquals(2, aside.size(), "the default keeps two; the others are deleted: " + aside);
            for (Path p : aside) {
                assertEquals(64 << 10, Files.size(p));
                recycledInodes.add(inode(p));
            }

            appendThrough(j, 160); // enough rollovers to use both kept files
            assertEquals(List.of(), recycledFiles(dir), "both kept files were used");
            Set<Object> segmentInodes = new HashSet<>();
            int flagged = 0;
            for (Path p : SegmentFiles.list(dir).segments()) {
                segmentInodes.add(inode(p));
                flagged += header(p).recycled() ? 1 : 0;
            }
            assertTrue(segmentInodes.containsAll(recycledInodes), "later segments live in the kept files");
            assertEquals(2, flagged, "their headers say they are recycled");
            assertRecords(j, j.firstLsn(), 160);
            j.truncateFront(150);
            assertFalse(recycledFiles(dir).isEmpty());
        }
        assertEquals(List.of(), recycledFiles(dir), "close deletes the kept files");
        try (Journal j = Journal.open(dir, options(true).build())) {
            assertCleanRecovery(j);
            assertEquals(160, j.lastLsn());
            assertRecords(j, j.firstLsn(), 160);
            assertEquals(161, j.append(value(161)));
        }
    }

    @Test
    void resetKeepsTheRemovedSegmentsAsideToo() throws Exception {
        try (Journal j = Journal.open(dir, options(true).build())) {
            appendThrough(j, 50);
            j.reset();
            assertEquals(2, recycledFiles(dir).size());
            for (long lsn = 51; lsn <= 90; lsn++) {
                assertEquals(lsn, j.append(value(lsn)));
            }
            assertRecords(j, 51, 90);
        }
        try (Journal j = Journal.open(dir, options(true).build())) {
            assertCleanRecovery(j);
            assertEquals(51, j.firstLsn());
            assertRecords(j, 51, 90);
        }
    }

    @ParameterizedTest(name = "direct={0} recycleSegments={1}")
    @CsvSource({"false, 2", "true, 0"})
    void withoutODirectOrWithRecyclingOffRemovedSegmentsAreDeleted(boolean direct, int keep) throws Exception {
        try (Journal j = Journal.open(dir, options(direct).recycleSegments(keep).build())) {
            appendThrough(j, 100);
            assertTrue(j.truncateFront(61) >= 3);
            assertEquals(List.of(), recycledFiles(dir));
            appendThrough(j, 130);
            for (Path p : SegmentFiles.list(dir).segments()) {
                assertFalse(header(p).recycled(), p.toString());
            }
        }
    }

    @Test
    void recycleSegmentsOutOfRangeIsRefusedWithTheValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JournalOptions.builder().recycleSegments(-1));
        assertTrue(e.getMessage().contains("recycleSegments=-1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> JournalOptions.builder().recycleSegments(65));
    }

    // ---------------------------------------------------------------- recovery

    @Test
    void reopenFindsTheEndOfARecycledSegmentWithoutReportingTheFormerContents() throws Exception {
        long last = closedJournalWithARecycledActiveSegment();
        long end = activeEnd()[0];
        Path active = SegmentFiles.list(dir).segments().getLast();
        byte[] former = read(active, JournalFormat.align(end + 4096) & -4096, 4096);
        assertTrue(nonZero(former), "the former segment's bytes follow the frames");
        try (Journal j = Journal.open(dir, options(true).build())) {
            assertCleanRecovery(j);
            assertArrayEquals(former, read(active, JournalFormat.align(end + 4096) & -4096, 4096),
                    "recovery leaves the former contents alone");
            assertEquals(last, j.lastLsn());
            assertRecords(j, j.firstLsn(), last);
            assertEquals(last + 1, j.append(value(last + 1)));
        }
    }

    @Test
    void crashWhileWritingARecycledSegmentKeepsEveryAcknowledgedRecord() throws Exception {
        Path copy = Files.createTempDirectory(dir.getParent(), "crash-");
        try (Journal j = Journal.open(dir, options(true).syncPolicy(SyncMode.ALWAYS).build())) {
            appendThrough(j, 100);
            j.truncateFront(61);
            appendThrough(j, 127); // each returned once durable
            assertTrue(header(SegmentFiles.list(dir).segments().getLast()).recycled());
            try (Stream<Path> files = Files.list(dir)) {
                for (Path p : files.filter(p -> !p.getFileName().toString().equals(SegmentFiles.LOCK_FILE)).toList()) {
                    Files.copy(p, copy.resolve(p.getFileName())); // the kept files and the spare too
                }
            }
        }
        try (Journal j = Journal.open(copy, options(true).build())) {
            assertCleanRecovery(j);
            assertTrue(j.recoveryReport().removedUnfinished() >= 1, "the kept file goes at open: " + j.recoveryReport());
            assertEquals(List.of(), recycledFiles(copy));
            assertEquals(127, j.lastLsn());
            assertRecords(j, j.firstLsn(), 127);
        }
    }

    @Test
    void ownTornWriteInARecycledSegmentIsCutAndReported() throws Exception {
        long last = closedJournalWithARecycledActiveSegment();
        long[] end = activeEnd();
        long lastFrame = end[1];
        Path active = SegmentFiles.list(dir).segments().getLast();
        write(active, lastFrame + 100, new byte[] {(byte) 0xEE}); // the last record's payload is damaged
        try (Journal j = Journal.open(dir, options(true).build())) {
            RecoveryReport r = j.recoveryReport();
            assertEquals(JournalFormat.recordFrameBytes(0, VALUE_BYTES), r.droppedTailBytes(), r.toString());
            assertTrue(r.tailReason().startsWith("INVALID"), r.toString());
            assertEquals(last - 1, j.lastLsn());
            assertEquals(last, j.append(value(last)));
        }
        try (Journal j = Journal.open(dir, options(true).build())) {
            assertCleanRecovery(j);
            assertRecords(j, j.firstLsn(), last);
        }
    }

    @Test
    void ownRecordAfterTheCutInARecycledSegmentIsCountedAndRemoved() throws Exception {
        long last = closedJournalWithARecycledActiveSegment();
        long end = activeEnd()[0];
        Path active = SegmentFiles.list(dir).segments().getLast();
        long at = end + 2 * 4096;
        byte[] frame = frameOf(active, last + 3, new byte[64]);
        write(active, at, frame); // an unsynced write that reached the disk out of order
        write(active, end, new byte[32]); // and nothing at the end: it ends as zeros do
        byte[] formerAfter = read(active, at + frame.length, 512);
        assertThrows(CorruptionException.class, () -> Journal.open(dir, options(true).strictTail(true).build()).close());
        try (Journal j = Journal.open(dir, options(true).build())) {
            RecoveryReport r = j.recoveryReport();
            assertEquals(1, r.framesAfterCut(), r.toString());
            assertEquals(at + frame.length - end, r.droppedTailBytes(), r.toString());
            assertEquals(last, j.lastLsn());
        }
        assertFalse(nonZero(read(active, end, (int) (at + frame.length - end))), "the record and what was before it are zeroed");
        assertArrayEquals(formerAfter, read(active, at + frame.length, 512), "the former contents after it are left alone");
        try (Journal j = Journal.open(dir, options(true).build())) {
            assertCleanRecovery(j);
        }
    }

    @Test
    void aFormerRecordThatPassesThisSegmentsCrcStillEndsTheLogByItsLsn() throws Exception {
        long last = closedJournalWithARecycledActiveSegment();
        long end = activeEnd()[0];
        Path active = SegmentFiles.list(dir).segments().getLast();
        long formerLsn = header(active).baseLsn() - 20;
        // the 2^-32 accident: a former record at the end whose salt equals this segment's
        write(active, end, frameOf(active, formerLsn, value(formerLsn)));
        try (Journal j = Journal.open(dir, options(true).build())) {
            assertCleanRecovery(j);
            assertEquals(last, j.lastLsn());
            assertEquals(last + 1, j.append(value(last + 1)));
        }
        try (Journal j = Journal.open(dir, options(true).build())) {
            assertCleanRecovery(j);
            assertRecords(j, j.firstLsn(), last + 1);
        }
    }

    @Test
    void removedSegmentsAreNeverReadAgain() throws Exception {
        try (Journal j = Journal.open(dir, options(true).build())) {
            appendThrough(j, 100);
            long removedBelow = 61;
            j.truncateFront(removedBelow);
            long first = j.firstLsn();
            appendThrough(j, 200); // every kept file written again, several times over
            List<Long> seen = new ArrayList<>();
            j.replay(0, r -> seen.add(r.lsn()));
            assertEquals(first, seen.getFirst());
            for (int i = 1; i < seen.size(); i++) {
                assertEquals(seen.get(i - 1) + 1, seen.get(i));
            }
            assertEquals(200, seen.getLast());
            assertThrows(LsnNotFoundException.class, () -> j.read(first - 1));
        }
    }

    private static boolean nonZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return true;
            }
        }
        return false;
    }
}

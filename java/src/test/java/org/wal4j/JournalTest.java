package org.wal4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.wal4j.format.JournalFormat;
import org.wal4j.log.SegmentFiles;

class JournalTest {
    @TempDir
    Path dir;

    private static byte[] value(long lsn, int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (lsn * 31 + i);
        }
        return b;
    }

    private static JournalOptions.Builder small() {
        return JournalOptions.builder().syncPolicy(SyncMode.NONE).segmentBytes(32 << 10).maxValueBytes(8 << 10).maxKeyBytes(64);
    }

    private List<Path> segmentFiles() throws IOException {
        return SegmentFiles.list(dir).segments();
    }

    static Stream<Arguments> indexModes() {
        return Stream.of(Arguments.of(IndexMode.full()), Arguments.of(IndexMode.sparse(7)), Arguments.of(IndexMode.none()));
    }

    @ParameterizedTest
    @MethodSource("indexModes")
    void recordsReadBackAcrossSegmentsInEveryIndexMode(IndexMode mode) throws Exception {
        try (Journal j = Journal.open(dir, small().indexMode(mode).build())) {
            for (long lsn = 1; lsn <= 300; lsn++) {
                assertEquals(lsn, j.append(value(lsn, (int) (lsn * 37 % 700))));
            }
            assertTrue(segmentFiles().size() > 2, "small segments roll over: " + segmentFiles());
            for (long lsn = 1; lsn <= 300; lsn += 13) {
                assertArrayEquals(value(lsn, (int) (lsn * 37 % 700)), j.read(lsn).value(), "lsn " + lsn);
            }
            assertEquals(1, j.firstLsn());
            assertEquals(300, j.lastLsn());
        }
        try (Journal j = Journal.open(dir, small().indexMode(mode).build())) {
            assertEquals(300, j.lastLsn());
            for (long lsn = 1; lsn <= 300; lsn += 11) {
                assertArrayEquals(value(lsn, (int) (lsn * 37 % 700)), j.read(lsn).value(), "after reopen, lsn " + lsn);
            }
            assertEquals(301, j.append(value(301, 5)));
        }
    }

    @Test
    void recordJustAppendedIsReadableBeforeAnySync() throws IOException {
        try (Journal j = Journal.open(dir, JournalOptions.defaults())) {
            long lsn = j.append("hello".getBytes());
            assertArrayEquals("hello".getBytes(), j.read(lsn).value());
        }
    }

    @Test
    void callerLsnsMayHaveGapsButMustIncrease() throws IOException {
        try (Journal j = Journal.open(dir, small().build())) {
            j.append(10, 1000, "k10".getBytes(), "v10".getBytes());
            j.append(15, 1500, new byte[0], "v15".getBytes());
            JournalRecord r = j.read(10);
            assertEquals(1000, r.timestamp());
            assertArrayEquals("k10".getBytes(), r.key());
            assertEquals(0, j.read(15).key().length);
            LsnNotFoundException gap = assertThrows(LsnNotFoundException.class, () -> j.read(12));
            assertTrue(gap.getMessage().contains("lsn=12"), gap.getMessage());
            IllegalArgumentException notIncreasing = assertThrows(IllegalArgumentException.class,
                    () -> j.append(15, 0, new byte[0], new byte[0]));
            assertTrue(notIncreasing.getMessage().contains("lsn=15") && notIncreasing.getMessage().contains("last lsn=15"));
            assertThrows(IllegalArgumentException.class, () -> j.append(0, 0, new byte[0], new byte[0]));
            assertEquals(16, j.append("auto".getBytes()));
        }
    }

    @Test
    void readsOutsideTheJournalSayWhatItHolds() throws IOException {
        try (Journal j = Journal.open(dir, small().build())) {
            assertThrows(LsnNotFoundException.class, () -> j.read(1));
            j.appendBatch("a".getBytes(), "b".getBytes());
            assertThrows(IllegalArgumentException.class, () -> j.read(0));
            LsnNotFoundException above = assertThrows(LsnNotFoundException.class, () -> j.read(3));
            assertTrue(above.getMessage().contains("firstLsn=1 lastLsn=2"), above.getMessage());
        }
    }

    @Test
    void oversizedKeyAndValueAreRefusedWithTheirSizes() throws IOException {
        try (Journal j = Journal.open(dir, small().build())) {
            IllegalArgumentException k = assertThrows(IllegalArgumentException.class,
                    () -> j.append(1, 0, new byte[65], new byte[1]));
            assertTrue(k.getMessage().contains("keyBytes=65 maxKeyBytes=64"), k.getMessage());
            IllegalArgumentException v = assertThrows(IllegalArgumentException.class, () -> j.append(new byte[(8 << 10) + 1]));
            assertTrue(v.getMessage().contains("valueBytes=8193"), v.getMessage());
            assertEquals(-1, j.lastLsn(), "nothing was appended");
        }
    }

    @Test
    void negativeTimestampAndOversizedRecordAreRefusedWithTheirValues() throws IOException {
        try (Journal j = Journal.open(dir, small().maxRecordBytes(100).build())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> j.append(1, -5, new byte[0], new byte[1]));
            assertTrue(e.getMessage().contains("timestamp=-5"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> j.append(1, 0, new byte[60], new byte[60]));
            assertTrue(e.getMessage().contains("keyBytes + valueBytes=120 maxRecordBytes=100"), e.getMessage());
            Batch b = new Batch().add(new byte[1]).add(-1, MemorySegment.ofArray(new byte[0]), MemorySegment.ofArray(new byte[1]));
            e = assertThrows(IllegalArgumentException.class, () -> j.appendBatch(b));
            assertTrue(e.getMessage().contains("timestamp=-1"), e.getMessage());
            assertEquals(-1, j.lastLsn(), "nothing was appended");
        }
    }

    @Test
    void readIntoCopiesTheValueAndRefusesASmallBuffer() throws IOException {
        try (Journal j = Journal.open(dir, small().build()); Arena arena = Arena.ofConfined()) {
            long lsn = j.append(value(1, 4096));
            MemorySegment dst = arena.allocate(4096);
            assertEquals(4096, j.readInto(lsn, dst));
            assertArrayEquals(value(1, 4096), dst.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
            byte[] small = new byte[100];
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> j.readInto(lsn, small));
            assertTrue(e.getMessage().contains("dst bytes=100 < value bytes=4096"), e.getMessage());
        }
    }

    @Test
    void replayDeliversEveryRecordFromTheGivenLsnInOrder() throws Exception {
        try (Journal j = Journal.open(dir, small().build())) {
            for (long lsn = 1; lsn <= 200; lsn++) {
                j.append(value(lsn, 300));
            }
            List<Long> seen = new ArrayList<>();
            long n = j.replay(50, r -> {
                seen.add(r.lsn());
                assertArrayEquals(value(r.lsn(), 300), r.valueBytes());
            });
            assertEquals(151, n);
            assertEquals(50L, seen.getFirst());
            assertEquals(200L, seen.getLast());
        }
    }

    @Test
    void replaySeesASnapshotWhileAppendsGoOn() throws Exception {
        try (Journal j = Journal.open(dir, small().build())) {
            for (long lsn = 1; lsn <= 100; lsn++) {
                j.append(value(lsn, 100));
            }
            long n = j.replay(1, r -> {
                if (r.lsn() % 10 == 0) {
                    j.append(value(999, 10)); // concurrent growth is not part of this replay
                }
            });
            assertEquals(100, n);
            assertEquals(110, j.lastLsn());
        }
    }

    @Test
    void replayCallbackExceptionStopsTheReplay() throws IOException {
        try (Journal j = Journal.open(dir, small().build())) {
            j.appendBatch("a".getBytes(), "b".getBytes(), "c".getBytes());
            IllegalStateException stop = new IllegalStateException("stop at 2");
            Exception e = assertThrows(IllegalStateException.class, () -> j.replay(1, r -> {
                if (r.lsn() == 2) {
                    throw stop;
                }
            }));
            assertEquals(stop, e);
        }
    }

    @Test
    void tornTailIsCutAndLogStaysAppendable() throws IOException {
        try (Journal j = Journal.open(dir, small().preallocate(false).build())) {
            for (long lsn = 1; lsn <= 5; lsn++) {
                j.append(value(lsn, 100));
            }
        }
        Path active = segmentFiles().getLast();
        long goodSize = Files.size(active);
        try (FileChannel ch = FileChannel.open(active, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19}));
        }
        try (Journal j = Journal.open(dir, small().preallocate(false).build())) {
            RecoveryReport report = j.recoveryReport();
            assertEquals(19, report.droppedTailBytes(), report.toString());
            assertEquals(goodSize, Files.size(active), "the cut is made before open returns");
            assertEquals(5, j.lastLsn());
            assertEquals(6, j.append(value(6, 100)));
        }
        try (Journal j = Journal.open(dir, small().preallocate(false).build())) {
            assertEquals(0, j.recoveryReport().droppedTailBytes());
            assertArrayEquals(value(6, 100), j.read(6).value());
        }
    }

    @Test
    void halfWrittenLastRecordIsDroppedAndReported() throws IOException {
        try (Journal j = Journal.open(dir, small().preallocate(false).build())) {
            for (long lsn = 1; lsn <= 3; lsn++) {
                j.append(value(lsn, 1000));
            }
        }
        Path active = segmentFiles().getLast();
        long size = Files.size(active);
        try (FileChannel ch = FileChannel.open(active, StandardOpenOption.WRITE)) {
            ch.truncate(size - 500);
        }
        try (Journal j = Journal.open(dir, small().preallocate(false).build())) {
            assertEquals(2, j.lastLsn());
            assertTrue(j.recoveryReport().droppedTailBytes() > 0);
            assertTrue(j.recoveryReport().tailReason().startsWith("TRUNCATED"), j.recoveryReport().tailReason());
        }
    }

    @Test
    void tornTailInsideAPreallocatedSegmentIsZeroedAndTheSpaceStaysReserved() throws IOException {
        long end = JournalFormat.HEADER_BLOCK_BYTES + 5 * JournalFormat.recordFrameBytes(0, 100);
        try (Journal j = Journal.open(dir, small().build())) {
            for (long lsn = 1; lsn <= 5; lsn++) {
                j.append(value(lsn, 100));
            }
        }
        Path active = segmentFiles().getLast();
        long reserved = Files.size(active);
        org.junit.jupiter.api.Assumptions.assumeTrue(reserved == (32 << 10),
                "segments are preallocated only on the posix backend; size=" + reserved);
        try (FileChannel ch = FileChannel.open(active, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19}), end);
        }
        try (Journal j = Journal.open(dir, small().build())) {
            RecoveryReport report = j.recoveryReport();
            assertEquals(19, report.droppedTailBytes(), report.toString());
            assertEquals(reserved, Files.size(active), "the reservation survives the cut");
            assertEquals(5, j.lastLsn());
            assertEquals(6, j.append(value(6, 100)));
        }
        try (Journal j = Journal.open(dir, small().build())) {
            assertEquals(0, j.recoveryReport().droppedTailBytes(), j.recoveryReport().toString());
            assertEquals(null, j.recoveryReport().tailReason());
            assertArrayEquals(value(6, 100), j.read(6).value());
        }
    }

    /** Copies the segment files as they are now: what a power cut would leave if every written page had reached the disk. */
    private Path snapshot(Journal j) throws IOException {
        j.read(j.lastLsn()); // writes what is staged (read-your-writes)
        Path copy = Files.createTempDirectory(dir.getParent(), "snapshot-");
        for (Path p : segmentFiles()) {
            Files.copy(p, copy.resolve(p.getFileName()));
        }
        return copy;
    }

    private Path snapshotAfterRollovers(SyncMode mode, boolean syncBeforeSnapshot) throws IOException {
        try (Journal j = Journal.open(dir, small().syncPolicy(mode).build())) {
            for (long lsn = 1; lsn <= 200; lsn++) {
                j.append(value(lsn, 500));
            }
            assertTrue(segmentFiles().size() >= 3);
            if (syncBeforeSnapshot) {
                j.sync();
            }
            return snapshot(j);
        }
    }

    @Test
    void sealedSegmentNeverSyncedIsATornTailNotCorruption() throws IOException {
        Path copy = snapshotAfterRollovers(SyncMode.NONE, false);
        int files = SegmentFiles.list(copy).segments().size();
        flipByte(SegmentFiles.list(copy).segments().get(1), JournalFormat.HEADER_BLOCK_BYTES + 3000);
        try (Journal j = Journal.open(copy, small().build())) {
            RecoveryReport r = j.recoveryReport();
            assertEquals(files - 2, r.droppedSegments(), r.toString());
            assertTrue(r.tailReason().contains("never synced"), r.tailReason());
            long last = j.lastLsn();
            assertArrayEquals(value(last, 500), j.read(last).value());
            assertEquals(last + 1, j.append(value(last + 1, 10)));
        }
        try (Journal j = Journal.open(copy, small().build())) {
            assertEquals(0, j.recoveryReport().droppedSegments(), "recovering twice finds the same log");
        }
    }

    @Test
    void syncMakesSealedSegmentsDurableSoLaterDamageIsCorruption() throws IOException {
        Path copy = snapshotAfterRollovers(SyncMode.NONE, true);
        Path sealed = SegmentFiles.list(copy).segments().get(1);
        flipByte(sealed, JournalFormat.HEADER_BLOCK_BYTES + 3000);
        CorruptionException e = assertThrows(CorruptionException.class, () -> Journal.open(copy, small().build()));
        assertEquals(sealed, e.file());
        assertTrue(e.getMessage().contains("sealed segment damaged"), e.getMessage());
    }

    @Test
    void alwaysModeSyncsASegmentWhenItIsSealed() throws IOException {
        Path copy = snapshotAfterRollovers(SyncMode.ALWAYS, false);
        Path sealed = SegmentFiles.list(copy).segments().get(1);
        flipByte(sealed, JournalFormat.HEADER_BLOCK_BYTES + 3000);
        String before = sha256(sealed);
        assertThrows(CorruptionException.class, () -> Journal.open(copy, small().verifyOnOpen(true).build()));
        // without verifyOnOpen the damaged sealed segment is checked when first read
        long firstInSealed = Long.parseLong(sealed.getFileName().toString().substring(0, 20));
        try (Journal j = Journal.open(copy, small().build())) {
            assertEquals(0, j.recoveryReport().droppedSegments());
            assertArrayEquals(value(1, 500), j.read(1).value(), "other segments stay readable");
            CorruptionException e = assertThrows(CorruptionException.class, () -> j.read(firstInSealed));
            assertEquals(sealed, e.file());
            assertTrue(e.getMessage().contains("sealed segment damaged"), e.getMessage());
            assertThrows(CorruptionException.class, () -> j.replay(1, r -> { }));
        }
        assertEquals(before, sha256(sealed), "nothing modified the damaged segment");
    }

    @Test
    void durableSealedSegmentsAreScannedOnlyWhenFirstNeeded() throws Exception {
        try (Journal j = Journal.open(dir, small().syncPolicy(SyncMode.ALWAYS).build())) {
            for (long lsn = 1; lsn <= 200; lsn++) {
                j.append(value(lsn, 500));
            }
        }
        int files = segmentFiles().size();
        assertTrue(files >= 3);
        try (Journal j = Journal.open(dir, small().build())) {
            RecoveryReport r = j.recoveryReport();
            assertTrue(r.recordsScanned() < 200, "open scanned only the active segment: " + r);
            assertEquals(1, j.firstLsn());
            assertEquals(200, j.lastLsn());
            long[] next = {1};
            assertEquals(200, j.replay(1, v -> assertEquals(next[0]++, v.lsn())));
            for (long lsn = 1; lsn <= 200; lsn += 37) {
                assertArrayEquals(value(lsn, 500), j.read(lsn).value());
            }
            j.truncateBack(20);
            j.append(value(21, 500));
        }
        try (Journal j = Journal.open(dir, small().build())) {
            assertEquals(21, j.lastLsn());
            assertEquals(21, j.replay(1, v -> { }));
            assertArrayEquals(value(21, 500), j.read(21).value());
        }
    }

    @Test
    void truncateBackIntoADamagedUncheckedSegmentFailsInsteadOfCuttingDurableRecords() throws Exception {
        try (Journal j = Journal.open(dir, small().syncPolicy(SyncMode.ALWAYS).build())) {
            for (long lsn = 1; lsn <= 200; lsn++) {
                j.append(value(lsn, 500));
            }
        }
        List<Path> before = segmentFiles();
        flipByte(before.getFirst(), JournalFormat.HEADER_BLOCK_BYTES + 3000);
        String damaged = sha256(before.getFirst());
        try (Journal j = Journal.open(dir, small().build())) {
            long inFirst = Long.parseLong(before.get(1).getFileName().toString().substring(0, 20)) - 1;
            assertThrows(CorruptionException.class, () -> j.truncateBack(inFirst));
            assertEquals(200, j.lastLsn(), "nothing was truncated");
            assertArrayEquals(value(200, 500), j.read(200).value(), "the journal stays usable");
        }
        assertEquals(before, segmentFiles(), "no segment was deleted");
        assertEquals(damaged, sha256(before.getFirst()));
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"version", "flags"})
    void segmentOfAnotherFormatVersionOrWithUnknownFlagsIsRefusedEvenInStopModeAndLeftAlone(String field) throws Exception {
        try (Journal j = Journal.open(dir, small().build())) {
            j.append(value(1, 10));
        }
        Path seg = segmentFiles().getFirst();
        try (FileChannel ch = FileChannel.open(seg, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            if (field.equals("version")) {
                ch.write(ByteBuffer.wrap(new byte[] {1, 0, 0, 0}), JournalFormat.VERSION_OFFSET);
            } else { // a flag a later version may define, under a valid header CRC
                ByteBuffer block = ByteBuffer.allocate(JournalFormat.HEADER_BLOCK_BYTES);
                ch.read(block, 0);
                JournalFormat.SegmentHeader h = JournalFormat.decodeHeader(MemorySegment.ofArray(block.array()));
                JournalFormat.encodeHeader(MemorySegment.ofArray(block.array()), new JournalFormat.SegmentHeader(h.segmentId(),
                        h.baseLsn(), h.salt(), 0x10, h.prevSegmentId(), h.prevLastLsn(), h.prevEndOffset(),
                        h.createdMillis(), h.durableSegmentId()));
                ch.write(block.rewind(), 0);
            }
        }
        String bytes = sha256(seg);
        for (RecoveryMode mode : RecoveryMode.values()) {
            CorruptionException e = assertThrows(CorruptionException.class,
                    () -> Journal.open(dir, small().recoveryMode(mode).build()));
            assertTrue(e.getMessage().contains(field.equals("version") ? "unsupported segment version=1"
                    : "unsupported segment header flags=0x10"), e.getMessage());
        }
        assertEquals(List.of(seg), segmentFiles());
        assertEquals(bytes, sha256(seg));
    }

    @Test
    void truncateBackIntoAnEarlierSegmentKeepsTheDurableRecordOfItsPredecessors() throws IOException {
        try (Journal j = Journal.open(dir, small().build())) {
            for (long lsn = 1; lsn <= 200; lsn++) {
                j.append(value(lsn, 500));
            }
            j.sync();
            Path second = segmentFiles().get(1);
            long lsnInSecond = Long.parseLong(second.getFileName().toString().substring(0, 20)) + 1;
            j.truncateBack(lsnInSecond);
            assertEquals(2, segmentFiles().size());
            Path copy = snapshot(j);
            flipByte(SegmentFiles.list(copy).segments().getFirst(), JournalFormat.HEADER_BLOCK_BYTES + 3000);
            assertThrows(CorruptionException.class, () -> Journal.open(copy, small().build()),
                    "the first segment was synced before the truncation; damage to it is corruption");
        }
    }

    private static void flipByte(Path file, long offset) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, offset);
            b.put(0, (byte) (b.get(0) ^ 0x40));
            ch.write(b.rewind(), offset);
        }
    }

    private void fillSealedSegments() throws IOException {
        try (Journal j = Journal.open(dir, small().build())) {
            for (long lsn = 1; lsn <= 200; lsn++) {
                j.append(value(lsn, 500));
            }
        }
        assertTrue(segmentFiles().size() >= 3);
    }

    @Test
    void damageInsideASealedSegmentFailsOpenNamingFileAndOffset() throws IOException {
        fillSealedSegments();
        Path sealed = segmentFiles().getFirst();
        flipByte(sealed, JournalFormat.HEADER_BLOCK_BYTES + 3000);
        String before = sha256(sealed);
        CorruptionException e = assertThrows(CorruptionException.class, () -> Journal.open(dir, small().build()));
        assertEquals(sealed, e.file());
        assertTrue(e.getMessage().contains("sealed segment damaged"), e.getMessage());
        assertTrue(e.offset() >= JournalFormat.HEADER_BLOCK_BYTES && e.offset() <= JournalFormat.HEADER_BLOCK_BYTES + 3000);
        assertEquals(before, sha256(sealed), "a failed open modifies nothing");
    }

    /**
     * Each ALWAYS round after the first ends with a SYNC_MARK saying how far the active segment
     * was durable, so damage to a durable record of the active segment is told from a torn
     * tail once a later round's mark is on disk; damage to the last round's records is not
     * (it looks like a torn write, and is cut).
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void damageToADurableRecordOfTheActiveSegmentIsCorruptionNotATornTail(boolean direct) throws Exception {
        JournalOptions.Builder options = small().syncPolicy(SyncMode.ALWAYS).direct(direct);
        try (Journal j = Journal.open(dir, options.build())) {
            for (long lsn = 1; lsn <= 8; lsn++) {
                j.append(value(lsn, 300));
            }
        }
        Path active = segmentFiles().getLast();
        long third = frameOffset(active, 3);
        flipByte(active, third + JournalFormat.RECORD_HEADER_BYTES + 100);
        String before = sha256(active);
        CorruptionException e = assertThrows(CorruptionException.class, () -> Journal.open(dir, options.build()));
        assertTrue(e.getMessage().contains("damaged durable frames"), e.getMessage());
        assertEquals(third, e.offset());
        assertEquals(before, sha256(active), "a failed open modifies nothing");
        try (Journal j = Journal.open(dir, options.recoveryMode(RecoveryMode.STOP).build())) {
            assertEquals(2, j.lastLsn(), "STOP ends the journal before the damage");
        }
    }

    @Test
    void damageToTheLastRoundOfTheActiveSegmentIsCutAsATornTail() throws Exception {
        JournalOptions.Builder options = small().syncPolicy(SyncMode.ALWAYS);
        try (Journal j = Journal.open(dir, options.build())) {
            for (long lsn = 1; lsn <= 8; lsn++) {
                j.append(value(lsn, 300));
            }
        }
        Path active = segmentFiles().getLast();
        flipByte(active, frameOffset(active, 8) + JournalFormat.RECORD_HEADER_BYTES + 100);
        try (Journal j = Journal.open(dir, options.build())) {
            assertEquals(7, j.lastLsn(), "no later mark speaks for the last round: a torn write");
            assertTrue(j.recoveryReport().droppedTailBytes() > 0, j.recoveryReport().toString());
        }
    }

    /**
     * Recovery looks past a cut in chunks of 1 MiB; a SYNC_MARK that the end of a chunk cuts
     * through must still be seen, or damage to durable records is taken for a torn tail and
     * they are cut. The segment is written by hand: records of 4 KiB from the damaged one at a
     * 4 KiB-aligned offset D, then padding, then a SYNC_MARK at D + 1 MiB - 8.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void aSyncMarkAcrossTheEndOfRecoverysReadChunkStillMakesTheDamageCorruption(boolean direct) throws Exception {
        JournalOptions.Builder options = JournalOptions.builder().syncPolicy(SyncMode.NONE).segmentBytes(8 << 20).maxValueBytes(8 << 10).direct(direct);
        try (Journal j = Journal.open(dir, options.build())) {
            j.append(value(1, 10));
        }
        Path active = segmentFiles().getLast();
        byte[] block = new byte[JournalFormat.HEADER_BLOCK_BYTES];
        try (FileChannel ch = FileChannel.open(active, StandardOpenOption.READ)) {
            ch.read(ByteBuffer.wrap(block), 0);
        }
        JournalFormat.SegmentHeader h = JournalFormat.decodeHeader(MemorySegment.ofArray(block));
        int frame = 4096;
        long d = JournalFormat.HEADER_BLOCK_BYTES + 2L * frame; // lsn 3, damaged below
        long mark = d + (1 << 20) - 8;
        MemorySegment frames = Arena.ofAuto().allocate(mark + JournalFormat.MARK_FRAME_BYTES - JournalFormat.HEADER_BLOCK_BYTES, 8);
        long at = 0;
        long lsn = h.baseLsn();
        while (at + frame <= mark - JournalFormat.HEADER_BLOCK_BYTES) {
            MemorySegment v = MemorySegment.ofArray(value(lsn, frame - JournalFormat.RECORD_HEADER_BYTES - 1));
            at += JournalFormat.encodeRecord(frames, at, h.salt(), lsn++, 0, MemorySegment.ofArray(new byte[1]), v);
        }
        long pad = mark - JournalFormat.HEADER_BLOCK_BYTES - at;
        JournalFormat.encodePadding(frames, at, pad, h.salt());
        JournalFormat.encodeSyncMark(frames, at + pad, h.salt(), mark, new org.wal4j.format.FrameCrc());
        try (FileChannel ch = FileChannel.open(active, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ch.write(frames.asByteBuffer(), JournalFormat.HEADER_BLOCK_BYTES);
            if (ch.size() < mark + (2 << 20)) {
                ch.write(ByteBuffer.allocate(1), mark + (2 << 20) - 1);
            }
        }
        assertEquals(d, frameOffset(active, 3));
        flipByte(active, d + JournalFormat.RECORD_HEADER_BYTES + 100);
        String before = sha256(active);
        CorruptionException e = assertThrows(CorruptionException.class, () -> Journal.open(dir, options.build()));
        assertTrue(e.getMessage().contains("damaged durable frames") && e.getMessage().contains("before offset " + mark),
                e.getMessage());
        assertEquals(d, e.offset());
        assertEquals(before, sha256(active), "a failed open modifies nothing");
    }

    /** Where the record with {@code lsn} starts in {@code segment}. */
    private static long frameOffset(Path segment, long lsn) throws Exception {
        JournalFormat.SegmentHeader h;
        byte[] block = new byte[JournalFormat.HEADER_BLOCK_BYTES];
        try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.READ)) {
            ch.read(ByteBuffer.wrap(block), 0);
        }
        h = JournalFormat.decodeHeader(MemorySegment.ofArray(block));
        long[] at = {-1};
        try (org.wal4j.io.IoFile f = org.wal4j.io.IoBackend.select().open(segment, org.wal4j.io.OpenFlag.READ)) {
            org.wal4j.log.SegmentScanner.scan(f, f.size(), h.salt(), h.baseLsn(), (chunk, i, fileOffset, d) -> {
                if (d.lsn() == lsn) {
                    at[0] = fileOffset;
                }
            });
        }
        assertTrue(at[0] > 0, "lsn " + lsn + " is in " + segment);
        return at[0];
    }

    @Test
    void stopModeEndsTheJournalBeforeTheDamage() throws IOException {
        fillSealedSegments();
        int files = segmentFiles().size();
        Path sealed = segmentFiles().getFirst();
        flipByte(sealed, JournalFormat.HEADER_BLOCK_BYTES + 3000);
        try (Journal j = Journal.open(dir, small().recoveryMode(RecoveryMode.STOP).build())) {
            RecoveryReport r = j.recoveryReport();
            assertEquals(files - 1, r.droppedSegments(), r.toString());
            long last = j.lastLsn();
            assertTrue(last >= 1 && last < 10, "ends before the damaged record: " + last);
            assertArrayEquals(value(last, 500), j.read(last).value());
            assertEquals(last + 1, j.append(value(last + 1, 10)));
        }
    }

    @Test
    void stopModeKeepsTheDurableRecordOfTheSegmentsBeforeTheDamage() throws IOException {
        fillSealedSegments(); // NONE mode: only close()'s DURABLE_MARK, in the last segment, says the others are durable
        List<Path> files = segmentFiles();
        flipByte(files.get(1), JournalFormat.HEADER_BLOCK_BYTES + 3000);
        try (Journal j = Journal.open(dir, small().recoveryMode(RecoveryMode.STOP).build())) {
            assertEquals(files.size() - 2, j.recoveryReport().droppedSegments(), j.recoveryReport().toString());
        }
        flipByte(files.get(0), JournalFormat.HEADER_BLOCK_BYTES + 3000);
        CorruptionException e = assertThrows(CorruptionException.class, () -> Journal.open(dir, small().build()),
                "the first segment is still known durable although the segment holding that mark was deleted");
        assertEquals(files.get(0), e.file());
    }

    @Test
    void missingMiddleSegmentIsReportedNotSkipped() throws IOException {
        fillSealedSegments();
        Files.delete(segmentFiles().get(1));
        CorruptionException e = assertThrows(CorruptionException.class, () -> Journal.open(dir, small().build()));
        assertTrue(e.getMessage().contains("missing"), e.getMessage());
    }

    @Test
    void segmentWithBadHeaderFailsOpenAndIsLeftAlone() throws IOException {
        fillSealedSegments();
        Path seg = segmentFiles().get(1);
        flipByte(seg, JournalFormat.BASE_LSN_OFFSET);
        String before = sha256(seg);
        CorruptionException e = assertThrows(CorruptionException.class, () -> Journal.open(dir, small().build()));
        assertTrue(e.getMessage().contains("CRC mismatch"), e.getMessage());
        assertEquals(before, sha256(seg));
    }

    @Test
    void directoryOfOtherFilesIsNotAJournalAndIsNotTouched() throws IOException {
        Files.writeString(dir.resolve("notes.txt"), "hello");
        NotAJournalException e = assertThrows(NotAJournalException.class, () -> Journal.open(dir, small().build()));
        assertTrue(e.getMessage().contains("notes.txt"), e.getMessage());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(dir.resolve("notes.txt")), files.toList());
        }
    }

    @Test
    void secondOpenOfTheSameDirectoryIsRefused() throws IOException {
        try (Journal j = Journal.open(dir, small().build())) {
            j.append("x".getBytes());
            AlreadyOpenException e = assertThrows(AlreadyOpenException.class,
                    () -> Journal.open(dir, small().build()));
            assertTrue(e.inThisProcess() && e.getMessage().contains("already open in this process"), e.getMessage());
            assertEquals(2, j.append("y".getBytes()), "the first instance goes on"); // SingleWriterTest checks the lock
        }
    }

    @Test
    void unfinishedSegmentCreationIsRemoved() throws IOException {
        try (Journal j = Journal.open(dir, small().build())) {
            j.append("x".getBytes());
        }
        Path tmp = dir.resolve(SegmentFiles.name(99) + SegmentFiles.TMP_SUFFIX);
        Files.write(tmp, new byte[100]);
        try (Journal j = Journal.open(dir, small().build())) {
            assertEquals(1, j.recoveryReport().removedUnfinished());
            assertFalse(Files.exists(tmp));
            assertEquals(1, j.lastLsn());
        }
    }

    @Test
    void truncateBackKeepsAPrefixDurably() throws IOException {
        fillSealedSegments();
        try (Journal j = Journal.open(dir, small().build())) {
            j.truncateBack(42);
            assertEquals(42, j.lastLsn());
            assertThrows(LsnNotFoundException.class, () -> j.read(43));
            assertEquals(43, j.append(value(4300, 20)));
        }
        try (Journal j = Journal.open(dir, small().build())) {
            assertEquals(43, j.lastLsn());
            assertArrayEquals(value(42, 500), j.read(42).value());
            assertArrayEquals(value(4300, 20), j.read(43).value());
        }
    }

    @ParameterizedTest
    @MethodSource("indexModes")
    void truncateBackWithLsnGapsWorksInEveryIndexMode(IndexMode mode) throws IOException {
        try (Journal j = Journal.open(dir, small().indexMode(mode).build())) {
            long lsn = 10;
            for (int i = 0; i < 40; i++) {
                lsn += 1 + (i % 3);
                j.append(lsn, i, new byte[0], value(lsn, 50));
            }
            j.truncateBack(47); // lands in a gap or on a record, depending on the sequence
            long last = j.lastLsn();
            assertTrue(last <= 47 && last > 40, "last " + last);
            assertArrayEquals(value(last, 50), j.read(last).value());
            assertThrows(LsnNotFoundException.class, () -> j.read(last + 1));
            j.append(48, 0, new byte[0], value(48, 50));
            assertArrayEquals(value(48, 50), j.read(48).value());
            assertArrayEquals(value(11, 50), j.read(11).value());
        }
    }

    @Test
    void truncateFrontDeletesWholeSegmentsBelowTheLsn() throws IOException {
        fillSealedSegments();
        int before = segmentFiles().size();
        long first;
        try (Journal j = Journal.open(dir, small().build())) {
            int deleted = j.truncateFront(150);
            assertTrue(deleted >= 1 && deleted < before, "deleted " + deleted + " of " + before);
            assertEquals(before - deleted, segmentFiles().size());
            first = j.firstLsn();
            assertTrue(first > 1 && first <= 150, "first " + first);
            assertArrayEquals(value(150, 500), j.read(150).value());
            assertThrows(LsnNotFoundException.class, () -> j.read(1));
        }
        try (Journal j = Journal.open(dir, small().build())) {
            assertEquals(first, j.firstLsn(), "the deletion is durable");
            assertEquals(200, j.lastLsn());
        }
    }

    @Test
    void resetEmptiesTheJournalAndLsnsContinue() throws IOException {
        fillSealedSegments();
        try (Journal j = Journal.open(dir, small().build())) {
            j.reset();
            assertEquals(-1, j.lastLsn());
            assertEquals(1, segmentFiles().size());
            assertEquals(201, j.append("after".getBytes()));
        }
        try (Journal j = Journal.open(dir, small().build())) {
            assertEquals(201, j.firstLsn());
            assertArrayEquals("after".getBytes(), j.read(201).value());
        }
    }

    @Test
    void closedJournalRefusesEveryCallAndCloseIsIdempotent() throws IOException {
        Journal j = Journal.open(dir, small().build());
        j.append("x".getBytes());
        j.close();
        j.close();
        assertThrows(JournalClosedException.class, () -> j.append("y".getBytes()));
        assertThrows(JournalClosedException.class, () -> j.read(1));
        assertThrows(JournalClosedException.class, j::sync);
        assertThrows(JournalClosedException.class, () -> j.truncateBack(0));
    }

    @Test
    void alwaysModeAppendsAreOnDiskWhenAppendReturns() throws IOException {
        try (Journal j = Journal.open(dir, small().syncPolicy(SyncMode.ALWAYS).build())) {
            j.append("durable".getBytes());
            // nothing staged: the record is in the file already
            Path active = segmentFiles().getLast();
            assertTrue(Files.size(active) > JournalFormat.HEADER_BLOCK_BYTES);
        }
    }

    @Test
    void concurrentAppendersGetDistinctLsnsAndAllRecordsAreReadable() throws Exception {
        ConcurrentLinkedQueue<long[]> got = new ConcurrentLinkedQueue<>();
        try (Journal j = Journal.open(dir, small().build())) {
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int id = t;
                threads.add(Thread.ofPlatform().start(() -> {
                    try {
                        for (int i = 0; i < 200; i++) {
                            byte[] v = (id + ":" + i).getBytes(StandardCharsets.UTF_8);
                            got.add(new long[] {j.append(v), id, i});
                        }
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            assertEquals(800, got.size());
            assertEquals(800, got.stream().mapToLong(a -> a[0]).distinct().count());
            for (long[] a : got) {
                assertEquals(a[1] + ":" + a[2], new String(j.read(a[0]).value(), StandardCharsets.UTF_8));
            }
        }
    }

    @Test
    void truncateBackThenRolloverStillReopens() throws IOException {
        fillSealedSegments();
        try (Journal j = Journal.open(dir, small().build())) {
            j.truncateBack(42);
            for (long lsn = 43; lsn <= 250; lsn++) {
                j.append(value(lsn, 500));
            }
        }
        try (Journal j = Journal.open(dir, small().build())) {
            assertEquals(250, j.lastLsn());
            assertArrayEquals(value(42, 500), j.read(42).value());
            assertArrayEquals(value(250, 500), j.read(250).value());
        }
    }

    @Test
    void reopeningWithSmallerLimitsKeepsLargerRecords() throws Exception {
        JournalOptions big = JournalOptions.builder().syncPolicy(SyncMode.NONE).segmentBytes(8 << 20).maxValueBytes(4 << 20).build();
        try (Journal j = Journal.open(dir, big)) {
            j.append(value(1, 100));
            j.append(value(2, 2 << 20));
            j.append(value(3, 100));
        }
        JournalOptions smaller = JournalOptions.builder().syncPolicy(SyncMode.NONE).segmentBytes(8 << 20).maxValueBytes(8192).build();
        try (Journal j = Journal.open(dir, smaller)) {
            assertEquals(0, j.recoveryReport().droppedTailBytes(), j.recoveryReport().toString());
            assertEquals(3, j.lastLsn());
            assertArrayEquals(value(2, 2 << 20), j.read(2).value());
            assertEquals(3, j.replay(1, r -> { }));
        }
    }

    @Test
    void zeroedHoleFollowedByRecordsIsReportedAndFailsStrictOpen() throws IOException {
        try (Journal j = Journal.open(dir, small().build())) {
            for (long lsn = 1; lsn <= 5; lsn++) {
                j.append(value(lsn, 100));
            }
        }
        Path active = segmentFiles().getLast();
        long frame = JournalFormat.recordFrameBytes(0, 100);
        try (FileChannel ch = FileChannel.open(active, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate((int) frame), JournalFormat.HEADER_BLOCK_BYTES + frame); // zero record 2
        }
        CorruptionException strict = assertThrows(CorruptionException.class,
                () -> Journal.open(dir, small().strictTail(true).build()));
        assertTrue(strict.getMessage().contains("3 valid-looking"), strict.getMessage());
        try (Journal j = Journal.open(dir, small().build())) {
            RecoveryReport r = j.recoveryReport();
            assertEquals(3, r.framesAfterCut(), r.toString());
            assertTrue(r.tailReason().contains("zeroed"), r.tailReason());
            assertEquals(1, j.lastLsn());
        }
    }

    @Test
    void tornFirstRecordStillCountsTheRecordsAfterIt() throws IOException {
        try (Journal j = Journal.open(dir, small().build())) {
            for (long lsn = 1; lsn <= 5; lsn++) {
                j.append(value(lsn, 100));
            }
        }
        flipByte(segmentFiles().getLast(), JournalFormat.HEADER_BLOCK_BYTES + 40);
        try (Journal j = Journal.open(dir, small().build())) {
            assertEquals(4, j.recoveryReport().framesAfterCut(), j.recoveryReport().toString());
            assertEquals(-1, j.lastLsn());
        }
    }

    @Test
    void replayEndsWithAClearErrorWhenItsRecordsAreTruncatedAway() throws IOException {
        fillSealedSegments();
        try (Journal j = Journal.open(dir, small().build())) {
            IOException e = assertThrows(IOException.class, () -> j.replay(1, r -> {
                if (r.lsn() == 1) {
                    j.truncateFront(190);
                }
            }));
            assertTrue(e.getMessage().contains("truncated away during it"), e.getMessage());
            assertEquals(200, j.lastLsn(), "the journal itself is fine");
        }
    }

    @Test
    void stopModeEndsTheJournalBeforeAMissingSegment() throws IOException {
        fillSealedSegments();
        List<Path> files = segmentFiles();
        Files.delete(files.get(1));
        try (Journal j = Journal.open(dir, small().recoveryMode(RecoveryMode.STOP).build())) {
            assertEquals(files.size() - 2, j.recoveryReport().droppedSegments());
            long last = j.lastLsn();
            assertArrayEquals(value(last, 500), j.read(last).value());
            assertEquals(1, segmentFiles().size());
        }
    }

    @Test
    void failedOpenReleasesItsFiles() throws IOException {
        fillSealedSegments();
        flipByte(segmentFiles().getFirst(), JournalFormat.HEADER_BLOCK_BYTES + 3000);
        long before = openFds();
        for (int i = 0; i < 20; i++) {
            assertThrows(CorruptionException.class, () -> Journal.open(dir, small().build()));
        }
        assertTrue(openFds() - before < 5, "descriptors before=" + before + " after=" + openFds());
    }

    private static long openFds() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    @Test
    void failedSyncPoisonsTheJournalAndReopenRecovers() throws IOException {
        org.wal4j.io.FaultInjectingIo io = org.wal4j.io.FaultInjectingIo.over(org.wal4j.io.IoBackend.select())
                .onlyPaths(p -> p.getFileName().toString().endsWith(SegmentFiles.SUFFIX)); // not the spare's preparer
        Journal j = Journal.open(dir, small().syncPolicy(SyncMode.ALWAYS).build(), io);
        j.append("kept".getBytes());
        io.failNth(org.wal4j.io.FaultInjectingIo.Call.DATASYNC, 1, org.wal4j.io.Errno.EIO);
        OutcomeUnknownException first = assertThrows(OutcomeUnknownException.class, () -> j.append("unknown".getBytes()));
        assertEquals(2, first.firstLsn());
        assertEquals(2, first.lastLsn());
        assertEquals(org.wal4j.io.Errno.EIO, first.errno());
        JournalFailedException later = assertThrows(JournalFailedException.class, () -> j.append("refused".getBytes()));
        assertEquals(first.getCause(), later.getCause());
        assertEquals(org.wal4j.io.Errno.EIO, later.errno());
        assertThrows(JournalFailedException.class, j::sync);
        assertThrows(JournalFailedException.class, () -> j.read(1));
        assertThrows(JournalFailedException.class, j::close, "a failed journal's close says so");
        j.close(); // a second close returns quietly
        try (Journal reopened = Journal.open(dir, small().build())) {
            assertArrayEquals("kept".getBytes(), reopened.read(1).value());
        }
    }

    /** The selected backend, with fdatasync failing with EIO on demand. */
    @Test
    void reusableBatchAppendsTogetherAndCanBeRefilled() throws IOException {
        try (Journal j = Journal.open(dir, small().build())) {
            Batch batch = new Batch();
            for (int round = 0; round < 3; round++) {
                batch.reset();
                for (int i = 0; i < 100; i++) { // grows past its initial buffers in the first round
                    batch.add(round * 1000L + i, MemorySegment.ofArray(("k" + i).getBytes()),
                            MemorySegment.ofArray(value(round * 100L + i, 700)));
                }
                LsnRange r = j.appendBatch(batch);
                assertEquals(round * 100L + 1, r.first());
                assertEquals(round * 100L + 100, r.last());
            }
            JournalRecord rec = j.read(250);
            assertEquals(2049, rec.timestamp());
            assertArrayEquals("k49".getBytes(), rec.key());
            assertArrayEquals(value(249, 700), rec.value());
            assertThrows(IllegalArgumentException.class, () -> j.appendBatch(new Batch()));
        }
    }

    @Test
    void batchWithAnOversizedRecordAppendsNothing() throws IOException {
        try (Journal j = Journal.open(dir, small().build())) {
            Batch batch = new Batch().add("ok".getBytes()).add(new byte[(8 << 10) + 1]);
            assertThrows(IllegalArgumentException.class, () -> j.appendBatch(batch));
            assertEquals(-1, j.lastLsn());
        }
    }

    @Test
    void iteratorWalksTheSnapshotInOrder() throws IOException {
        try (Journal j = Journal.open(dir, small().build())) {
            for (long lsn = 1; lsn <= 150; lsn++) {
                j.append(value(lsn, 400));
            }
            java.util.Iterator<JournalRecord> it = j.iterator(100);
            j.append(value(151, 10)); // after the snapshot: not seen
            long expected = 100;
            while (it.hasNext()) {
                JournalRecord r = it.next();
                assertEquals(expected, r.lsn());
                assertArrayEquals(value(expected, 400), r.value());
                expected++;
            }
            assertEquals(151, expected);
            assertEquals("no record after lsn=150", assertThrows(java.util.NoSuchElementException.class, it::next).getMessage());
            java.util.Iterator<JournalRecord> past = j.iterator(500);
            assertEquals("no record with lsn >= 500 (the last record when the iterator was made: lsn=151)",
                    assertThrows(java.util.NoSuchElementException.class, past::next).getMessage());
        }
    }

    private static String sha256(Path p) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}

package org.wal4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.wal4j.log.SegmentFiles;

/**
 * The API for a log whose positions are the caller's (a Raft log's indexes): {@code nextLsn()},
 * {@code appendBatch(firstLsn, batch)} and {@code reset(nextLsn)}, including a reset below the
 * last LSN that a crash interrupted before the old segments were deleted.
 */
class CallerPositionsTest {
    @TempDir
    Path dir;

    private static JournalOptions.Builder small() {
        return JournalOptions.builder().syncPolicy(SyncMode.NONE).segmentBytes(32 << 10).maxValueBytes(8 << 10);
    }

    private static byte[] value(long lsn) {
        byte[] b = new byte[1 + (int) (lsn * 37 % 700)];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (lsn * 31 + i);
        }
        return b;
    }

    private static Batch batch(long firstLsn, int n) {
        Batch b = new Batch();
        for (int i = 0; i < n; i++) {
            b.add(7, MemorySegment.ofArray(new byte[] {(byte) i}), MemorySegment.ofArray(value(firstLsn + i)));
        }
        return b;
    }

    private static void appendRange(Journal j, long from, long to) throws IOException {
        for (long lsn = from; lsn <= to; lsn++) {
            j.append(lsn, 0, new byte[0], value(lsn));
        }
    }

    @Test
    void nextLsnFollowsAppendsTruncationsAndResets() throws IOException {
        try (Journal j = Journal.open(dir, small().build())) {
            assertEquals(1, j.nextLsn(), "a new journal");
            appendRange(j, 1, 10);
            assertEquals(11, j.nextLsn());
            j.truncateBack(6);
            assertEquals(7, j.nextLsn(), "after truncateBack(6)");
            j.reset();
            assertEquals(7, j.nextLsn(), "reset() keeps the next LSN");
            assertEquals(7, j.append(value(7)));
        }
    }

    @Test
    void appendBatchTakesTheCallersConsecutiveLsns() throws IOException {
        try (Journal j = Journal.open(dir, small().syncPolicy(SyncMode.ALWAYS).build())) {
            assertEquals(new LsnRange(100, 104), j.appendBatch(100, batch(100, 5)), "a gap before the first is allowed");
            assertEquals(104, j.durableLsn(), "in ALWAYS mode the batch is durable when the call returns");
            assertEquals(new LsnRange(105, 105), j.appendBatch(105, batch(105, 1)));
            IllegalArgumentException notAbove = assertThrows(IllegalArgumentException.class, () -> j.appendBatch(105, batch(105, 2)));
            assertTrue(notAbove.getMessage().contains("firstLsn=105") && notAbove.getMessage().contains("last lsn=105"),
                    notAbove.getMessage());
            assertThrows(IllegalArgumentException.class, () -> j.appendBatch(0, batch(1, 1)));
            assertThrows(IllegalArgumentException.class, () -> j.appendBatch(-3, batch(1, 1)));
            assertThrows(IllegalArgumentException.class, () -> j.appendBatch(Long.MAX_VALUE - 1, batch(1, 3)));
            assertThrows(IllegalArgumentException.class, () -> j.appendBatch(200, new Batch()));
            assertThrows(NullPointerException.class, () -> j.appendBatch(200, null));
            assertEquals(105, j.lastLsn(), "a refused batch appends nothing");
            for (long lsn = 100; lsn <= 105; lsn++) {
                JournalRecord r = j.read(lsn);
                assertArrayEquals(value(lsn), r.value(), "lsn " + lsn);
                assertEquals(7, r.timestamp());
            }
            assertThrows(LsnNotFoundException.class, () -> j.read(99));
        }
        try (Journal j = Journal.open(dir, small().build())) {
            assertEquals(100, j.firstLsn());
            assertEquals(105, j.lastLsn());
            assertEquals(106, j.nextLsn());
        }
    }

    @Test
    void resetBelowTheLastLsnStartsTheLogThereAndSurvivesReopen() throws IOException {
        try (Journal j = Journal.open(dir, small().build())) {
            appendRange(j, 1, 300);
            assertTrue(SegmentFiles.list(dir).segments().size() > 2, "several segments");
            j.reset(50);
            assertEquals(-1, j.firstLsn());
            assertEquals(-1, j.lastLsn());
            assertEquals(50, j.nextLsn());
            assertEquals(List.of(dir.resolve(SegmentFiles.name(50))), SegmentFiles.list(dir).segments(), "one segment, at 50");
            IllegalArgumentException below = assertThrows(IllegalArgumentException.class,
                    () -> j.append(49, 0, new byte[0], value(49)));
            assertTrue(below.getMessage().contains("lsn=49"), below.getMessage());
            appendRange(j, 50, 60);
            assertArrayEquals(value(55), j.read(55).value());
        }
        try (Journal j = Journal.open(dir, small().build())) {
            assertEquals(50, j.firstLsn());
            assertEquals(60, j.lastLsn());
            assertEquals(61, j.nextLsn());
            j.reset(5);
            j.close();
        }
        try (Journal j = Journal.open(dir, small().build())) {
            assertEquals(-1, j.lastLsn(), "an empty journal after reset(5) and reopen");
            assertEquals(5, j.nextLsn(), "the next LSN a reset set survives reopen");
            assertEquals(5, j.append(value(5)));
        }
    }

    @Test
    void resetAboveTheNextLsnSkipsAhead() throws IOException {
        try (Journal j = Journal.open(dir, small().build())) {
            appendRange(j, 1, 20);
            j.reset(1000);
            assertEquals(1000, j.nextLsn());
            assertEquals(1000, j.append(value(1000)));
        }
        try (Journal j = Journal.open(dir, small().build())) {
            assertEquals(1000, j.firstLsn());
            assertEquals(1001, j.nextLsn());
        }
    }

    @Test
    void resetToTheLsnItAlreadyHasLeavesOneFreshSegment() throws IOException {
        try (Journal j = Journal.open(dir, small().build())) {
            appendRange(j, 1, 20);
            j.reset();
            j.reset(21);
            assertEquals(List.of(dir.resolve(SegmentFiles.name(21))), SegmentFiles.list(dir).segments());
            j.reset(1);
            assertEquals(1, j.nextLsn());
            assertEquals(List.of(dir.resolve(SegmentFiles.name(1))), SegmentFiles.list(dir).segments());
            IllegalArgumentException zero = assertThrows(IllegalArgumentException.class, () -> j.reset(0));
            assertTrue(zero.getMessage().contains("nextLsn=0"), zero.getMessage());
            assertThrows(IllegalArgumentException.class, () -> j.reset(-1));
        }
    }

    /**
     * A crash inside a reset below the last LSN, after the RESET segment was made and before
     * the old segments' deletions were durable: their files are back beside it. Open finishes
     * the reset (they go), and reads neither their records nor a broken chain.
     */
    @Test
    void openFinishesAResetThatACrashInterrupted() throws IOException {
        Path before = Files.createDirectory(dir.resolve("before"));
        Path after = dir.resolve("after");
        try (Journal j = Journal.open(before, small().build())) {
            appendRange(j, 1, 300);
        }
        copyDir(before, after);
        try (Journal j = Journal.open(after, small().build())) {
            j.reset(40);
            appendRange(j, 40, 45);
        }
        List<Path> old = SegmentFiles.list(before).segments();
        assertTrue(old.size() > 2);
        for (Path p : old) {
            if (!Files.exists(after.resolve(p.getFileName()))) {
                Files.copy(p, after.resolve(p.getFileName()));
            }
        }
        assertTrue(SegmentFiles.list(after).segments().size() > 2, "the old segments are back");
        try (JournalInspection inspection = Journal.inspect(after)) {
            assertEquals(1, inspection.segments().size(), "inspect leaves the old segments out, as open deletes them");
            assertEquals(40, inspection.segments().get(0).baseLsn());
            assertEquals(45, inspection.lastLsn());
        }
        assertTrue(SegmentFiles.list(after).segments().size() > 2, "inspect changed nothing");
        try (Journal j = Journal.open(after, small().build())) {
            assertEquals(40, j.firstLsn());
            assertEquals(45, j.lastLsn());
            for (long lsn = 40; lsn <= 45; lsn++) {
                assertArrayEquals(value(lsn), j.read(lsn).value());
            }
            assertThrows(LsnNotFoundException.class, () -> j.read(100));
        }
        assertEquals(List.of(after.resolve(SegmentFiles.name(40))), SegmentFiles.list(after).segments(),
                "open deleted the segments the reset removed");
    }

    private static void copyDir(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (var files = Files.list(from)) {
            for (Path p : files.toList()) {
                Files.copy(p, to.resolve(p.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
    }

    /**
     * A reset below the next LSN must not write its new segment into a recycled file: the
     * file's former frames carry LSNs the journal appends again, so the reopened journal took
     * them for a torn tail of its own (and only the salt stood between them and a record).
     */
    @Test
    void resetBelowTheNextLsnLeavesNoFormerFramesInItsSegments() throws IOException {
        JournalOptions options = small().direct(true).recycleSegments(4).build();
        try (Journal j = Journal.open(dir, options)) {
            j.append(new byte[0]);
            j.reset(1); // the journal's next LSN is 2
        }
        try (Journal j = Journal.open(dir, options)) {
            assertEquals(0, j.recoveryReport().droppedTailBytes(), j.recoveryReport().toString());
            assertEquals(1, j.nextLsn());
            appendRange(j, 1, 200); // rollovers: segments to recycle
            j.reset(3);
        }
        try (Journal j = Journal.open(dir, options)) {
            assertEquals(0, j.recoveryReport().droppedTailBytes(), j.recoveryReport().toString());
            assertEquals(3, j.nextLsn());
            assertThrows(LsnNotFoundException.class, () -> j.read(3));
            appendRange(j, 3, 120);
        }
        try (Journal j = Journal.open(dir, options)) {
            assertEquals(0, j.recoveryReport().droppedTailBytes(), j.recoveryReport().toString());
            assertEquals(121, j.nextLsn());
            for (long lsn = 3; lsn <= 120; lsn++) {
                assertArrayEquals(value(lsn), j.read(lsn).value(), "lsn " + lsn);
            }
        }
    }
}

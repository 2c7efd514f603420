package org.wal4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.wal4j.format.JournalFormat;
import org.wal4j.io.IoBackend;
import org.wal4j.io.OpenFlag;
import org.wal4j.log.Segment;
import org.wal4j.log.SegmentScanner;

/** The DURABLE_MARK written ahead of a truncation: where it lies, what finds it, what ignores it. */
class DurableMarksTest {
    private static final int SALT = 0x5eed5a17;
    private static final long SEGMENT_ID = 5;

    @TempDir
    Path dir;

    /** A segment (id 5, base LSN 1) holding {@code records} records of 100-byte values; open for reading and writing. */
    private Segment segment(int salt, int records) throws IOException {
        Path p = dir.resolve("seg-" + salt);
        JournalFormat.SegmentHeader h = new JournalFormat.SegmentHeader(SEGMENT_ID, 1, salt, 0, 4, 0, 0, 0, 0);
        Segment s = new Segment(p, IoBackend.select().open(p, OpenFlag.READ, OpenFlag.WRITE, OpenFlag.CREATE),
                h, IndexMode.full().newIndex());
        long frame = JournalFormat.recordFrameBytes(0, 100);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment img = a.allocate(JournalFormat.HEADER_BLOCK_BYTES + records * frame, 4096);
            JournalFormat.encodeHeader(img, h);
            for (int i = 0; i < records; i++) {
                JournalFormat.encodeRecord(img, JournalFormat.HEADER_BLOCK_BYTES + i * frame, salt, i + 1, 0,
                        MemorySegment.ofArray(new byte[0]), a.allocate(100));
            }
            s.file().write(0, img);
        }
        s.scanned(JournalFormat.HEADER_BLOCK_BYTES + records * frame, records > 0 ? 1 : -1, records > 0 ? records : -1, records);
        return s;
    }

    @Test
    void aMarkAheadLiesPastZerosWhereNoScanReachesItAndRecoveryFindsIt() throws IOException {
        Segment s = segment(SALT, 3);
        long end = s.endOffset();
        DurableMarks.writeAt(s, end, end + DurableMarks.AHEAD_GAP, 4);
        long fileBytes = s.file().size();
        assertEquals(end + DurableMarks.AHEAD_GAP + JournalFormat.MARK_FRAME_BYTES, fileBytes);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment gap = a.allocate(DurableMarks.AHEAD_GAP);
            s.file().read(end, gap);
            for (long i = 0; i < DurableMarks.AHEAD_GAP; i++) {
                assertEquals(0, gap.get(ValueLayout.JAVA_BYTE, i), "byte " + i + " of the gap");
            }
        }
        SegmentScanner.Result r = SegmentScanner.scan(s.file(), fileBytes, SALT, 1, (chunk, at, off, d) -> { });
        assertEquals(end, r.endOffset(), "the scan ends at the frames' end, before the mark");
        assertEquals(SegmentScanner.End.CLEAN, r.end());
        assertEquals(0, r.durableMark(), "no scan of the frames sees the mark ahead");
        assertEquals(4, DurableMarks.readAhead(s, end, fileBytes));
        s.close();
    }

    @Test
    void aMarkAtTheEndOfTheFramesIsReadByTheScanNotAhead() throws IOException {
        Segment s = segment(SALT, 2);
        long end = s.endOffset();
        DurableMarks.writeAt(s, end, end, 3);
        long fileBytes = s.file().size();
        SegmentScanner.Result r = SegmentScanner.scan(s.file(), fileBytes, SALT, 1, (chunk, at, off, d) -> { });
        assertEquals(3, r.durableMark());
        assertEquals(end + JournalFormat.MARK_FRAME_BYTES, r.endOffset());
        assertEquals(0, DurableMarks.readAhead(s, end, fileBytes), "nothing lies ahead");
        s.close();
    }

    @Test
    void aMarkAheadIsIgnoredIfItSpeaksOfItsOwnSegmentOrLaterOrCarriesAnotherSalt() throws IOException {
        Segment own = segment(SALT, 1);
        DurableMarks.writeAt(own, own.endOffset(), own.endOffset() + DurableMarks.AHEAD_GAP, SEGMENT_ID);
        assertEquals(0, DurableMarks.readAhead(own, own.endOffset(), own.file().size()),
                "a mark speaks only of the segments before its own");
        own.close();

        Segment other = segment(SALT + 1, 1);
        Segment sameFile = new Segment(other.path(), IoBackend.select().open(other.path(), OpenFlag.READ),
                new JournalFormat.SegmentHeader(SEGMENT_ID, 1, SALT, 0, 4, 0, 0, 0, 0), IndexMode.full().newIndex());
        DurableMarks.writeAt(other, other.endOffset(), other.endOffset() + DurableMarks.AHEAD_GAP, 2);
        assertEquals(2, DurableMarks.readAhead(other, other.endOffset(), other.file().size()));
        assertEquals(0, DurableMarks.readAhead(sameFile, other.endOffset(), other.file().size()),
                "a mark under another salt is another segment's");
        other.close();
        sameFile.close();
    }

    @Test
    void noMarkAheadWhereTheFileEndsBeforeIt() throws IOException {
        Segment s = segment(SALT, 2);
        long end = s.endOffset();
        DurableMarks.writeAt(s, end, end + DurableMarks.AHEAD_GAP, 4);
        long fileBytes = s.file().size();
        assertEquals(0, DurableMarks.readAhead(s, end, fileBytes - 1), "a mark cut short by the file's end");
        assertEquals(0, DurableMarks.readAhead(s, JournalFormat.HEADER_BLOCK_BYTES - 8, fileBytes),
                "an end inside the header block is no end of frames");
        s.close();
    }
}

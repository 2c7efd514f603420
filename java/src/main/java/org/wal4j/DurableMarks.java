package org.wal4j;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.wal4j.format.FrameCrc;
import org.wal4j.format.FrameDecoder;
import org.wal4j.format.JournalFormat;
import org.wal4j.log.Segment;

/**
 * The DURABLE_MARKs written apart from the staging buffer: by recovery at the end of a
 * segment's frames, and by a truncation ahead of itself, {@link #AHEAD_GAP} bytes past the
 * end of the frames it cuts (docs/format.md, "Marks"). The caller holds the journal's lock,
 * or is recovery; no state.
 */
final class DurableMarks {
    /**
     * A DURABLE_MARK written ahead of a truncation lies this far past the end of the frames,
     * after zeros: no scan of the frames reaches it, recovery looks for it there, and a mark
     * written at the end of the frames does not touch it.
     */
    static final long AHEAD_GAP = 32;

    private DurableMarks() {}

    /**
     * Writes a DURABLE_MARK saying every segment up to {@code segmentId} was synced at
     * {@code at} in {@code segment}, with zeros before it up to {@code zerosFrom}, through the
     * buffered descriptor (exactly those bytes: an O_DIRECT block write would rewrite what
     * else its block holds), and syncs it.
     */
    static void writeAt(Segment segment, long zerosFrom, long at, long segmentId) throws IOException {
        long bytes = at - zerosFrom + JournalFormat.MARK_FRAME_BYTES;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(bytes, 8); // zeroed
            JournalFormat.encodeDurableMark(buf, at - zerosFrom, segment.salt(), segmentId, new FrameCrc());
            segment.file().write(zerosFrom, buf);
        }
        segment.file().datasync();
    }

    /**
     * The segment id of a DURABLE_MARK of {@code segment} written ahead of a truncation at
     * {@code end} (the end of its frames), or 0. Only ids below the segment's own count: a mark
     * speaks of the segments before the one it is in.
     */
    static long readAhead(Segment segment, long end, long fileBytes) throws IOException {
        long at = end + AHEAD_GAP;
        if (end < JournalFormat.HEADER_BLOCK_BYTES || at + JournalFormat.MARK_FRAME_BYTES > fileBytes) {
            return 0;
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(JournalFormat.MARK_FRAME_BYTES, 8);
            if (segment.file().read(at, buf) != JournalFormat.MARK_FRAME_BYTES) {
                return 0;
            }
            FrameDecoder d = new FrameDecoder();
            if (d.decode(buf, 0, JournalFormat.MARK_FRAME_BYTES, segment.salt()) == FrameDecoder.SKIP
                    && d.type() == (JournalFormat.TYPE_DURABLE_MARK & 0xFF) && d.markSegmentId() < segment.id()) {
                return d.markSegmentId();
            }
            return 0;
        }
    }
}

package org.wal4j.log;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.wal4j.format.FrameDecoder;
import org.wal4j.format.JournalFormat;
import org.wal4j.io.IoFile;

/**
 * Recovery's scan of one segment: walks its frames from the header block onward with a
 * {@link FrameCursor} (large sequential reads, never one per record), calls back for each
 * record, checks that LSNs rise, collects the marks, and says where and why the frames end.
 * The cursor never allocates from an unchecked length field: a frame that claims more than
 * the file holds ends the scan; one that fits in the file is read whole and its CRC decides.
 * The journal's current size limits play no part: a record written under larger limits is
 * still a record.
 */
public final class SegmentScanner {

    /** Called for each record frame, in file order. */
    @FunctionalInterface
    public interface RecordSink {
        /**
         * @param frame the chunk holding the frame; valid only during the call
         * @param frameOffsetInChunk where the frame starts in {@code frame}
         * @param fileOffset where the frame starts in the file
         * @param decoder the decoded fields (offsets relative to {@code frame})
         */
        void record(MemorySegment frame, long frameOffsetInChunk, long fileOffset, FrameDecoder decoder) throws IOException;
    }

    /** How the frames ended. */
    public enum End {
        /** Zeroed space or the end of the file exactly at a frame boundary. */
        CLEAN,
        /** A frame cut short by the end of the file. */
        TRUNCATED,
        /** Bytes that are not a valid frame. */
        INVALID,
        /** A record whose LSN is not greater than the one before (or below the segment's base LSN). */
        LSN_ORDER
    }

    /**
     * What a scan found.
     *
     * @param endOffset where the valid frames end (the next frame would start here)
     * @param records the number of record frames
     * @param firstLsn the first record's LSN, or -1
     * @param lastLsn the last record's LSN, or -1
     * @param end how the frames ended
     * @param reason why, for TRUNCATED, INVALID and LSN_ORDER
     * @param durableMark the highest segment id in a DURABLE_MARK frame before the end, 0 if none
     * @param syncedEnd the highest offset a SYNC_MARK frame before the end records as durable, 0 if none
     */
    public record Result(long endOffset, long records, long firstLsn, long lastLsn, End end, String reason,
                         long durableMark, long syncedEnd) {}

    private static final long CHUNK_BYTES = 1 << 20;

    private SegmentScanner() {}

    /**
     * Scans {@code file} from {@link JournalFormat#HEADER_BLOCK_BYTES} to {@code fileBytes}.
     *
     * @param baseLsn every record's LSN must be >= this
     */
    public static Result scan(IoFile file, long fileBytes, int salt, long baseLsn, RecordSink sink) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            FrameCursor cursor = new FrameCursor(arena.allocate(Math.min(CHUNK_BYTES, Math.max(fileBytes, 4096)), 4096))
                    .reset(file::read, JournalFormat.HEADER_BLOCK_BYTES, Math.max(fileBytes, JournalFormat.HEADER_BLOCK_BYTES), salt);
            long records = 0;
            long firstLsn = -1;
            long lastLsn = -1;
            long mark = 0;
            long synced = 0;
            while (true) {
                FrameCursor.Status status = cursor.next();
                long pos = cursor.frameOffset();
                FrameDecoder decoder = cursor.decoder();
                switch (status) {
                    case RECORD -> {
                        long lsn = decoder.lsn();
                        if (lsn < baseLsn || (lastLsn >= 0 && Long.compareUnsigned(lsn, lastLsn) <= 0)) {
                            return new Result(pos, records, firstLsn, lastLsn, End.LSN_ORDER,
                                    "record lsn=" + Long.toUnsignedString(lsn) + " after lsn=" + lastLsn + " (baseLsn=" + baseLsn + ")", mark, synced);
                        }
                        sink.record(cursor.buffer(), cursor.frameOffsetInBuffer(), pos, decoder);
                        if (firstLsn < 0) {
                            firstLsn = lsn;
                        }
                        lastLsn = lsn;
                        records++;
                    }
                    case SKIP -> {
                        if (decoder.type() == (JournalFormat.TYPE_DURABLE_MARK & 0xFF)) {
                            mark = Math.max(mark, decoder.markSegmentId());
                        } else if (decoder.type() == (JournalFormat.TYPE_SYNC_MARK & 0xFF)) {
                            synced = Math.max(synced, decoder.syncedEnd());
                        }
                    }
                    case END -> {
                        return new Result(pos, records, firstLsn, lastLsn, End.CLEAN, null, mark, synced);
                    }
                    case RANGE_END -> {
                        if (pos < fileBytes) { // the file ended before the size it was listed with
                            return new Result(pos, records, firstLsn, lastLsn, End.TRUNCATED,
                                    "file shrank while scanning: it ends at offset " + pos + ", not " + fileBytes, mark, synced);
                        }
                        return new Result(pos, records, firstLsn, lastLsn, End.CLEAN, null, mark, synced);
                    }
                    case INVALID -> {
                        return new Result(pos, records, firstLsn, lastLsn, End.INVALID, cursor.reason(), mark, synced);
                    }
                    case TRUNCATED -> {
                        return new Result(pos, records, firstLsn, lastLsn, End.TRUNCATED, cursor.reason(), mark, synced);
                    }
                }
            }
        }
    }
}

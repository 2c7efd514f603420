package org.wal4j.log;

import java.io.IOException;
import java.nio.file.Path;
import org.wal4j.format.JournalFormat;
import org.wal4j.io.IoFile;

/**
 * One segment file of a journal, as the engine tracks it: its header, where its frames end,
 * its first and last LSN, and its index of LSN to file offset. Mutable; guarded by the
 * journal's lock.
 */
public final class Segment {
    private final Path path;
    private final JournalFormat.SegmentHeader header;
    private final OffsetIndex index;
    private IoFile file;
    private long endOffset;
    private long firstLsn = -1;
    private long lastLsn = -1;
    private long records;

    public Segment(Path path, IoFile file, JournalFormat.SegmentHeader header, OffsetIndex index) {
        this.path = path;
        this.file = file;
        this.header = header;
        this.index = index;
        this.endOffset = JournalFormat.HEADER_BLOCK_BYTES;
    }

    public Path path() {
        return path;
    }

    public IoFile file() {
        return file;
    }

    /** Replaces the open file (e.g. reopened for writing when the segment becomes active again). */
    public void file(IoFile newFile) throws IOException {
        if (file != null && file != newFile) {
            file.close();
        }
        file = newFile;
    }

    public JournalFormat.SegmentHeader header() {
        return header;
    }

    public long id() {
        return header.segmentId();
    }

    public long baseLsn() {
        return header.baseLsn();
    }

    public int salt() {
        return header.salt();
    }

    public OffsetIndex index() {
        return index;
    }

    /** Where the next frame goes (frames staged in memory included). */
    public long endOffset() {
        return endOffset;
    }

    public long firstLsn() {
        return firstLsn;
    }

    public long lastLsn() {
        return lastLsn;
    }

    public long records() {
        return records;
    }

    public boolean isEmpty() {
        return records == 0;
    }

    /** Accounts for a record frame of {@code frameBytes} at the current end. */
    public void appended(long lsn, long frameBytes) {
        index.add(lsn, endOffset);
        if (firstLsn < 0) {
            firstLsn = lsn;
        }
        lastLsn = lsn;
        records++;
        endOffset += frameBytes;
    }

    /** Accounts for a frame that is not a record (a DURABLE_MARK) at the current end. */
    public void skipped(long frameBytes) {
        endOffset += frameBytes;
    }

    /** Sets the state found by a scan. */
    public void scanned(long endOffset, long firstLsn, long lastLsn, long records) {
        this.endOffset = endOffset;
        this.firstLsn = firstLsn;
        this.lastLsn = lastLsn;
        this.records = records;
    }

    public void close() throws IOException {
        if (file != null) {
            file.close();
        }
    }

    @Override
    public String toString() {
        return "Segment[" + path.getFileName() + " id=" + id() + " lsn=" + firstLsn + ".." + lastLsn
                + " end=" + endOffset + "]";
    }
}

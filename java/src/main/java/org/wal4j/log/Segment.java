package org.wal4j.log;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.wal4j.format.JournalFormat;
import org.wal4j.io.IoFile;

/**
 * One segment file of a journal, as the engine tracks it: its header, where its frames end,
 * its first and last LSN, and its index of LSN to file offset. Mutable; guarded by the
 * journal's lock: its mutators are for the journal's units ({@code SegmentSet},
 * {@code Recovery}, {@code SegmentWriter}, {@code Truncation}) alone.
 */
public final class Segment {
    private final Path path;
    private final JournalFormat.SegmentHeader header;
    private final OffsetIndex index;
    private IoFile file;
    /** An O_DIRECT descriptor that writes of the active segment go through, or null. */
    private IoFile directWriter;
    private long endOffset;
    private long firstLsn = -1;
    private long lastLsn = -1;
    private long records;
    /** False until the frames were scanned: the end and last LSN come from the successor's header. */
    private boolean loaded = true;
    private boolean reserved;
    private Arena mapArena;
    private MemorySegment mapped;
    private java.nio.ByteBuffer mappedView;

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
        unmap(); // the file may be cut next: no mapping may outlive the bytes it shows
        if (file != null && file != newFile) {
            file.close();
        }
        file = newFile;
    }

    /** The file that frames are written and synced through: the O_DIRECT one if any, else {@link #file()}. */
    public IoFile writer() {
        return directWriter != null ? directWriter : file;
    }

    /** Sets (or, with null, closes and drops) the O_DIRECT descriptor that writes go through. */
    public void directWriter(IoFile writer) throws IOException {
        IoFile old = directWriter;
        directWriter = writer;
        if (old != null && old != writer) {
            old.close();
        }
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
        return lastLsn < 0;
    }

    /** Whether the frames were scanned (index, first LSN and record count known). */
    public boolean isLoaded() {
        return loaded;
    }

    /**
     * A sealed segment not scanned yet: its end and last LSN as its successor's header
     * recorded them ({@code prevLastLsn} below the base LSN means it holds no record).
     */
    public void recorded(long endOffset, long lastLsn) {
        this.endOffset = endOffset;
        this.lastLsn = lastLsn >= baseLsn() ? lastLsn : -1;
        this.firstLsn = -1;
        this.records = 0;
        this.loaded = false;
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
        this.loaded = true;
        this.endOffset = endOffset;
        this.firstLsn = firstLsn;
        this.lastLsn = lastLsn;
        this.records = records;
    }

    /** Whether the file already has its full size (preallocated), so appends do not grow it. */
    public boolean reserved() {
        return reserved;
    }

    public void reserved(boolean reserved) {
        this.reserved = reserved;
    }

    /**
     * A read-only mapping of the file covering at least {@code [0, needed)}, or null if the
     * file is shorter. Mapped once and kept while the file only grows; reads through it are
     * plain memory copies (the page cache that pwrite fills), with no system call.
     */
    public MemorySegment mapping(long needed) throws IOException {
        if (mapped != null && mapped.byteSize() >= needed) {
            return mapped;
        }
        long size = file.size();
        if (size < needed) {
            return null;
        }
        unmap();
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            mappedView = size <= Integer.MAX_VALUE ? mapped.asByteBuffer() : null;
            mapArena = arena;
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
        return mapped;
    }

    /** The {@code asByteBuffer()} view of the current {@link #mapping}, or null if none or larger than 2 GiB. */
    public java.nio.ByteBuffer mappingView() {
        return mappedView;
    }

    /** Drops the mapping, if any. */
    public void unmap() {
        if (mapArena != null) {
            mapped = null;
            mappedView = null;
            Arena a = mapArena;
            mapArena = null;
            a.close();
        }
    }

    public void close() throws IOException {
        unmap();
        try {
            directWriter(null);
        } finally {
            if (file != null) {
                file.close();
            }
        }
    }

    @Override
    public String toString() {
        return "Segment[" + path.getFileName() + " id=" + id() + " lsn=" + firstLsn + ".." + lastLsn
                + " end=" + endOffset + "]";
    }

    /** Closes each segment's files; returns the first error, any later ones suppressed in it, or null. */
    public static IOException closeAll(java.util.List<Segment> segments) {
        IOException first = null;
        for (Segment s : segments) {
            try {
                s.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        return first;
    }
}

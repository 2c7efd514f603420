package org.wal4j.compat.gohacks;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.wal4j.io.IoFile;

/**
 * A window onto {@code [from, end)} of a file, refilled by large sequential reads
 * ({@link #CHUNK_BYTES}), so that scanning and replaying cost one pread per chunk rather than
 * one per record. A record larger than a chunk gets a window of its own size. On a file opened
 * with O_DIRECT every read starts at an aligned offset, into an aligned buffer, for an aligned
 * length ({@link IoFile#directAlignment()}). Confined to the thread that created it.
 */
final class ReadWindow implements AutoCloseable {
    static final int CHUNK_BYTES = 1 << 20;

    private final IoFile file;
    private final long end;
    /** 1 for a buffered file. */
    private final int alignment;
    private Arena arena;
    private MemorySegment buffer;
    private long bufferStart;
    private long bufferBytes;

    /** @param end the first file offset never read (the end of the log) */
    ReadWindow(IoFile file, long end) {
        this.file = file;
        this.end = end;
        this.alignment = file.isDirect() ? file.directAlignment() : 1;
        this.arena = Arena.ofConfined();
        this.buffer = arena.allocate(alignUp(CHUNK_BYTES), Math.max(8, alignment));
    }

    /**
     * Makes {@code [position, position + length)} readable in {@link #segment()} and returns
     * where it starts there, or -1 if the file ends before {@code position + length}
     * (it is shorter than {@code end}). {@code position + length} must not exceed {@code end}.
     */
    long load(long position, long length) throws IOException {
        if (position + length > end) {
            throw new IllegalArgumentException("position=" + position + " length=" + length + " end=" + end);
        }
        if (position >= bufferStart && position + length <= bufferStart + bufferBytes) {
            return position - bufferStart;
        }
        long start = position - position % alignment;
        long need = position + length - start;
        if (need > buffer.byteSize()) {
            Arena bigger = Arena.ofConfined();
            MemorySegment grown = bigger.allocate(alignUp(need), Math.max(8, alignment));
            arena.close();
            arena = bigger;
            buffer = grown;
        }
        // An aligned read may reach past end (the file's last block): only [start, end) is kept.
        long want = Math.min(buffer.byteSize(), alignUp(end - start));
        bufferStart = start;
        bufferBytes = 0;
        long got = file.read(start, buffer.asSlice(0, want));
        bufferBytes = Math.min(got, end - start);
        return start + bufferBytes < position + length ? -1 : position - start;
    }

    private long alignUp(long n) {
        return (n + alignment - 1) / alignment * alignment;
    }

    /** The bytes loaded; valid until the next {@link #load}. */
    MemorySegment segment() {
        return buffer;
    }

    @Override
    public void close() {
        arena.close();
    }
}

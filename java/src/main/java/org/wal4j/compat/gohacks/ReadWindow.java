package org.wal4j.compat.gohacks;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.wal4j.io.IoFile;

/**
 * A window onto {@code [from, end)} of a file, refilled by large sequential reads
 * ({@link #CHUNK_BYTES}), so that scanning and replaying cost one pread per chunk rather than
 * one per record. A record larger than a chunk gets a window of its own size. Confined to
 * the thread that created it.
 */
final class ReadWindow implements AutoCloseable {
    static final int CHUNK_BYTES = 1 << 20;

    private final IoFile file;
    private final long end;
    private Arena arena;
    private MemorySegment buffer;
    private long bufferStart;
    private long bufferBytes;

    /** @param end the first file offset never read (the end of the log) */
    ReadWindow(IoFile file, long end) {
        this.file = file;
        this.end = end;
        this.arena = Arena.ofConfined();
        this.buffer = arena.allocate(CHUNK_BYTES, 8);
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
        if (length > buffer.byteSize()) {
            Arena bigger = Arena.ofConfined();
            MemorySegment grown = bigger.allocate(length, 8);
            arena.close();
            arena = bigger;
            buffer = grown;
        }
        long want = Math.min(buffer.byteSize(), end - position);
        bufferStart = position;
        bufferBytes = 0;
        long got = file.read(position, buffer.asSlice(0, want));
        bufferBytes = got;
        return got < length ? -1 : 0;
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

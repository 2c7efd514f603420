package org.wal4j.log;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.wal4j.format.FrameDecoder;
import org.wal4j.format.JournalFormat;

/**
 * Walks the journal frames of one file range {@code [from, to)} in order, reading it in large
 * sequential chunks: the one walk of valid frames that recovery's scan, the rewrite of an
 * uncertified tail, a truncation's search for SYNC_MARKs, a read by LSN and a replay cursor
 * share, so that all of them treat a frame cut short, a zeroed tail, a skippable frame and a
 * frame larger than the buffer by the same rules:
 * <ul>
 *   <li>A frame is only ever decoded whole, from bytes read in one piece; one that does not
 *       fit in the buffer is read whole into a larger one. The buffer never grows past what
 *       the range holds: a length field that claims more than the range has left ends the
 *       walk ({@link Status#TRUNCATED}) without an allocation.</li>
 *   <li>Zeroed bytes where a frame would start end the walk ({@link Status#END}), also when
 *       fewer bytes than a frame header are left and all of them are zero.</li>
 *   <li>The range ends where {@code to} says, or earlier where the {@link Source} returns
 *       fewer bytes than asked: a source that reads under a lock can end the range at what the
 *       file holds now. Ending at a frame boundary is {@link Status#RANGE_END}; inside a
 *       frame, {@link Status#TRUNCATED}.</li>
 * </ul>
 *
 * <p>Not the walk for a search through bytes that need not be frames (recovery's look past
 * a cut, which tries every 8-byte offset and must not read a whole claimed frame at each), nor
 * for one frame at a known offset (a DURABLE_MARK written ahead of a truncation): those
 * decode with {@link FrameDecoder} directly.
 *
 * <p>Not thread-safe: one cursor per thread; {@link #reset} starts another walk with the same
 * buffer.
 */
public final class FrameCursor {

    /** What {@link #next()} found. */
    public enum Status {
        /** A record frame: its fields are in {@link #decoder()}, its bytes in {@link #buffer()}. */
        RECORD,
        /** A frame to step over: padding, a mark ({@link #decoder()} has its type and value), or an unknown skippable type. */
        SKIP,
        /** Zeroed space where the next frame would start: the frames end at {@link #frameOffset()}. */
        END,
        /** Bytes that are not a valid frame at {@link #frameOffset()}; {@link #reason()} says why. */
        INVALID,
        /** A frame at {@link #frameOffset()} that the range's end cuts short; {@link #reason()} says how. */
        TRUNCATED,
        /** The range ends at {@link #frameOffset()}, a frame boundary. */
        RANGE_END
    }

    /** Where the bytes come from: a file, or a read made under a lock. */
    @FunctionalInterface
    public interface Source {
        /**
         * Reads from {@code offset} into {@code dst} until it is full or the source ends.
         *
         * @return the bytes read; fewer than {@code dst.byteSize()} ends the range there
         */
        long read(long offset, MemorySegment dst) throws IOException;
    }

    /** Told of the valid frames a walk delivered, in runs, before the cursor reads over their bytes. */
    @FunctionalInterface
    public interface Delivered {
        /**
         * @param fileOffset where the run starts in the file
         * @param frames the run's bytes: whole RECORD and SKIP frames, back to back; valid only during the call
         */
        void frames(long fileOffset, MemorySegment frames) throws IOException;
    }

    private final FrameDecoder decoder = new FrameDecoder();
    private MemorySegment buffer;
    private Source source;
    private Delivered delivered;
    private int salt;
    private long to;
    private long readBytes;
    /** The file offset of {@code buffer[0]} and the bytes read there. */
    private long bufferOffset;
    private long bufferBytes;
    /** The file offset of the next frame, and of the frame {@link #next()} last returned. */
    private long pos;
    private long frameOffset;
    /** Where the frames not yet given to {@link #delivered} start (they are in the buffer up to {@link #pos}). */
    private long runStart;
    private String reason;
    /** How the walk ended, once it has. */
    private Status over;

    /** A cursor that reads into {@code buffer} (and into a larger one for a frame that does not fit). */
    public FrameCursor(MemorySegment buffer) {
        if (buffer.byteSize() < JournalFormat.MARK_FRAME_BYTES) {
            throw new IllegalArgumentException("buffer bytes=" + buffer.byteSize() + " < " + JournalFormat.MARK_FRAME_BYTES);
        }
        this.buffer = buffer;
    }

    /**
     * Starts a walk of {@code [from, to)} of {@code source}, whose frames carry {@code salt},
     * reading the whole buffer at a time.
     */
    public FrameCursor reset(Source source, long from, long to, int salt) {
        return reset(source, from, to, salt, Long.MAX_VALUE, null);
    }

    /**
     * As {@link #reset(Source, long, long, int)}, reading at most {@code readBytes} at a time
     * unless a frame needs more (a read by LSN that knows how long its frame is reads exactly
     * that), and telling {@code delivered} (if not null) of every valid frame.
     */
    public FrameCursor reset(Source source, long from, long to, int salt, long readBytes, Delivered delivered) {
        if (from < 0 || to < from || readBytes <= 0) {
            throw new IllegalArgumentException("range [" + from + ", " + to + ") readBytes=" + readBytes);
        }
        this.source = source;
        this.delivered = delivered;
        this.salt = salt;
        this.to = to;
        this.readBytes = readBytes;
        this.bufferOffset = from;
        this.bufferBytes = 0;
        this.pos = from;
        this.frameOffset = from;
        this.runStart = from;
        this.reason = null;
        this.over = null;
        return this;
    }

    /** Decodes the next frame; after anything but RECORD and SKIP the walk is over and says so again. */
    public Status next() throws IOException {
        if (over != null) {
            return over;
        }
        frameOffset = pos;
        while (true) {
            if (pos >= to) {
                return finish(Status.RANGE_END);
            }
            long inBuffer = pos - bufferOffset;
            int status = decoder.decode(buffer, inBuffer, bufferBytes, salt);
            switch (status) {
                case FrameDecoder.RECORD, FrameDecoder.SKIP -> {
                    pos += decoder.frameBytes();
                    return status == FrameDecoder.RECORD ? Status.RECORD : Status.SKIP;
                }
                case FrameDecoder.END -> {
                    return finish(Status.END);
                }
                case FrameDecoder.INVALID -> {
                    reason = decoder.reason();
                    return finish(Status.INVALID);
                }
                default -> { // NEED_MORE: the frame, or its header, is not all in the buffer
                    long need = bufferBytes - inBuffer >= JournalFormat.COMMON_HEADER_BYTES
                            ? decoder.frameBytes() : JournalFormat.COMMON_HEADER_BYTES;
                    if (need > to - pos) {
                        return finish(zeroUpTo(to) ? Status.END : truncated(need));
                    }
                    if (!refill(need)) {
                        if (pos >= to) {
                            return finish(Status.RANGE_END);
                        }
                        return finish(zeroUpTo(to) ? Status.END : truncated(need));
                    }
                }
            }
        }
    }

    /**
     * Reads from {@link #pos} again, at least {@code need} bytes (which the range holds).
     * False if the source ended the range before {@code need} bytes.
     */
    private boolean refill(long need) throws IOException {
        flushRun();
        if (need > buffer.byteSize()) {
            buffer = Arena.ofAuto().allocate(JournalFormat.align(need), 4096); // bounded by the range: checked by the caller
        }
        long want = Math.min(Math.min(buffer.byteSize(), to - pos), Math.max(readBytes, need));
        bufferOffset = pos;
        runStart = pos;
        bufferBytes = source.read(pos, buffer.asSlice(0, want));
        if (bufferBytes < want) {
            to = pos + Math.max(0, bufferBytes); // the source ends the range here
        }
        return bufferBytes >= need;
    }

    private Status truncated(long need) {
        reason = "frame at offset " + pos + " needs " + need + " bytes but the range ends after " + (to - pos);
        return Status.TRUNCATED;
    }

    /** Whether [pos, end) reads as zeros (a zeroed tail shorter than a frame header is the end, not a torn frame). */
    private boolean zeroUpTo(long end) throws IOException {
        flushRun();
        long at = pos;
        while (at < end) {
            long n = source.read(at, buffer.asSlice(0, Math.min(buffer.byteSize(), end - at)));
            for (long i = 0; i < n; i++) {
                if (buffer.get(ValueLayout.JAVA_BYTE, i) != 0) {
                    bufferBytes = 0;
                    return false;
                }
            }
            if (n <= 0) {
                break;
            }
            at += n;
        }
        bufferBytes = 0; // the buffer holds what the zero check read, not frames from bufferOffset
        return true;
    }

    private Status finish(Status status) throws IOException {
        flushRun();
        over = status;
        return status;
    }

    private void flushRun() throws IOException {
        long runEnd = Math.min(pos, bufferOffset + bufferBytes); // a last frame's alignment past the read is not in the buffer
        if (delivered != null && runEnd > runStart) {
            delivered.frames(runStart, buffer.asSlice(runStart - bufferOffset, runEnd - runStart));
        }
        runStart = pos;
    }

    /** The decoded fields of the frame {@link #next()} last returned; its offsets are in {@link #buffer()}. */
    public FrameDecoder decoder() {
        return decoder;
    }

    /** The memory the {@link #decoder()}'s offsets refer to, until the next call to {@link #next()}. */
    public MemorySegment buffer() {
        return buffer;
    }

    /** The file offset of the frame {@link #next()} last returned, or where the walk ended. */
    public long frameOffset() {
        return frameOffset;
    }

    /** Where the frame {@link #next()} last returned (RECORD or SKIP) starts in {@link #buffer()}. */
    public long frameOffsetInBuffer() {
        return frameOffset - bufferOffset;
    }

    /** The file offset just past the last valid frame returned: where the next frame starts. */
    public long position() {
        return pos;
    }

    /** Why the walk ended, for INVALID and TRUNCATED; null otherwise. */
    public String reason() {
        return reason;
    }
}

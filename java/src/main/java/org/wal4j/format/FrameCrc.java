package org.wal4j.format;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The journal frame checksum without allocation: one {@link CRC32C} and the
 * {@link ByteBuffer} view of the last buffer it was given, reused while the caller keeps
 * passing the same buffer (a staging or read buffer). Not thread-safe: one per writer or
 * decoder.
 */
public final class FrameCrc {
    private final CRC32C crc = new CRC32C();
    private MemorySegment viewed;
    private ByteBuffer view;

    /** The masked CRC32C of salt ‖ frame bytes [4, length) of the frame at {@code offset}. */
    public int compute(MemorySegment buf, long offset, long length, int salt) {
        if (buf.byteSize() <= Integer.MAX_VALUE) {
            if (buf != viewed) {
                view = buf.asByteBuffer();
                viewed = buf;
            }
            return compute(view, offset, length, salt);
        }
        startWithSalt(salt);
        long from = offset + JournalFormat.LENGTH_OFFSET;
        crc.update(buf.asSlice(from, offset + length - from).asByteBuffer());
        return Checksums.mask((int) crc.getValue());
    }

    /**
     * As {@link #compute(MemorySegment, long, long, int)} over {@code bufView}, the caller's
     * own {@link MemorySegment#asByteBuffer()} view of the buffer (for callers that switch
     * between several buffers and keep a view of each).
     */
    public int compute(ByteBuffer bufView, long offset, long length, int salt) {
        startWithSalt(salt);
        bufView.limit((int) (offset + length)).position((int) (offset + JournalFormat.LENGTH_OFFSET));
        crc.update(bufView);
        return Checksums.mask((int) crc.getValue());
    }

    private void startWithSalt(int salt) {
        crc.reset();
        crc.update(salt);
        crc.update(salt >>> 8);
        crc.update(salt >>> 16);
        crc.update(salt >>> 24);
    }
}

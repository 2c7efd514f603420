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
        crc.reset();
        crc.update(salt);
        crc.update(salt >>> 8);
        crc.update(salt >>> 16);
        crc.update(salt >>> 24);
        long from = offset + JournalFormat.LENGTH_OFFSET;
        long to = offset + length;
        if (buf.byteSize() <= Integer.MAX_VALUE) {
            if (buf != viewed) {
                view = buf.asByteBuffer();
                viewed = buf;
            }
            view.limit((int) to).position((int) from);
            crc.update(view);
        } else {
            crc.update(buf.asSlice(from, to - from).asByteBuffer());
        }
        return Checksums.mask((int) crc.getValue());
    }
}

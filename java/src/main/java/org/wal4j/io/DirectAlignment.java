package org.wal4j.io;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * The O_DIRECT rule both backends check before the kernel does, so that a misaligned
 * request fails the same way on both, with the offending values in the message, and never
 * reaches the kernel half-done.
 */
final class DirectAlignment {
    private DirectAlignment() {}

    static void check(String call, Path path, int alignment, long offset, MemorySegment buf)
            throws IoCallException {
        long length = buf.byteSize();
        long address = buf.address();
        if (offset % alignment != 0 || length % alignment != 0 || address % alignment != 0) {
            throw new IoCallException(call, path, Errno.EINVAL,
                    "(O_DIRECT needs offset, length and buffer address aligned to " + alignment + ")"
                            + " offset=" + offset + " length=" + length
                            + " address=0x" + Long.toHexString(address), null);
        }
    }

    /** The alignment to use when the filesystem states none. */
    static final int DEFAULT = 4096;
}

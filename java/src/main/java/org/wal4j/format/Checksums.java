package org.wal4j.format;

import java.lang.foreign.MemorySegment;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;

/**
 * The checksums of the three formats: CRC32C (the journal format, WALX) and CRC32 IEEE
 * (WALLY), over ranges of a {@link MemorySegment}. Both use the JDK classes on
 * {@code asByteBuffer()}, which HotSpot turns into the CPU's CRC instructions; no copy.
 */
public final class Checksums {
    private static final int MASK_DELTA = 0xa282ead8;

    private Checksums() {}

    /** CRC32C (Castagnoli) of {@code length} bytes of {@code segment} from {@code offset}. */
    public static int crc32c(MemorySegment segment, long offset, long length) {
        CRC32C crc = new CRC32C();
        crc.update(segment.asSlice(offset, length).asByteBuffer());
        return (int) crc.getValue();
    }

    /** CRC32 (IEEE 802.3, as Go's hash/crc32.ChecksumIEEE) of a range. */
    public static int crc32(MemorySegment segment, long offset, long length) {
        CRC32 crc = new CRC32();
        crc.update(segment.asSlice(offset, length).asByteBuffer());
        return (int) crc.getValue();
    }

    /**
     * LevelDB's CRC mask: a CRC stored next to the data it covers is rotated and offset, so
     * that a CRC computed over bytes that themselves contain CRCs stays strong, and so that
     * all-zero space never carries a valid checksum of itself.
     */
    public static int mask(int crc) {
        return ((crc >>> 15) | (crc << 17)) + MASK_DELTA;
    }

    /** The inverse of {@link #mask}. */
    public static int unmask(int masked) {
        int rot = masked - MASK_DELTA;
        return (rot >>> 17) | (rot << 15);
    }
}

package org.wal4j.format;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The WALX layout: the single-file log of gohacks' {@code wal} package, byte for byte.
 * Encodes into and decodes from {@link MemorySegment}s; no I/O here. All integers are
 * little-endian; the CRC is CRC32C ({@link Checksums#crc32c}).
 *
 * <pre>
 * file header (24 bytes, once at offset 0)
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                 magic u32 = 0x584C4157 ("WALX")               |  0
 *  +---------------------------------------------------------------+
 *  |                        version u32 = 1                        |  4
 *  +---------------------------------------------------------------+
 *  |               features u64 (bit 0 = CRC32C, must be 1)        |  8
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |      created_at u64 (unix seconds, at most 2^63-1)            | 16
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *
 * record (repeated from offset 24 to the end of the log)
 *  +---------------------------------------------------------------+
 *  |   size u32 = bytes after this field = 28 + klen + vlen        |  0
 *  +---------------------------------------------------------------+
 *  |                  lsn u64 (caller's, unsigned)                 |  4
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |            ts u64 (unix seconds, at most 2^63-1)              | 12
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                         klen u32                              | 20
 *  +---------------------------------------------------------------+
 *  |                         vlen u32                              | 24
 *  +---------------------------------------------------------------+
 *  |                      key (klen bytes)                        ...  28
 *  +---------------------------------------------------------------+
 *  |                     value (vlen bytes)                       ...  28 + klen
 *  +---------------------------------------------------------------+
 *  |          crc u32 = CRC32C of bytes [4, 28 + klen + vlen)      |  28 + klen + vlen
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * The CRC covers lsn through value (not the size field, not itself); this was checked
 * against a file written by gohacks (the test fixture {@code gohacks-sample.wal}). A record
 * is valid only if every check of {@link #checkRecord} passes; the log ends at the first
 * record that is not.
 */
public final class WalxFormat {

    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    // ---------------------------------------------------------------- file header

    /** "WALX" read as a little-endian u32. */
    public static final int MAGIC = 0x584C4157;
    /** The only version there is. */
    public static final int VERSION = 1;
    /** Feature bit 0: records carry a CRC32C. gohacks always sets it. */
    public static final long FEATURE_CRC32C = 1L;
    /** The features a header must have, exactly: unknown bits or a missing CRC are refused. */
    public static final long SUPPORTED_FEATURES = FEATURE_CRC32C;

    public static final int MAGIC_OFFSET = 0;
    public static final int MAGIC_LENGTH = 4;
    public static final int VERSION_OFFSET = MAGIC_OFFSET + MAGIC_LENGTH;
    public static final int VERSION_LENGTH = 4;
    public static final int FEATURES_OFFSET = VERSION_OFFSET + VERSION_LENGTH;
    public static final int FEATURES_LENGTH = 8;
    public static final int CREATED_AT_OFFSET = FEATURES_OFFSET + FEATURES_LENGTH;
    public static final int CREATED_AT_LENGTH = 8;
    /** 24: the header's length; the first record starts here. */
    public static final int HEADER_LENGTH = CREATED_AT_OFFSET + CREATED_AT_LENGTH;

    // ---------------------------------------------------------------- record

    public static final int SIZE_OFFSET = 0;
    public static final int SIZE_LENGTH = 4;
    public static final int LSN_OFFSET = SIZE_OFFSET + SIZE_LENGTH;
    public static final int LSN_LENGTH = 8;
    public static final int TIMESTAMP_OFFSET = LSN_OFFSET + LSN_LENGTH;
    public static final int TIMESTAMP_LENGTH = 8;
    public static final int KEY_LENGTH_OFFSET = TIMESTAMP_OFFSET + TIMESTAMP_LENGTH;
    public static final int KEY_LENGTH_LENGTH = 4;
    public static final int VALUE_LENGTH_OFFSET = KEY_LENGTH_OFFSET + KEY_LENGTH_LENGTH;
    public static final int VALUE_LENGTH_LENGTH = 4;
    /** 28: where the key starts, and the length of the fixed fields before it. */
    public static final int KEY_OFFSET = VALUE_LENGTH_OFFSET + VALUE_LENGTH_LENGTH;
    public static final int CRC_LENGTH = 4;
    /** 28: the smallest valid size field (empty key and value): lsn, ts, klen, vlen, crc. */
    public static final int MIN_SIZE = KEY_OFFSET - SIZE_LENGTH + CRC_LENGTH;
    /** 32: a record's length beyond its key and value. */
    public static final int RECORD_OVERHEAD = KEY_OFFSET + CRC_LENGTH;
    /** The largest size field a u32 holds. */
    public static final long MAX_SIZE = 0xFFFF_FFFFL;

    private WalxFormat() {}

    /** What {@link #checkHeader} found. */
    public enum HeaderState {
        VALID,
        /** Fewer than {@link #HEADER_LENGTH} bytes. */
        TOO_SHORT,
        BAD_MAGIC,
        BAD_VERSION,
        /** Features other than exactly {@link #SUPPORTED_FEATURES}. */
        UNSUPPORTED_FEATURES,
        /** created_at above 2^63-1 (gohacks' ErrTimestampTooBig). */
        CREATED_AT_TOO_BIG
    }

    /** What {@link #checkRecord} found; every state but VALID ends the log. */
    public enum RecordState {
        VALID,
        /** Fewer than 4 bytes left: not even a size field. */
        INCOMPLETE_SIZE,
        /** The size field is below {@link #MIN_SIZE}. */
        SIZE_TOO_SMALL,
        /** The size field reaches beyond the end of the log. */
        PAST_END,
        /** 28 + klen + vlen differs from the size field. */
        LENGTH_MISMATCH,
        /** The stored CRC32C is not the CRC32C of lsn..value. */
        CRC_MISMATCH,
        /** ts is above 2^63-1 (gohacks' ErrTimestampTooBig). */
        TIMESTAMP_TOO_BIG
    }

    // ---------------------------------------------------------------- header codec

    /** Writes a header with {@link #SUPPORTED_FEATURES} at {@code offset}. */
    public static void encodeHeader(MemorySegment dst, long offset, long createdAtSeconds) {
        if (createdAtSeconds < 0) {
            throw new IllegalArgumentException("createdAtSeconds=" + createdAtSeconds + " must be >= 0");
        }
        dst.set(U32, offset + MAGIC_OFFSET, MAGIC);
        dst.set(U32, offset + VERSION_OFFSET, VERSION);
        dst.set(U64, offset + FEATURES_OFFSET, SUPPORTED_FEATURES);
        dst.set(U64, offset + CREATED_AT_OFFSET, createdAtSeconds);
    }

    /**
     * Checks the header at {@code offset}; {@code available} is how many bytes the file has
     * from there (only the first {@link #HEADER_LENGTH} of them are read).
     */
    public static HeaderState checkHeader(MemorySegment src, long offset, long available) {
        if (available < HEADER_LENGTH) {
            return HeaderState.TOO_SHORT;
        }
        if (magic(src, offset) != MAGIC) {
            return HeaderState.BAD_MAGIC;
        }
        if (version(src, offset) != VERSION) {
            return HeaderState.BAD_VERSION;
        }
        if (features(src, offset) != SUPPORTED_FEATURES) {
            return HeaderState.UNSUPPORTED_FEATURES;
        }
        if (createdAt(src, offset) < 0) {
            return HeaderState.CREATED_AT_TOO_BIG;
        }
        return HeaderState.VALID;
    }

    public static int magic(MemorySegment src, long offset) {
        return src.get(U32, offset + MAGIC_OFFSET);
    }

    /** The version, as an unsigned value. */
    public static long version(MemorySegment src, long offset) {
        return Integer.toUnsignedLong(src.get(U32, offset + VERSION_OFFSET));
    }

    public static long features(MemorySegment src, long offset) {
        return src.get(U64, offset + FEATURES_OFFSET);
    }

    /** created_at as stored: negative when the u64 is above 2^63-1. */
    public static long createdAt(MemorySegment src, long offset) {
        return src.get(U64, offset + CREATED_AT_OFFSET);
    }

    // ---------------------------------------------------------------- record codec

    /** 32 + keyLength + valueLength: the bytes a record occupies in the file. */
    public static long recordLength(long keyLength, long valueLength) {
        return RECORD_OVERHEAD + keyLength + valueLength;
    }

    /** The value's offset within a record with this key length. */
    public static long valueOffset(long keyLength) {
        return KEY_OFFSET + keyLength;
    }

    /** The CRC's offset within a record with this key and value length. */
    public static long crcOffset(long keyLength, long valueLength) {
        return KEY_OFFSET + keyLength + valueLength;
    }

    /**
     * Writes a complete record, CRC included, at {@code offset} of {@code dst}.
     *
     * @param lsn the LSN (an unsigned 64-bit value)
     * @param timestamp seconds, {@code >= 0}
     * @return the record's length, {@link #recordLength}
     * @throws IllegalArgumentException if the timestamp is negative or the record's size
     *     field would not fit a u32
     */
    public static long encodeRecord(MemorySegment dst, long offset, long lsn, long timestamp,
                                    MemorySegment key, MemorySegment value) {
        long keyLength = key.byteSize();
        long valueLength = value.byteSize();
        long length = recordLength(keyLength, valueLength);
        if (timestamp < 0) {
            throw new IllegalArgumentException("timestamp=" + timestamp + " must be >= 0");
        }
        if (length - SIZE_LENGTH > MAX_SIZE) {
            throw new IllegalArgumentException(
                    "record size=" + (length - SIZE_LENGTH) + " does not fit a u32: keyLength=" + keyLength
                            + " valueLength=" + valueLength);
        }
        dst.set(U32, offset + SIZE_OFFSET, (int) (length - SIZE_LENGTH));
        dst.set(U64, offset + LSN_OFFSET, lsn);
        dst.set(U64, offset + TIMESTAMP_OFFSET, timestamp);
        dst.set(U32, offset + KEY_LENGTH_OFFSET, (int) keyLength);
        dst.set(U32, offset + VALUE_LENGTH_OFFSET, (int) valueLength);
        MemorySegment.copy(key, 0, dst, offset + KEY_OFFSET, keyLength);
        MemorySegment.copy(value, 0, dst, offset + valueOffset(keyLength), valueLength);
        long crcOffset = crcOffset(keyLength, valueLength);
        dst.set(U32, offset + crcOffset, computeCrc(dst, offset, crcOffset - LSN_OFFSET));
        return length;
    }

    /**
     * Checks the framing of the record at {@code offset} from its first 28 bytes: the size
     * field's bounds and 28 + klen + vlen = size. {@code available} is how many bytes the log
     * has from {@code offset} on; it may exceed what {@code src} holds, as only the first
     * {@code min(available, 28)} bytes are read. Returns VALID when the framing is sound
     * (the CRC and timestamp are {@link #checkRecord}'s).
     */
    public static RecordState checkFraming(MemorySegment src, long offset, long available) {
        if (available < SIZE_LENGTH) {
            return RecordState.INCOMPLETE_SIZE;
        }
        long size = size(src, offset);
        if (size < MIN_SIZE) {
            return RecordState.SIZE_TOO_SMALL;
        }
        if (SIZE_LENGTH + size > available) {
            return RecordState.PAST_END;
        }
        if (MIN_SIZE + keyLength(src, offset) + valueLength(src, offset) != size) {
            return RecordState.LENGTH_MISMATCH;
        }
        return RecordState.VALID;
    }

    /**
     * Checks the record at {@code offset}: {@link #checkFraming}, then the CRC32C of lsn..value,
     * then ts at most 2^63-1. {@code src} must hold the whole record when the framing is
     * valid; {@code available} is as for checkFraming.
     */
    public static RecordState checkRecord(MemorySegment src, long offset, long available) {
        RecordState framing = checkFraming(src, offset, available);
        if (framing != RecordState.VALID) {
            return framing;
        }
        long size = size(src, offset);
        if (storedCrc(src, offset) != computeCrc(src, offset, size - CRC_LENGTH)) {
            return RecordState.CRC_MISMATCH;
        }
        if (timestamp(src, offset) < 0) {
            return RecordState.TIMESTAMP_TOO_BIG;
        }
        return RecordState.VALID;
    }

    /** The size field (bytes after it), unsigned. */
    public static long size(MemorySegment src, long offset) {
        return Integer.toUnsignedLong(src.get(U32, offset + SIZE_OFFSET));
    }

    /** The LSN: an unsigned 64-bit value in a long (compare with {@link Long#compareUnsigned}). */
    public static long lsn(MemorySegment src, long offset) {
        return src.get(U64, offset + LSN_OFFSET);
    }

    /** The timestamp as stored: negative when the u64 is above 2^63-1. */
    public static long timestamp(MemorySegment src, long offset) {
        return src.get(U64, offset + TIMESTAMP_OFFSET);
    }

    public static long keyLength(MemorySegment src, long offset) {
        return Integer.toUnsignedLong(src.get(U32, offset + KEY_LENGTH_OFFSET));
    }

    public static long valueLength(MemorySegment src, long offset) {
        return Integer.toUnsignedLong(src.get(U32, offset + VALUE_LENGTH_OFFSET));
    }

    /** The key bytes of a framed record (a slice, no copy). */
    public static MemorySegment key(MemorySegment src, long offset) {
        return src.asSlice(offset + KEY_OFFSET, keyLength(src, offset));
    }

    /** The value bytes of a framed record (a slice, no copy). */
    public static MemorySegment value(MemorySegment src, long offset) {
        long keyLength = keyLength(src, offset);
        return src.asSlice(offset + valueOffset(keyLength), valueLength(src, offset));
    }

    /** The CRC stored at the end of a framed record. */
    public static int storedCrc(MemorySegment src, long offset) {
        return src.get(U32, offset + SIZE_LENGTH + size(src, offset) - CRC_LENGTH);
    }

    /** CRC32C of the {@code coveredLength} bytes from the LSN field of the record at {@code offset}. */
    public static int computeCrc(MemorySegment src, long offset, long coveredLength) {
        return Checksums.crc32c(src, offset + LSN_OFFSET, coveredLength);
    }
}

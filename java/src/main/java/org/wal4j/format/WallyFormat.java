package org.wal4j.format;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The WALLY record layout (go-wally's on-disk format, byte-compatible): a file is a
 * sequence of records and nothing else (no file header); record {@code i} (1-based) starts
 * where record {@code i - 1} ends. All integers are little-endian.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                Length (u64): payload bytes                    |  0
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |            CRC32 IEEE (u32) of the payload bytes              |  8
 *  +---------------------------------------------------------------+
 *  |                      Reserved (u32) = 0                       | 12
 *  +---------------------------------------------------------------+
 *  |                    Payload (Length bytes)                    ...  16
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * A zero-length payload has CRC 0, so its record is 16 zero bytes: zero-filled space reads as
 * a run of valid empty records (a property of the format, kept for compatibility).
 *
 * <p>A record is valid when its 16 header bytes are present, its Length fits in the bytes
 * that follow it, Reserved is 0 and the CRC matches; {@link #checkHeader} and
 * {@link #checkPayload} say which of these fails ({@link Verdict}). No I/O here.
 */
public final class WallyFormat {
    public static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public static final int LENGTH_OFFSET = 0;
    public static final int LENGTH_LENGTH = 8;
    public static final int CRC_OFFSET = 8;
    public static final int CRC_LENGTH = 4;
    public static final int RESERVED_OFFSET = 12;
    public static final int RESERVED_LENGTH = 4;
    public static final int PAYLOAD_OFFSET = 16;
    /** Bytes before the payload: {@value}. */
    public static final int HEADER_LENGTH = 16;

    /** What is wrong with a record, or {@link #VALID}. */
    public enum Verdict {
        VALID("valid"),
        /** Fewer than {@link #HEADER_LENGTH} bytes remain. */
        SHORT_HEADER("header cut short by the end of the file"),
        /** Length (read as unsigned) exceeds the bytes after the header. */
        LENGTH_BEYOND_END("length runs past the end of the file"),
        /** The reserved field is not 0. */
        RESERVED_NOT_ZERO("reserved field is not 0"),
        /** The payload's CRC32 differs from the stored one. */
        CHECKSUM_MISMATCH("payload CRC32 mismatch");

        private final String description;

        Verdict(String description) {
            this.description = description;
        }

        /** A short description, e.g. {@code "payload CRC32 mismatch"}. */
        public String description() {
            return description;
        }
    }

    private WallyFormat() {}

    /** The bytes a record with a payload of {@code payloadLength} bytes takes. */
    public static long recordLength(long payloadLength) {
        return HEADER_LENGTH + payloadLength;
    }

    /** Where the payload of the record at {@code recordOffset} starts. */
    public static long payloadOffset(long recordOffset) {
        return recordOffset + PAYLOAD_OFFSET;
    }

    /** The stored Length as a raw u64: negative when the top bit is set (a damaged field). */
    public static long payloadLength(MemorySegment src, long recordOffset) {
        return src.get(U64, recordOffset + LENGTH_OFFSET);
    }

    /** The stored CRC32. */
    public static int storedCrc(MemorySegment src, long recordOffset) {
        return src.get(U32, recordOffset + CRC_OFFSET);
    }

    /** The stored reserved field (0 in a valid record). */
    public static int reserved(MemorySegment src, long recordOffset) {
        return src.get(U32, recordOffset + RESERVED_OFFSET);
    }

    /** The CRC32 IEEE of {@code length} bytes of {@code src} from {@code offset}. */
    public static int crc(MemorySegment src, long offset, long length) {
        return Checksums.crc32(src, offset, length);
    }

    /** Writes a header at {@code recordOffset}: the length, the given CRC, reserved 0. */
    public static void encodeHeader(MemorySegment dst, long recordOffset, long payloadLength, int crc) {
        dst.set(U64, recordOffset + LENGTH_OFFSET, payloadLength);
        dst.set(U32, recordOffset + CRC_OFFSET, crc);
        dst.set(U32, recordOffset + RESERVED_OFFSET, 0);
    }

    /**
     * Encodes a whole record (header and a copy of {@code payload}) at {@code recordOffset}
     * of {@code dst} and returns its length.
     *
     * @throws IndexOutOfBoundsException if it does not fit in {@code dst}
     */
    public static long encode(MemorySegment dst, long recordOffset, MemorySegment payload) {
        long length = payload.byteSize();
        long recordLength = recordLength(length);
        if (recordOffset < 0 || recordOffset > dst.byteSize() - recordLength) {
            throw new IndexOutOfBoundsException("record does not fit: recordOffset=" + recordOffset
                    + " recordLength=" + recordLength + " capacity=" + dst.byteSize());
        }
        encodeHeader(dst, recordOffset, length, crc(payload, 0, length));
        MemorySegment.copy(payload, 0, dst, recordOffset + PAYLOAD_OFFSET, length);
        return recordLength;
    }

    /**
     * Checks the header of the record at {@code recordOffset} of {@code src}, where
     * {@code remaining} bytes of the file (or log) remain from {@code recordOffset} on. Only
     * the header is read, so {@code src} needs to hold just the header when the answer is not
     * {@link Verdict#SHORT_HEADER}. Checks in order: the header is complete, the length fits
     * in {@code remaining} (compared unsigned, so a huge length never becomes an allocation),
     * reserved is 0.
     */
    public static Verdict checkHeader(MemorySegment src, long recordOffset, long remaining) {
        if (remaining < HEADER_LENGTH) {
            return Verdict.SHORT_HEADER;
        }
        long length = payloadLength(src, recordOffset);
        if (Long.compareUnsigned(length, remaining - HEADER_LENGTH) > 0) {
            return Verdict.LENGTH_BEYOND_END;
        }
        if (reserved(src, recordOffset) != 0) {
            return Verdict.RESERVED_NOT_ZERO;
        }
        return Verdict.VALID;
    }

    /**
     * Checks the CRC of the record at {@code recordOffset}, whose header passed
     * {@link #checkHeader} and whose payload is entirely in {@code src}.
     */
    public static Verdict checkPayload(MemorySegment src, long recordOffset) {
        long length = payloadLength(src, recordOffset);
        int computed = crc(src, recordOffset + PAYLOAD_OFFSET, length);
        return computed == storedCrc(src, recordOffset) ? Verdict.VALID : Verdict.CHECKSUM_MISMATCH;
    }

    /**
     * {@link #checkHeader} then {@link #checkPayload}, when all {@code remaining} bytes from
     * {@code recordOffset} on are in {@code src} (e.g. a whole file in memory).
     */
    public static Verdict check(MemorySegment src, long recordOffset, long remaining) {
        Verdict header = checkHeader(src, recordOffset, remaining);
        return header != Verdict.VALID ? header : checkPayload(src, recordOffset);
    }
}

package org.wal4j.format;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The journal format: the segment header and the frames of wal4j's own segmented log.
 * docs/format.md ("The journal") is the specification; this class carries its offsets.
 * All integers are little-endian.
 *
 * <pre>
 * Segment file: one header block, then frames at 8-byte aligned offsets, then zeros.
 *
 * Segment header (the first HEADER_BLOCK_BYTES = 4096 bytes; bytes 84..4095 are zero)
 *   0  magic          u64  "WAL4JSEG" (0x4745534a344c4157)
 *   8  version        u32  2
 *  12  headerBytes    u32  4096: where the first frame starts
 *  16  segmentId      u64  never reused within a journal: a successor's is greater
 *  24  baseLsn        u64  its records' LSNs are all >= it (the first record's, unless a caller LSN or a reset skipped some)
 *  32  salt           u32  random per segment; mixed into every frame CRC
 *  36  flags          u32  bit 0 RECYCLED: the file held an earlier segment of this journal;
 *                          the bytes after this segment's frames may be that segment's (frames
 *                          of another salt, with LSNs below baseLsn) and end the log as zeros
 *                          do. bit 1 RESET: the journal starts at this segment: every
 *                          segment with a lower id is what a reset removes (an interrupted
 *                          reset leaves them; recovery deletes them). Other bits: 0; a
 *                          reader rejects a header with one set
 *  40  prevSegmentId  u64  0 for the first segment of a journal
 *  48  prevLastLsn    u64  the last LSN of the predecessor when this segment was created
 *  56  prevEndOffset  u64  the byte offset where the predecessor's frames end
 *  64  createdMillis  u64  wall clock at creation (informational)
 *  72  durableSegmentId u64  every segment with an id <= this was sealed and synced
 *                          when this header was written (0: none known)
 *  80  headerCrc      u32  masked CRC32C of bytes [0, 80)
 *
 * Frame (starts at an 8-byte aligned offset; the next frame starts at align8(offset + length))
 *   0  crc            u32  masked CRC32C of salt (u32 LE) followed by frame bytes [4, length)
 *   4  length         u32  bytes from the frame's start to the end of its payload, >= 16
 *   8  type           u8   0 = none (zeroed space: the end of the log), 1 = RECORD,
 *                          2 = PADDING, 0x81 = DURABLE_MARK, 0x82 = SYNC_MARK; types with bit 0x80 set may
 *                          be skipped by readers that do not know them; other unknown
 *                          types are invalid
 *   9  flags          u8   0
 *  10  keyLength      u16  RECORD: key bytes; others: 0
 *  12  valueLength    u32  RECORD: value bytes; others: 0
 *  16  lsn            u64  RECORD only: length = 32 + keyLength + valueLength
 *  24  timestamp      i64  RECORD only: caller's timestamp (gohacks: unix seconds)
 *  32  key, then value
 * </pre>
 *
 * A PADDING frame is 16 bytes of header and zeros up to its length; a writer uses it to
 * reach a block boundary. A DURABLE_MARK frame (length 24) carries a u64 at 16: a segment
 * id whose frames, and every earlier segment's, were synced before the mark was written. Zero-filled or never-written space has crc 0 and length 0, which
 * no valid frame has (length >= 16), so it reads as the end.
 */
public final class JournalFormat {
    public static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public static final long MAGIC = 0x4745534a344c4157L; // "WAL4JSEG" read as a little-endian u64
    public static final int VERSION = 2; // 2: durableSegmentId at 72, CRC at 80 (1 had its CRC at 72)
    public static final int HEADER_BLOCK_BYTES = 4096;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 8;
    public static final int HEADER_BYTES_OFFSET = 12;
    public static final int SEGMENT_ID_OFFSET = 16;
    public static final int BASE_LSN_OFFSET = 24;
    public static final int SALT_OFFSET = 32;
    public static final int FLAGS_OFFSET = 36;
    public static final int PREV_SEGMENT_ID_OFFSET = 40;
    public static final int PREV_LAST_LSN_OFFSET = 48;
    public static final int PREV_END_OFFSET_OFFSET = 56;
    public static final int CREATED_MILLIS_OFFSET = 64;
    public static final int DURABLE_SEGMENT_ID_OFFSET = 72;
    public static final int HEADER_CRC_OFFSET = 80;
    public static final int HEADER_CRC_COVERED = 80;

    public static final int FRAME_ALIGNMENT = 8;
    public static final int CRC_OFFSET = 0;
    public static final int LENGTH_OFFSET = 4;
    public static final int TYPE_OFFSET = 8;
    public static final int FLAGS_FRAME_OFFSET = 9;
    public static final int KEY_LENGTH_OFFSET = 10;
    public static final int VALUE_LENGTH_OFFSET = 12;
    public static final int COMMON_HEADER_BYTES = 16;
    public static final int LSN_OFFSET = 16;
    public static final int TIMESTAMP_OFFSET = 24;
    public static final int RECORD_HEADER_BYTES = 32;
    public static final int MARK_SEGMENT_ID_OFFSET = 16;
    public static final int MARK_FRAME_BYTES = 24;

    public static final byte TYPE_NONE = 0;
    public static final byte TYPE_RECORD = 1;
    public static final byte TYPE_PADDING = 2;
    public static final byte TYPE_DURABLE_MARK = (byte) 0x81;
    /**
     * A frame whose u64 at 16 is an offset in its own segment: every frame before it had been
     * made durable (an fdatasync returned 0) when this frame was written. Recovery uses it to
     * tell damage to durable frames from a torn tail.
     */
    public static final byte TYPE_SYNC_MARK = (byte) 0x82;
    public static final int TYPE_SKIPPABLE_BIT = 0x80;

    public static final int MAX_KEY_BYTES = 0xFFFF;

    /** Header flag: the file is recycled; what follows the frames may be an earlier segment's. */
    public static final int FLAG_RECYCLED = 1;
    /**
     * Header flag: a reset starts the journal here; segments with lower ids are left over from
     * before it, and open deletes them. Set by a reset to a next LSN of the caller's (other
     * than the journal's own), so that a crash before the old segments are gone cannot leave
     * their records with the new next LSN.
     */
    public static final int FLAG_RESET = 2;
    private static final int KNOWN_FLAGS = FLAG_RECYCLED | FLAG_RESET;

    private JournalFormat() {}

    /** Rounds up to the frame alignment. */
    public static long align(long offset) {
        return (offset + FRAME_ALIGNMENT - 1) & -FRAME_ALIGNMENT;
    }

    /** The aligned size a record with these field sizes takes. */
    public static long recordFrameBytes(long keyLength, long valueLength) {
        return align(RECORD_HEADER_BYTES + keyLength + valueLength);
    }

    /** The segment header as read or to be written. */
    public record SegmentHeader(long segmentId, long baseLsn, int salt, int flags, long prevSegmentId, long prevLastLsn,
                                long prevEndOffset, long createdMillis, long durableSegmentId) {
        /** Whether {@link #FLAG_RECYCLED} is set. */
        public boolean recycled() {
            return (flags & FLAG_RECYCLED) != 0;
        }

        /** Whether {@link #FLAG_RESET} is set. */
        public boolean resetPoint() {
            return (flags & FLAG_RESET) != 0;
        }
    }

    /** Writes a header into {@code dst[0, HEADER_BLOCK_BYTES)}; the rest of the block is zeroed. */
    public static void encodeHeader(MemorySegment dst, SegmentHeader h) {
        dst.asSlice(0, HEADER_BLOCK_BYTES).fill((byte) 0);
        dst.set(U64, MAGIC_OFFSET, MAGIC);
        dst.set(U32, VERSION_OFFSET, VERSION);
        dst.set(U32, HEADER_BYTES_OFFSET, HEADER_BLOCK_BYTES);
        dst.set(U64, SEGMENT_ID_OFFSET, h.segmentId());
        dst.set(U64, BASE_LSN_OFFSET, h.baseLsn());
        dst.set(U32, SALT_OFFSET, h.salt());
        dst.set(U32, FLAGS_OFFSET, h.flags());
        dst.set(U64, PREV_SEGMENT_ID_OFFSET, h.prevSegmentId());
        dst.set(U64, PREV_LAST_LSN_OFFSET, h.prevLastLsn());
        dst.set(U64, PREV_END_OFFSET_OFFSET, h.prevEndOffset());
        dst.set(U64, CREATED_MILLIS_OFFSET, h.createdMillis());
        dst.set(U64, DURABLE_SEGMENT_ID_OFFSET, h.durableSegmentId());
        dst.set(U32, HEADER_CRC_OFFSET, Checksums.mask(Checksums.crc32c(dst, 0, HEADER_CRC_COVERED)));
    }

    /**
     * Reads and checks a header from {@code src} (at least {@value #HEADER_BLOCK_BYTES} bytes
     * or the whole file if shorter).
     *
     * @throws FormatException naming the field and value that are wrong
     */
    public static SegmentHeader decodeHeader(MemorySegment src) throws FormatException {
        if (src.byteSize() < HEADER_CRC_OFFSET + 4) {
            throw new FormatException(0, "segment header truncated: fileBytes=" + src.byteSize()
                    + " need=" + HEADER_BLOCK_BYTES);
        }
        long magic = src.get(U64, MAGIC_OFFSET);
        if (magic != MAGIC) {
            throw new FormatException(MAGIC_OFFSET, "not a wal4j segment: magic=0x" + Long.toHexString(magic));
        }
        // the version first: another version's header may keep its CRC elsewhere
        int version = src.get(U32, VERSION_OFFSET);
        if (version != VERSION) {
            throw new FormatException(VERSION_OFFSET, "unsupported segment version=" + version + " (this reader: " + VERSION + ")");
        }
        int storedCrc = src.get(U32, HEADER_CRC_OFFSET);
        int crc = Checksums.mask(Checksums.crc32c(src, 0, HEADER_CRC_COVERED));
        if (storedCrc != crc) {
            throw new FormatException(HEADER_CRC_OFFSET, "segment header CRC mismatch: stored=0x"
                    + Integer.toHexString(storedCrc) + " computed=0x" + Integer.toHexString(crc));
        }
        int headerBytes = src.get(U32, HEADER_BYTES_OFFSET);
        if (headerBytes != HEADER_BLOCK_BYTES) {
            throw new FormatException(HEADER_BYTES_OFFSET, "unsupported headerBytes=" + headerBytes);
        }
        int flags = src.get(U32, FLAGS_OFFSET);
        if ((flags & ~KNOWN_FLAGS) != 0) {
            throw new FormatException(FLAGS_OFFSET, "unsupported segment header flags=0x" + Integer.toHexString(flags)
                    + " (this reader knows 0x" + Integer.toHexString(KNOWN_FLAGS) + ")");
        }
        if (src.byteSize() < HEADER_BLOCK_BYTES) {
            throw new FormatException(0, "segment header block truncated: fileBytes=" + src.byteSize()
                    + " need=" + HEADER_BLOCK_BYTES);
        }
        return new SegmentHeader(src.get(U64, SEGMENT_ID_OFFSET), src.get(U64, BASE_LSN_OFFSET),
                src.get(U32, SALT_OFFSET), flags, src.get(U64, PREV_SEGMENT_ID_OFFSET), src.get(U64, PREV_LAST_LSN_OFFSET),
                src.get(U64, PREV_END_OFFSET_OFFSET), src.get(U64, CREATED_MILLIS_OFFSET),
                src.get(U64, DURABLE_SEGMENT_ID_OFFSET));
    }

    /**
     * Encodes a record frame at {@code offset} of {@code dst}, including the zero padding up to
     * the next 8-byte boundary, and returns the aligned frame size.
     */
    public static long encodeRecord(MemorySegment dst, long offset, int salt, long lsn, long timestamp,
                                    MemorySegment key, MemorySegment value) {
        return encodeRecord(dst, offset, salt, lsn, timestamp, key, value, new FrameCrc());
    }

    /** As {@link #encodeRecord(MemorySegment, long, int, long, long, MemorySegment, MemorySegment)}, reusing {@code crc}. */
    public static long encodeRecord(MemorySegment dst, long offset, int salt, long lsn, long timestamp,
                                    MemorySegment key, MemorySegment value, FrameCrc crc) {
        long keyLength = key.byteSize();
        long valueLength = value.byteSize();
        long length = RECORD_HEADER_BYTES + keyLength + valueLength;
        long aligned = align(length);
        dst.set(U32, offset + LENGTH_OFFSET, (int) length);
        dst.set(ValueLayout.JAVA_BYTE, offset + TYPE_OFFSET, TYPE_RECORD);
        dst.set(ValueLayout.JAVA_BYTE, offset + FLAGS_FRAME_OFFSET, (byte) 0);
        dst.set(U16, offset + KEY_LENGTH_OFFSET, (short) keyLength);
        dst.set(U32, offset + VALUE_LENGTH_OFFSET, (int) valueLength);
        dst.set(U64, offset + LSN_OFFSET, lsn);
        dst.set(U64, offset + TIMESTAMP_OFFSET, timestamp);
        MemorySegment.copy(key, 0, dst, offset + RECORD_HEADER_BYTES, keyLength);
        MemorySegment.copy(value, 0, dst, offset + RECORD_HEADER_BYTES + keyLength, valueLength);
        if (aligned > length) {
            dst.asSlice(offset + length, aligned - length).fill((byte) 0);
        }
        dst.set(U32, offset + CRC_OFFSET, crc.compute(dst, offset, length, salt));
        return aligned;
    }

    /** Encodes a DURABLE_MARK frame ({@value #MARK_FRAME_BYTES} bytes) at {@code offset}. */
    public static long encodeDurableMark(MemorySegment dst, long offset, int salt, long durableSegmentId, FrameCrc crc) {
        return encodeMark(dst, offset, salt, TYPE_DURABLE_MARK, durableSegmentId, crc);
    }

    /** Encodes a SYNC_MARK frame ({@value #MARK_FRAME_BYTES} bytes) at {@code offset}: frames before {@code syncedEnd} are durable. */
    public static long encodeSyncMark(MemorySegment dst, long offset, int salt, long syncedEnd, FrameCrc crc) {
        return encodeMark(dst, offset, salt, TYPE_SYNC_MARK, syncedEnd, crc);
    }

    private static long encodeMark(MemorySegment dst, long offset, int salt, byte type, long value, FrameCrc crc) {
        dst.asSlice(offset, MARK_FRAME_BYTES).fill((byte) 0);
        dst.set(U32, offset + LENGTH_OFFSET, MARK_FRAME_BYTES);
        dst.set(ValueLayout.JAVA_BYTE, offset + TYPE_OFFSET, type);
        dst.set(U64, offset + MARK_SEGMENT_ID_OFFSET, value);
        dst.set(U32, offset + CRC_OFFSET, crc.compute(dst, offset, MARK_FRAME_BYTES, salt));
        return MARK_FRAME_BYTES;
    }

    /** Encodes a padding frame of {@code length} bytes (a multiple of 8, >= 16) at {@code offset}. */
    public static void encodePadding(MemorySegment dst, long offset, long length, int salt) {
        if (length < COMMON_HEADER_BYTES || length % FRAME_ALIGNMENT != 0 || length > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("padding length=" + length + " must be a multiple of 8, >= 16");
        }
        dst.asSlice(offset, length).fill((byte) 0);
        dst.set(U32, offset + LENGTH_OFFSET, (int) length);
        dst.set(ValueLayout.JAVA_BYTE, offset + TYPE_OFFSET, TYPE_PADDING);
        dst.set(U32, offset + CRC_OFFSET, frameCrc(dst, offset, length, salt));
    }

    /** The masked CRC32C of salt ‖ frame bytes [4, length). */
    public static int frameCrc(MemorySegment frame, long offset, long length, int salt) {
        return new FrameCrc().compute(frame, offset, length, salt);
    }
}

package org.wal4j.format;

import static org.wal4j.format.JournalFormat.COMMON_HEADER_BYTES;
import static org.wal4j.format.JournalFormat.KEY_LENGTH_OFFSET;
import static org.wal4j.format.JournalFormat.LENGTH_OFFSET;
import static org.wal4j.format.JournalFormat.LSN_OFFSET;
import static org.wal4j.format.JournalFormat.MARK_FRAME_BYTES;
import static org.wal4j.format.JournalFormat.MARK_SEGMENT_ID_OFFSET;
import static org.wal4j.format.JournalFormat.RECORD_HEADER_BYTES;
import static org.wal4j.format.JournalFormat.TIMESTAMP_OFFSET;
import static org.wal4j.format.JournalFormat.TYPE_DURABLE_MARK;
import static org.wal4j.format.JournalFormat.TYPE_OFFSET;
import static org.wal4j.format.JournalFormat.TYPE_PADDING;
import static org.wal4j.format.JournalFormat.TYPE_RECORD;
import static org.wal4j.format.JournalFormat.TYPE_SKIPPABLE_BIT;
import static org.wal4j.format.JournalFormat.U16;
import static org.wal4j.format.JournalFormat.U32;
import static org.wal4j.format.JournalFormat.U64;
import static org.wal4j.format.JournalFormat.VALUE_LENGTH_OFFSET;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Decodes one journal frame at a time from a buffer, without allocating: the fields of the
 * last frame decoded are kept in this object. One decoder per thread.
 *
 * <p>{@link #decode} never trusts a length field further than the bytes it was given: a
 * frame that claims to extend past {@code limit} is {@link #NEED_MORE}, never a read past
 * the buffer or an allocation.
 */
public final class FrameDecoder {
    /** A record frame; its fields are in this decoder. */
    public static final int RECORD = 1;
    /** A frame to step over (padding, or an unknown type marked skippable). */
    public static final int SKIP = 2;
    /** Zeroed space: crc, length and type all zero. The log ends here. */
    public static final int END = 3;
    /** The frame (or its header) extends past {@code limit}: read more, or at EOF, a torn tail. */
    public static final int NEED_MORE = 4;
    /** Not a valid frame; {@link #reason()} says why. */
    public static final int INVALID = 5;

    private final FrameCrc crc = new FrameCrc();
    private long frameBytes;
    private int type;
    /** The u64 a DURABLE_MARK or SYNC_MARK carries. */
    private long markValue;
    private long lsn;
    private long timestamp;
    private long keyOffset;
    private int keyLength;
    private long valueOffset;
    private long valueLength;
    private String reason;

    /**
     * Decodes the frame at {@code offset}, using bytes up to {@code limit} of {@code buf}.
     *
     * @return {@link #RECORD}, {@link #SKIP}, {@link #END}, {@link #NEED_MORE} or {@link #INVALID}
     */
    public int decode(MemorySegment buf, long offset, long limit, int salt) {
        return decode(buf, null, offset, limit, salt);
    }

    /**
     * As {@link #decode(MemorySegment, long, long, int)}, with the caller's own
     * {@code asByteBuffer()} view of {@code buf} for the CRC (null: one is made and kept
     * while {@code buf} stays the same).
     */
    public int decode(MemorySegment buf, java.nio.ByteBuffer bufView, long offset, long limit, int salt) {
        reason = null;
        if (limit - offset < COMMON_HEADER_BYTES) {
            if (limit - offset >= 8 && buf.get(U64, offset) == 0) {
                return END;
            }
            return NEED_MORE;
        }
        long length = Integer.toUnsignedLong(buf.get(U32, offset + LENGTH_OFFSET));
        int stored = buf.get(U32, offset);
        type = buf.get(ValueLayout.JAVA_BYTE, offset + TYPE_OFFSET) & 0xFF;
        if (length == 0 && stored == 0 && type == 0) {
            return END;
        }
        if (length < COMMON_HEADER_BYTES) {
            return invalid("frame length=" + length + " < " + COMMON_HEADER_BYTES);
        }
        frameBytes = JournalFormat.align(length);
        if (offset + length > limit) {
            return NEED_MORE;
        }
        int computed = bufView != null ? crc.compute(bufView, offset, length, salt) : crc.compute(buf, offset, length, salt);
        if (stored != computed) {
            return invalid("frame CRC mismatch: stored=0x" + Integer.toHexString(stored)
                    + " computed=0x" + Integer.toHexString(computed) + " length=" + length);
        }
        if (type == TYPE_RECORD) {
            if (length < RECORD_HEADER_BYTES) {
                return invalid("record frame length=" + length + " < " + RECORD_HEADER_BYTES);
            }
            keyLength = Short.toUnsignedInt(buf.get(U16, offset + KEY_LENGTH_OFFSET));
            valueLength = Integer.toUnsignedLong(buf.get(U32, offset + VALUE_LENGTH_OFFSET));
            if (RECORD_HEADER_BYTES + keyLength + valueLength != length) {
                return invalid("record lengths disagree: length=" + length + " keyLength=" + keyLength
                        + " valueLength=" + valueLength);
            }
            lsn = buf.get(U64, offset + LSN_OFFSET);
            timestamp = buf.get(U64, offset + TIMESTAMP_OFFSET);
            keyOffset = offset + RECORD_HEADER_BYTES;
            valueOffset = keyOffset + keyLength;
            return RECORD;
        }
        if (type == (TYPE_DURABLE_MARK & 0xFF) || type == (JournalFormat.TYPE_SYNC_MARK & 0xFF)) {
            if (length != MARK_FRAME_BYTES) {
                return invalid("mark frame type=0x" + Integer.toHexString(type) + " length=" + length + " != " + MARK_FRAME_BYTES);
            }
            markValue = buf.get(U64, offset + MARK_SEGMENT_ID_OFFSET);
            return SKIP;
        }
        if (type == TYPE_PADDING || (type & TYPE_SKIPPABLE_BIT) != 0) {
            return SKIP;
        }
        return invalid("unknown frame type=" + type);
    }

    private int invalid(String why) {
        reason = why;
        return INVALID;
    }

    /** The aligned size of the last frame decoded (RECORD, SKIP, or the claimed size for NEED_MORE). */
    public long frameBytes() {
        return frameBytes;
    }

    /** The type byte of the last frame decoded (0..255). */
    public int type() {
        return type;
    }

    /** After a DURABLE_MARK frame ({@link #SKIP} with {@link #type()} 0x81): the segment id it carries. */
    public long markSegmentId() {
        return markValue;
    }

    /** SYNC_MARK: the offset before which the segment's frames were durable when the mark was written. */
    public long syncedEnd() {
        return markValue;
    }

    public long lsn() {
        return lsn;
    }

    public long timestamp() {
        return timestamp;
    }

    /** Offset of the key in the buffer given to {@link #decode}. */
    public long keyOffset() {
        return keyOffset;
    }

    public int keyLength() {
        return keyLength;
    }

    /** Offset of the value in the buffer given to {@link #decode}. */
    public long valueOffset() {
        return valueOffset;
    }

    public long valueLength() {
        return valueLength;
    }

    /** Why the last frame was {@link #INVALID}; null otherwise. */
    public String reason() {
        return reason;
    }
}

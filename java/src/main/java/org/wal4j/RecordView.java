package org.wal4j;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A record seen during {@link Journal#replay}: zero-copy views into the read buffer, valid
 * only during the callback (copy what you keep: {@link #keyBytes()}, {@link #valueBytes()}).
 * The views are made when asked for, so a callback that only needs the LSN or the lengths
 * allocates nothing.
 */
public final class RecordView {
    long lsn;
    long timestamp;
    /** The read buffer, read-only; the fields below are offsets into it. */
    MemorySegment buffer;
    long keyOffset;
    int keyLength;
    long valueOffset;
    long valueLength;
    /** Where the record's frame starts in {@link #buffer}. */
    long frameOffset;

    RecordView() {}

    /** Points this view at the record {@code d} decoded in {@code buffer} (read-only), whose frame starts at {@code frameOffset}. */
    void set(org.wal4j.format.FrameDecoder d, MemorySegment buffer, long frameOffset) {
        this.lsn = d.lsn();
        this.timestamp = d.timestamp();
        this.buffer = buffer;
        this.keyOffset = d.keyOffset();
        this.keyLength = d.keyLength();
        this.valueOffset = d.valueOffset();
        this.valueLength = d.valueLength();
        this.frameOffset = frameOffset;
    }

    /**
     * The record's log sequence number.
     *
     * @return the LSN
     */
    public long lsn() {
        return lsn;
    }

    /**
     * The timestamp the record was appended with.
     *
     * @return the timestamp, as the appender gave it
     */
    public long timestamp() {
        return timestamp;
    }

    /**
     * The key's length, without making a view of it.
     *
     * @return the key's length in bytes, 0 to 65535
     */
    public int keyLength() {
        return keyLength;
    }

    /**
     * The value's length, without making a view of it.
     *
     * @return the value's length in bytes
     */
    public long valueLength() {
        return valueLength;
    }

    /**
     * The CRC32C stored in the record's frame (of its header, key and value, seeded with its
     * segment's salt; docs/format.md), which the read checked.
     *
     * @return the stored CRC32C as an int ({@link Integer#toUnsignedLong} gives its unsigned value)
     */
    public int crc() {
        return buffer.get(org.wal4j.format.JournalFormat.U32, frameOffset + org.wal4j.format.JournalFormat.CRC_OFFSET);
    }

    /**
     * The key, without copying it.
     *
     * @return a read-only view of the key in the read buffer, valid during the callback only
     */
    public MemorySegment key() {
        return buffer.asSlice(keyOffset, keyLength);
    }

    /**
     * The value, without copying it.
     *
     * @return a read-only view of the value in the read buffer, valid during the callback only
     */
    public MemorySegment value() {
        return buffer.asSlice(valueOffset, valueLength);
    }

    /**
     * Copies the value into {@code dst} at {@code dstOffset}, allocating nothing.
     *
     * @param dst the segment to copy into; it needs {@link #valueLength()} bytes from
     *     {@code dstOffset}
     * @param dstOffset the byte offset in {@code dst} where the value goes
     * @throws IndexOutOfBoundsException if the value does not fit in {@code dst} at that offset
     * @throws UnsupportedOperationException if {@code dst} is read-only
     */
    public void copyValue(MemorySegment dst, long dstOffset) {
        MemorySegment.copy(buffer, valueOffset, dst, dstOffset, valueLength);
    }

    /**
     * A copy of the key on the heap, which outlives the callback.
     *
     * @return a new array with the key's bytes (empty if the key is empty)
     */
    public byte[] keyBytes() {
        return key().toArray(ValueLayout.JAVA_BYTE);
    }

    /**
     * A copy of the value on the heap, which outlives the callback.
     *
     * @return a new array with the value's bytes
     */
    public byte[] valueBytes() {
        return value().toArray(ValueLayout.JAVA_BYTE);
    }

    /** A copy of the record on the heap. */
    JournalRecord toRecord() {
        return new JournalRecord(lsn, timestamp, keyBytes(), valueBytes());
    }
}

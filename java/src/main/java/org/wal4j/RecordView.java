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

    public long lsn() {
        return lsn;
    }

    public long timestamp() {
        return timestamp;
    }

    public int keyLength() {
        return keyLength;
    }

    public long valueLength() {
        return valueLength;
    }

    /**
     * The CRC32C stored in the record's frame (of its header, key and value, seeded with its
     * segment's salt; docs/format.md), which the read checked.
     */
    public int crc() {
        return buffer.get(org.wal4j.format.JournalFormat.U32, frameOffset + org.wal4j.format.JournalFormat.CRC_OFFSET);
    }

    /** The key, read-only, valid during the callback only. */
    public MemorySegment key() {
        return buffer.asSlice(keyOffset, keyLength);
    }

    /** The value, read-only, valid during the callback only. */
    public MemorySegment value() {
        return buffer.asSlice(valueOffset, valueLength);
    }

    /** Copies the value into {@code dst} at {@code dstOffset} (no allocation). */
    public void copyValue(MemorySegment dst, long dstOffset) {
        MemorySegment.copy(buffer, valueOffset, dst, dstOffset, valueLength);
    }

    public byte[] keyBytes() {
        return key().toArray(ValueLayout.JAVA_BYTE);
    }

    public byte[] valueBytes() {
        return value().toArray(ValueLayout.JAVA_BYTE);
    }

    /** A copy of the record on the heap. */
    JournalRecord toRecord() {
        return new JournalRecord(lsn, timestamp, keyBytes(), valueBytes());
    }
}

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

    RecordView() {}

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
}

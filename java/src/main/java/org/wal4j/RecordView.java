package org.wal4j;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A record seen during {@link Journal#replay}: zero-copy views into the read buffer, valid
 * only during the callback (copy what you keep: {@link #keyBytes()}, {@link #valueBytes()}).
 */
public final class RecordView {
    long lsn;
    long timestamp;
    MemorySegment key;
    MemorySegment value;

    RecordView() {}

    public long lsn() {
        return lsn;
    }

    public long timestamp() {
        return timestamp;
    }

    /** The key, read-only, valid during the callback only. */
    public MemorySegment key() {
        return key;
    }

    /** The value, read-only, valid during the callback only. */
    public MemorySegment value() {
        return value;
    }

    public byte[] keyBytes() {
        return key.toArray(ValueLayout.JAVA_BYTE);
    }

    public byte[] valueBytes() {
        return value.toArray(ValueLayout.JAVA_BYTE);
    }
}

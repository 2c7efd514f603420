package org.wal4j.compat.gohacks;

/**
 * gohacks' {@code ErrRecordTooLarge}: the encoded record (32 bytes plus key and value) is
 * larger than {@link WriteAheadLog#MAX_RECORD_BYTES}. Reachable only with limits raised far
 * above the defaults.
 */
public final class RecordTooLarge extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final long recordBytes;
    private final long maxRecordBytes;

    public RecordTooLarge(long recordBytes, long maxRecordBytes) {
        super("record too large: recordBytes=" + recordBytes + " maxRecordBytes=" + maxRecordBytes);
        this.recordBytes = recordBytes;
        this.maxRecordBytes = maxRecordBytes;
    }

    /** The record's encoded length. */
    public long recordBytes() {
        return recordBytes;
    }

    /** The largest record this implementation writes or reads. */
    public long maxRecordBytes() {
        return maxRecordBytes;
    }
}

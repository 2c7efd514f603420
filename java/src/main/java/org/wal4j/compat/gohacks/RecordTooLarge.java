package org.wal4j.compat.gohacks;

/**
 * gohacks' {@code ErrRecordTooLarge}: the encoded record (32 bytes plus key and value) is
 * larger than {@link WriteAheadLog#MAX_RECORD_BYTES}. Reachable only with limits raised far
 * above the defaults.
 */
public final class RecordTooLarge extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** The record's encoded length in bytes. */
    private final long recordBytes;
    /** The largest record this implementation writes or reads, in bytes. */
    private final long maxRecordBytes;

    /**
     * Reports a record over the limit.
     *
     * @param recordBytes the record's encoded length in bytes (32 plus key and value)
     * @param maxRecordBytes the largest record this implementation writes or reads, in bytes
     */
    public RecordTooLarge(long recordBytes, long maxRecordBytes) {
        super("record too large: recordBytes=" + recordBytes + " maxRecordBytes=" + maxRecordBytes);
        this.recordBytes = recordBytes;
        this.maxRecordBytes = maxRecordBytes;
    }

    /**
     * The record's encoded length: 32 bytes plus key and value.
     *
     * @return the length in bytes
     */
    public long recordBytes() {
        return recordBytes;
    }

    /**
     * The largest record this implementation writes or reads.
     *
     * @return the limit in bytes ({@link WriteAheadLog#MAX_RECORD_BYTES})
     */
    public long maxRecordBytes() {
        return maxRecordBytes;
    }
}

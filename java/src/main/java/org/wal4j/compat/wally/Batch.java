package org.wal4j.compat.wally;

import java.util.AbstractList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.RandomAccess;

/**
 * Records gathered for one {@link Log#writeBatch}: one write and (unless {@code noSync}) one
 * fdatasync for all of them. Reusable: {@link #reset()} and fill again, and the batch keeps
 * its array, so a loop of batches allocates nothing once the array is large enough.
 *
 * <p>The batch holds references, not copies (as go-wally): do not change a record's bytes
 * until {@code writeBatch} has returned. Not thread-safe.
 */
public final class Batch {
    private byte[][] records = new byte[16][];
    private int len;
    private final List<byte[]> view = new View();

    /** An empty batch. */
    public Batch() {}

    /**
     * Adds a record (may be empty). The batch keeps the reference: do not change the
     * array until {@code writeBatch} has returned.
     *
     * @param record the record's bytes
     * @throws NullPointerException if {@code record} is null
     */
    public void add(byte[] record) {
        Objects.requireNonNull(record, "record");
        if (len == records.length) {
            records = Arrays.copyOf(records, len + (len >> 1) + 1);
        }
        records[len++] = record;
    }

    /** Empties the batch, keeping its capacity (references are cleared for the GC). */
    public void reset() {
        Arrays.fill(records, 0, len, null);
        len = 0;
    }

    /**
     * The number of records in the batch.
     *
     * @return the number added since the batch was made or last {@link #reset()}
     */
    public int len() {
        return len;
    }

    /**
     * The records, in order.
     *
     * @return a live, unmodifiable view of the records (no copy)
     */
    public List<byte[]> records() {
        return view;
    }

    /** The backing array; only {@code [0, len())} is in use. */
    byte[][] array() {
        return records;
    }

    private final class View extends AbstractList<byte[]> implements RandomAccess {
        @Override
        public byte[] get(int i) {
            Objects.checkIndex(i, len);
            return records[i];
        }

        @Override
        public int size() {
            return len;
        }
    }
}

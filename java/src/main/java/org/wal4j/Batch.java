package org.wal4j;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Records to append together with {@link Journal#appendBatch(Batch)}: one write, and one
 * fdatasync in {@link SyncMode#ALWAYS}. Reusable: {@link #reset()} keeps the buffers, so a
 * loop that fills and appends a batch allocates nothing once they have grown. Not
 * thread-safe.
 */
public final class Batch implements IndexedRecords {
    private MemorySegment data = Arena.ofAuto().allocate(64 << 10, 8);
    private long dataBytes;
    private long[] keyOffsets = new long[64];
    private int[] keyLengths = new int[64];
    private long[] valueLengths = new long[64];
    private long[] timestamps = new long[64];
    private int size;

    /** An empty batch. */
    public Batch() {
    }

    /**
     * Adds a value with timestamp 0 and an empty key. The value is copied: the array may be
     * reused once this returns.
     *
     * @param value the record's value, any length (empty allowed)
     * @return this batch
     */
    public Batch add(byte[] value) {
        return add(0, MemorySegment.ofArray(new byte[0]), MemorySegment.ofArray(value));
    }

    /**
     * Adds a value with timestamp 0 and an empty key. The value is copied: the segment may be
     * reused once this returns.
     *
     * @param value the record's value, any length (empty allowed)
     * @return this batch
     */
    public Batch add(MemorySegment value) {
        return add(0, MemorySegment.ofArray(new byte[0]), value);
    }

    /**
     * Adds a record. The key and value are copied: the segments may be reused once this returns.
     *
     * @param timestamp the record's timestamp, 0 or more ({@link Journal#appendBatch(Batch)}
     *     refuses the batch if one is negative)
     * @param key the record's key, empty allowed; at most 65535 bytes here, and at most
     *     {@link JournalOptions#maxKeyBytes()} for the append
     * @param value the record's value (empty allowed)
     * @return this batch
     * @throws IllegalArgumentException if the key is longer than 65535 bytes
     */
    public Batch add(long timestamp, MemorySegment key, MemorySegment value) {
        if (key.byteSize() > 0xFFFF) {
            throw new IllegalArgumentException("key too large: keyBytes=" + key.byteSize() + " (the format's limit is 65535)");
        }
        long need = dataBytes + key.byteSize() + value.byteSize();
        if (need > data.byteSize()) {
            MemorySegment bigger = Arena.ofAuto().allocate(Math.max(need, data.byteSize() * 2), 8);
            bigger.copyFrom(data.asSlice(0, dataBytes));
            data = bigger;
        }
        if (size == keyOffsets.length) {
            int n = size * 2;
            keyOffsets = Arrays.copyOf(keyOffsets, n);
            keyLengths = Arrays.copyOf(keyLengths, n);
            valueLengths = Arrays.copyOf(valueLengths, n);
            timestamps = Arrays.copyOf(timestamps, n);
        }
        keyOffsets[size] = dataBytes;
        keyLengths[size] = (int) key.byteSize();
        valueLengths[size] = value.byteSize();
        timestamps[size] = timestamp;
        MemorySegment.copy(key, 0, data, dataBytes, key.byteSize());
        MemorySegment.copy(value, 0, data, dataBytes + key.byteSize(), value.byteSize());
        dataBytes = need;
        size++;
        return this;
    }

    /** Empties the batch, keeping its buffers. */
    public void reset() {
        size = 0;
        dataBytes = 0;
    }

    /**
     * The number of records in the batch.
     *
     * @return the number of records added since the batch was made or last reset
     */
    public int size() {
        return size;
    }

    /** The i-th record's timestamp. */
    @Override
    public long timestamp(int i) {
        return timestamps[i];
    }

    /** The i-th record's key: a view of this batch's buffer, valid until the next add or reset. */
    @Override
    public MemorySegment key(int i) {
        return data.asSlice(keyOffsets[i], keyLengths[i]);
    }

    /** The i-th record's value: a view of this batch's buffer, valid until the next add or reset. */
    @Override
    public MemorySegment value(int i) {
        return data.asSlice(keyOffsets[i] + keyLengths[i], valueLengths[i]);
    }
}

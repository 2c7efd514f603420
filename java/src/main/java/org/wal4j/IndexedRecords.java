package org.wal4j;

import java.lang.foreign.MemorySegment;

/** Indexed access to the records of a batch ({@link Batch}, or the values of {@code appendBatch(byte[]...)}). */
interface IndexedRecords {
    long timestamp(int i);

    MemorySegment key(int i);

    MemorySegment value(int i);
}

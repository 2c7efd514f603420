package org.wal4j;

/** When appended records become durable. */
public enum SyncMode {
    /**
     * The OS decides: records are staged in memory, written when the staging buffer fills,
     * and durable only after {@link Journal#sync()} (or {@link Journal#close()}) returned.
     */
    NONE,
    /**
     * {@code append} returns only after its record is durable: written and fdatasynced (one
     * write and one fdatasync per append or batch).
     */
    ALWAYS
}

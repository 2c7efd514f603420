package org.wal4j;

/** When appended records become durable; the full setting, with its bounds, is a {@link SyncPolicy}. */
public enum SyncMode {
    /**
     * The OS decides: records are staged in memory, written when the staging buffer fills,
     * and durable only after {@link Journal#sync()} (or {@link Journal#close()}) returned, or
     * after the future of an {@link Journal#appendAsync asynchronous append} completed.
     */
    NONE,
    /**
     * A background thread makes the records durable after {@link SyncPolicy#everyBytes()}
     * appended bytes and/or every {@link SyncPolicy#every()} (gohacks' Policy);
     * {@link Journal#sync()} forces it. {@link Journal#durableLsn()} says how far it got.
     */
    INTERVAL,
    /**
     * {@code append} returns only after its record is durable: written and fdatasynced.
     * Concurrent appenders share one write and one fdatasync (group commit).
     */
    ALWAYS
}

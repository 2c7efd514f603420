package org.wal4j;

/**
 * A record read from a journal, copied onto the heap.
 *
 * @param lsn the record's log sequence number
 * @param timestamp the timestamp it was appended with
 * @param key its key (empty if it was appended without one)
 * @param value its value
 */
public record JournalRecord(long lsn, long timestamp, byte[] key, byte[] value) {}

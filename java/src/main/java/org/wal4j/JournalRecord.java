package org.wal4j;

/** A record read from a journal, copied onto the heap. */
public record JournalRecord(long lsn, long timestamp, byte[] key, byte[] value) {}

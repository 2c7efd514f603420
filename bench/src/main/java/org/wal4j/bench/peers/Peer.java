package org.wal4j.bench.peers;

/**
 * One system a user could pick instead of wal4j, opened on a directory, as the peer
 * benchmark drives it. Records are numbered from 1 in the order their appends returned
 * (for concurrent appenders, in the order the system assigned); {@link #read} takes that
 * number. Every method may throw {@link UnsupportedOperationException} with the reason,
 * which the benchmark prints in the cell ("n/a: ...") instead of a figure.
 */
public interface Peer extends AutoCloseable {
    /**
     * Appends one record and returns once it is acknowledged as the peer's {@link PeerKind}
     * says (durable after an fsync, or only in the page cache). Safe for concurrent callers.
     */
    void append(byte[] record) throws Exception;

    /**
     * Appends the records as one batch, the system's own way (a write batch, a transaction,
     * one write), acknowledged as {@link #append} is. Safe for concurrent callers.
     */
    void appendBatch(byte[][] records) throws Exception;

    /**
     * Makes what has been appended durable, if the peer's appends are not (called once after
     * the no-sync rows, outside their timing); the durable peers need do nothing.
     */
    void sync() throws Exception;

    /** The record numbered {@code index} (from 1), whole. */
    byte[] read(long index) throws Exception;

    /**
     * Reads every record in order, start to end, through the system's cheapest API that gives
     * the caller each record's bytes (a zero-copy view where the system has one, a copy where
     * its API makes one), and reads each record's first byte; returns the bytes of record
     * data delivered.
     */
    long replay() throws Exception;

    @Override
    void close() throws Exception;
}

package org.wal4j;

/**
 * The first and last LSN a batch was given; the records between have the LSNs between.
 *
 * @param first the LSN of the batch's first record
 * @param last the LSN of its last record
 */
public record LsnRange(long first, long last) {}

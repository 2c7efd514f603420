package org.wal4j;

/** The first and last LSN a batch was given. */
public record LsnRange(long first, long last) {}

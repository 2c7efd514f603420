package org.wal4j.compat.gohacks;

import org.wal4j.format.WalxFormat.RecordState;

/**
 * Why a gohacks log ends where {@link WriteAheadLog#open} found its end:
 * {@link RecoveryReport#tailState()}. One constant per check WALX makes on a record, in the
 * order open makes them.
 */
public enum TailState {
    /** The log ended cleanly at the end of the file. */
    VALID,
    /** Fewer than 4 bytes left: not even a size field. */
    INCOMPLETE_SIZE,
    /** The size field is below the smallest record. */
    SIZE_TOO_SMALL,
    /** The size field reaches beyond the end of the log. */
    PAST_END,
    /** 28 + klen + vlen differs from the size field. */
    LENGTH_MISMATCH,
    /** The stored CRC32C is not the CRC32C of lsn..value. */
    CRC_MISMATCH,
    /** ts is above 2^63-1 (gohacks' ErrTimestampTooBig). */
    TIMESTAMP_TOO_BIG;

    /** The constant of the same name as the format's {@code state}. */
    static TailState of(RecordState state) {
        return switch (state) {
            case VALID -> VALID;
            case INCOMPLETE_SIZE -> INCOMPLETE_SIZE;
            case SIZE_TOO_SMALL -> SIZE_TOO_SMALL;
            case PAST_END -> PAST_END;
            case LENGTH_MISMATCH -> LENGTH_MISMATCH;
            case CRC_MISMATCH -> CRC_MISMATCH;
            case TIMESTAMP_TOO_BIG -> TIMESTAMP_TOO_BIG;
        };
    }
}

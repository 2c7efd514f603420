package org.wal4j;

import org.wal4j.log.OffsetIndex;

/**
 * How much of a segment's LSN-to-offset map a journal keeps in memory (go-wally's three
 * modes), per segment, in primitive arrays.
 *
 * @param every 1 = full (every record), k > 1 = sparse (every k-th record), 0 = none (scan)
 */
public record IndexMode(int every) {

    public IndexMode {
        if (every < 0) {
            throw new IllegalArgumentException("index every=" + every + " must be >= 0");
        }
    }

    /** Every record: O(1) lookups while LSNs are dense, 8 bytes per record. */
    public static IndexMode full() {
        return new IndexMode(1);
    }

    /** Every k-th record (k >= 2): a lookup reads at most k-1 frames past the entry. */
    public static IndexMode sparse(int k) {
        if (k < 2) {
            throw new IllegalArgumentException("sparse index k=" + k + " must be >= 2 (1 is full())");
        }
        return new IndexMode(k);
    }

    /** No index: a lookup scans its segment from the start. */
    public static IndexMode none() {
        return new IndexMode(0);
    }

    OffsetIndex newIndex() {
        return switch (every) {
            case 0 -> OffsetIndex.none();
            case 1 -> OffsetIndex.full();
            default -> OffsetIndex.sparse(every);
        };
    }
}

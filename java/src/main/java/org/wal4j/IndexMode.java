package org.wal4j;

import org.wal4j.log.OffsetIndex;

/**
 * How much of a segment's LSN-to-offset map a journal keeps in memory (go-wally's three
 * modes), per segment, in primitive arrays.
 *
 * @param every 1 = full (every record), k > 1 = sparse (every k-th record), 0 = none (scan)
 */
public record IndexMode(int every) {

    /**
     * Makes a mode that indexes every {@code every}-th record; {@link #full()},
     * {@link #sparse(int)} and {@link #none()} name the cases.
     *
     * @param every 1 = full (every record), k > 1 = sparse (every k-th record), 0 = none (scan)
     * @throws IllegalArgumentException if {@code every} is negative
     */
    public IndexMode {
        if (every < 0) {
            throw new IllegalArgumentException("index every=" + every + " must be >= 0");
        }
    }

    /**
     * Every record: O(1) lookups while LSNs are dense, 8 bytes per record.
     *
     * @return the full mode ({@code every} = 1)
     */
    public static IndexMode full() {
        return new IndexMode(1);
    }

    /**
     * Every k-th record: a lookup reads at most k-1 frames past the entry.
     *
     * @param k the spacing of the entries in records, at least 2
     * @return the sparse mode ({@code every} = k)
     * @throws IllegalArgumentException if k is below 2 (1 is {@link #full()})
     */
    public static IndexMode sparse(int k) {
        if (k < 2) {
            throw new IllegalArgumentException("sparse index k=" + k + " must be >= 2 (1 is full())");
        }
        return new IndexMode(k);
    }

    /**
     * No index: a lookup scans its segment from the start.
     *
     * @return the mode without an index ({@code every} = 0)
     */
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

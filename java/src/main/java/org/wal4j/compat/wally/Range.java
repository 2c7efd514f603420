package org.wal4j.compat.wally;

/**
 * The indexes a batch was given: {@code first..last}, both inclusive (go-wally returns them
 * as {@code first, last}). An empty batch gives {@code first == last + 1}: {@code first} is
 * the index the next record will get and {@code last} the log's last index.
 *
 * @param first the first record's index, {@code >= 1}
 * @param last the last record's index, {@code >= first - 1}
 */
public record Range(long first, long last) {

    /**
     * Checks the range.
     *
     * @param first the first record's index, {@code >= 1}
     * @param last the last record's index, {@code >= first - 1}
     * @throws IllegalArgumentException if {@code first < 1} or {@code last < first - 1}
     */
    public Range {
        if (first < 1 || last < first - 1) {
            throw new IllegalArgumentException("range first=" + first + " last=" + last
                    + " needs first >= 1 and last >= first - 1");
        }
    }

    /**
     * The number of records in the range.
     *
     * @return {@code last - first + 1}, 0 for an empty batch
     */
    public long count() {
        return last - first + 1;
    }

    /**
     * Whether the batch was empty.
     *
     * @return true if {@code last < first}
     */
    public boolean isEmpty() {
        return last < first;
    }
}

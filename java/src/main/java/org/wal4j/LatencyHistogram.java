package org.wal4j;

/**
 * Durations in nanoseconds counted in log-linear buckets: four per power of two, so a
 * percentile read from it is the upper bound of its bucket, at most 25 % above the true
 * value. Fixed size (256 counters), no allocation when recording. Not thread-safe: the
 * journal's lock guards it.
 */
final class LatencyHistogram {
    private static final int SUB_BUCKETS = 4;
    private final long[] counts = new long[64 * SUB_BUCKETS];
    private long total;
    private long max;

    void record(long nanos) {
        long n = Math.max(nanos, 1);
        counts[bucket(n)]++;
        total++;
        max = Math.max(max, n);
    }

    long count() {
        return total;
    }

    long max() {
        return max;
    }

    /** The upper bound of the bucket holding the {@code percentile}-th value (0 if empty), capped at the maximum seen. */
    long percentile(double percentile) {
        if (total == 0) {
            return 0;
        }
        long rank = (long) Math.ceil(percentile / 100.0 * total);
        long seen = 0;
        for (int i = 0; i < counts.length; i++) {
            seen += counts[i];
            if (seen >= Math.max(rank, 1)) {
                return Math.min(upperBound(i), max);
            }
        }
        return max;
    }

    /** 1-3 have buckets of their own; from 4 on, four buckets per power of two. */
    private static int bucket(long n) {
        if (n < SUB_BUCKETS) {
            return (int) n;
        }
        int octave = 63 - Long.numberOfLeadingZeros(n);
        return octave * SUB_BUCKETS + (int) ((n >>> (octave - 2)) & (SUB_BUCKETS - 1));
    }

    private static long upperBound(int bucket) {
        if (bucket < SUB_BUCKETS) {
            return bucket;
        }
        int octave = bucket / SUB_BUCKETS;
        long step = 1L << (octave - 2);
        return (1L << octave) + (bucket % SUB_BUCKETS + 1) * step - 1;
    }
}

package org.wal4j.compat.gohacks;

import java.time.Duration;

/**
 * gohacks' {@code Policy}: when a {@link WriteAheadLog} syncs on its own, and how large keys
 * and values may be. The fields are the seed's, in the seed's order. Zero (or null) means
 * the seed's default; the accessors return the value in force, defaults filled in.
 *
 * <p>With both sync settings off, data is durable after {@link WriteAheadLog#sync()},
 * {@link WriteAheadLog#reset()} or {@link WriteAheadLog#close()}. The limits apply to appends
 * only: records already in a file replay whatever their size.
 *
 * @param syncEveryBytes fdatasync once this many bytes were appended since the last sync; the
 *     append that crosses the mark returns after the sync. Default 0: byte-based syncing off.
 * @param syncEvery also fdatasync on this cadence, in a background thread, while there are
 *     unsynced bytes. Default {@link Duration#ZERO} (or null): time-based syncing off, no thread.
 * @param maxValueBytes the largest value {@link WriteAheadLog#append} accepts. Default 0 means
 *     {@value #DEFAULT_MAX_VALUE_BYTES}.
 * @param maxKeyBytes the largest key {@link WriteAheadLog#append} accepts. Default 0 means
 *     {@value #DEFAULT_MAX_KEY_BYTES}.
 */
public record Policy(long syncEveryBytes, Duration syncEvery, int maxValueBytes, int maxKeyBytes) {

    /** gohacks' default {@code MaxValueBytes}: {@value}. */
    public static final int DEFAULT_MAX_VALUE_BYTES = 2048;

    /** gohacks' default {@code MaxKeyBytes}: {@value}. */
    public static final int DEFAULT_MAX_KEY_BYTES = 256;

    /**
     * Fills in the defaults.
     *
     * @throws IllegalArgumentException for a negative value (gohacks clamps negative sync
     *     settings to 0; a negative setting here is taken for the bug it is), or a
     *     {@code syncEvery} too long to count in nanoseconds (about 292 years)
     */
    public Policy {
        if (syncEveryBytes < 0) {
            throw new IllegalArgumentException("syncEveryBytes=" + syncEveryBytes + " must be >= 0 (0 = off)");
        }
        if (syncEvery == null) {
            syncEvery = Duration.ZERO;
        }
        if (syncEvery.isNegative()) {
            throw new IllegalArgumentException("syncEvery=" + syncEvery + " must be >= 0 (0 = off)");
        }
        try {
            syncEvery.toNanos();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("syncEvery=" + syncEvery + " is too long to count in nanoseconds", e);
        }
        if (maxValueBytes < 0) {
            throw new IllegalArgumentException("maxValueBytes=" + maxValueBytes + " must be >= 0 (0 = default)");
        }
        if (maxKeyBytes < 0) {
            throw new IllegalArgumentException("maxKeyBytes=" + maxKeyBytes + " must be >= 0 (0 = default)");
        }
        if (maxValueBytes == 0) {
            maxValueBytes = DEFAULT_MAX_VALUE_BYTES;
        }
        if (maxKeyBytes == 0) {
            maxKeyBytes = DEFAULT_MAX_KEY_BYTES;
        }
    }

    /**
     * gohacks' zero Policy: no byte- or time-based syncing, values up to
     * {@value #DEFAULT_MAX_VALUE_BYTES} bytes, keys up to {@value #DEFAULT_MAX_KEY_BYTES}.
     *
     * @return the default policy
     */
    public static Policy defaults() {
        return new Policy(0, Duration.ZERO, 0, 0);
    }

    /** Whether byte-based syncing is on. */
    boolean syncsByBytes() {
        return syncEveryBytes > 0;
    }

    /** Whether time-based syncing (the background thread) is on. */
    boolean syncsByTime() {
        return !syncEvery.isZero();
    }
}

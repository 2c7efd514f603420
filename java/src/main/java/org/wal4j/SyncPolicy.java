package org.wal4j;

import java.time.Duration;
import java.util.Objects;

/**
 * When a {@link Journal} makes appended records durable: a {@link SyncMode} and, for
 * {@link SyncMode#INTERVAL}, its bounds. Set at open ({@link JournalOptions.Builder#syncPolicy})
 * and changed at run time with {@link Journal#setPolicy}.
 *
 * @param mode when records become durable
 * @param everyBytes INTERVAL: sync once this many bytes were appended since the last sync
 *     started; 0 = no byte bound. 0 for the other modes.
 * @param every INTERVAL: sync this long after the first record appended since the last sync;
 *     {@link Duration#ZERO} = no time bound. ZERO for the other modes.
 */
public record SyncPolicy(SyncMode mode, long everyBytes, Duration every) {

    /** The INTERVAL bounds {@link SyncMode#INTERVAL} gets when no others are given: 1 MiB or 10 ms. */
    public static final long DEFAULT_INTERVAL_BYTES = 1 << 20;

    /** See {@link #DEFAULT_INTERVAL_BYTES}. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofMillis(10);

    /**
     * Checks the policy; {@link #none()}, {@link #always()}, {@link #interval} and
     * {@link #of(SyncMode)} make the usual ones.
     *
     * @param mode when records become durable
     * @param everyBytes INTERVAL: the byte bound, 0 or more (0 = none); must be 0 for the other modes
     * @param every INTERVAL: the time bound, zero or more (ZERO = none); must be ZERO for the other modes
     * @throws NullPointerException if {@code mode} or {@code every} is null
     * @throws IllegalArgumentException for negative bounds, bounds outside INTERVAL, an
     *     INTERVAL policy with neither bound, or an interval too long to count in nanoseconds
     */
    public SyncPolicy {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(every, "every");
        if (everyBytes < 0) {
            throw new IllegalArgumentException("everyBytes=" + everyBytes + " must be >= 0 (0 = no byte bound)");
        }
        if (every.isNegative()) {
            throw new IllegalArgumentException("every=" + every + " must be >= 0 (0 = no time bound)");
        }
        try {
            every.toNanos();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("every=" + every + " is too long to count in nanoseconds", e);
        }
        if (mode != SyncMode.INTERVAL && (everyBytes != 0 || !every.isZero())) {
            throw new IllegalArgumentException("mode=" + mode + " takes no bounds: everyBytes=" + everyBytes + " every=" + every);
        }
        if (mode == SyncMode.INTERVAL && everyBytes == 0 && every.isZero()) {
            throw new IllegalArgumentException("INTERVAL needs everyBytes > 0 or every > 0 (both are 0)");
        }
    }

    /**
     * {@link SyncMode#NONE}: records are durable only after {@link Journal#sync()} or
     * {@link Journal#close()} returned, or an asynchronous append's future completed.
     *
     * @return the NONE policy
     */
    public static SyncPolicy none() {
        return new SyncPolicy(SyncMode.NONE, 0, Duration.ZERO);
    }

    /**
     * {@link SyncMode#ALWAYS}: an append returns once its records are durable.
     *
     * @return the ALWAYS policy
     */
    public static SyncPolicy always() {
        return new SyncPolicy(SyncMode.ALWAYS, 0, Duration.ZERO);
    }

    /**
     * {@link SyncMode#INTERVAL}: a background sync after {@code everyBytes} bytes or
     * {@code every} time, whichever comes first.
     *
     * @param everyBytes sync once this many bytes were appended since the last sync started,
     *     0 or more; 0 = no byte bound
     * @param every sync this long after the first record appended since the last sync, zero or
     *     more; {@link Duration#ZERO} = no time bound
     * @return the INTERVAL policy
     * @throws NullPointerException if {@code every} is null
     * @throws IllegalArgumentException if a bound is negative, both are 0, or {@code every} is
     *     too long to count in nanoseconds
     */
    public static SyncPolicy interval(long everyBytes, Duration every) {
        return new SyncPolicy(SyncMode.INTERVAL, everyBytes, every);
    }

    /**
     * The policy of a mode with the default bounds.
     *
     * @param mode the mode
     * @return {@link #none()}, {@link #always()}, or for INTERVAL a policy with
     *     {@link #DEFAULT_INTERVAL_BYTES} and {@link #DEFAULT_INTERVAL}
     * @throws NullPointerException if {@code mode} is null
     */
    public static SyncPolicy of(SyncMode mode) {
        return switch (Objects.requireNonNull(mode, "mode")) {
            case NONE -> none();
            case ALWAYS -> always();
            case INTERVAL -> interval(DEFAULT_INTERVAL_BYTES, DEFAULT_INTERVAL);
        };
    }
}

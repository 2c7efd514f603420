package org.wal4j.compat.gohacks;

/**
 * gohacks' {@code ErrTimestampTooBig}: a stored u64 timestamp is above 2^63-1, so it does not
 * fit a Java {@code long} (nor Go's int64). An {@code append} cannot cause it (a {@code long}
 * is never that large); this port reports it as the cause of the {@link InvalidHeader} of a
 * file whose {@code created_at} is too big. A record whose {@code ts} is too big ends the log
 * instead (it is treated like any other invalid record).
 */
public final class TimestampTooBig extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** The name of the field that held it. */
    private final String field;
    /** The stored u64, as the bits of a long. */
    private final long storedBits;

    /**
     * Reports a stored timestamp above 2^63-1.
     *
     * @param field the field that held it ({@code "created_at"}, {@code "ts"})
     * @param storedBits the stored u64, as the bits of a long
     */
    public TimestampTooBig(String field, long storedBits) {
        super("timestamp too big: " + field + "=" + Long.toUnsignedString(storedBits) + " max=" + Long.MAX_VALUE);
        this.field = field;
        this.storedBits = storedBits;
    }

    /**
     * The field that held the timestamp.
     *
     * @return {@code "created_at"} or {@code "ts"}
     */
    public String field() {
        return field;
    }

    /**
     * The stored u64.
     *
     * @return the stored value as the bits of a long (read it with
     *     {@link Long#toUnsignedString(long)}); negative as a signed long
     */
    public long storedBits() {
        return storedBits;
    }
}

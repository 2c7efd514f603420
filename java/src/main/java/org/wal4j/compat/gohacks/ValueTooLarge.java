package org.wal4j.compat.gohacks;

/** gohacks' {@code ErrValueTooLarge}: an appended value is longer than {@link Policy#maxValueBytes()}. */
public final class ValueTooLarge extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** The value's length in bytes. */
    private final long valueBytes;
    /** The limit in force, in bytes. */
    private final long maxValueBytes;

    /**
     * Reports a value over the limit.
     *
     * @param valueBytes the value's length in bytes
     * @param maxValueBytes the limit in force, in bytes
     */
    public ValueTooLarge(long valueBytes, long maxValueBytes) {
        super("value too large: valueBytes=" + valueBytes + " maxValueBytes=" + maxValueBytes);
        this.valueBytes = valueBytes;
        this.maxValueBytes = maxValueBytes;
    }

    /**
     * The value's length.
     *
     * @return the length in bytes
     */
    public long valueBytes() {
        return valueBytes;
    }

    /**
     * The limit in force ({@link Policy#maxValueBytes()}).
     *
     * @return the limit in bytes
     */
    public long maxValueBytes() {
        return maxValueBytes;
    }
}

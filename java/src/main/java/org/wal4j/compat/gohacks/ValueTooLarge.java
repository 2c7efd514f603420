package org.wal4j.compat.gohacks;

/** gohacks' {@code ErrValueTooLarge}: an appended value is longer than {@link Policy#maxValueBytes()}. */
public final class ValueTooLarge extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final long valueBytes;
    private final long maxValueBytes;

    public ValueTooLarge(long valueBytes, long maxValueBytes) {
        super("value too large: valueBytes=" + valueBytes + " maxValueBytes=" + maxValueBytes);
        this.valueBytes = valueBytes;
        this.maxValueBytes = maxValueBytes;
    }

    /** The value's length. */
    public long valueBytes() {
        return valueBytes;
    }

    /** The limit in force. */
    public long maxValueBytes() {
        return maxValueBytes;
    }
}

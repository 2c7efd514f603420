package org.wal4j.compat.gohacks;

/** gohacks' {@code ErrTimestampNegative}: an appended timestamp is below 0. */
public final class TimestampNegative extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final long timestamp;

    public TimestampNegative(long timestamp) {
        super("negative value timestamp: timestamp=" + timestamp);
        this.timestamp = timestamp;
    }

    /** The rejected timestamp. */
    public long timestamp() {
        return timestamp;
    }
}

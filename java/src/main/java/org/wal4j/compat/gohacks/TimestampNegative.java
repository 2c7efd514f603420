package org.wal4j.compat.gohacks;

/** gohacks' {@code ErrTimestampNegative}: an appended timestamp is below 0. */
public final class TimestampNegative extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** The timestamp that was refused. */
    private final long timestamp;

    /**
     * Reports a negative timestamp.
     *
     * @param timestamp the rejected timestamp
     */
    public TimestampNegative(long timestamp) {
        super("negative value timestamp: timestamp=" + timestamp);
        this.timestamp = timestamp;
    }

    /**
     * The rejected timestamp.
     *
     * @return the timestamp, below 0
     */
    public long timestamp() {
        return timestamp;
    }
}

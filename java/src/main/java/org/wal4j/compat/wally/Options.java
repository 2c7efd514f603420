package org.wal4j.compat.wally;

/**
 * How {@link Log#open} opens a log: go-wally's {@code Options}, same fields, same order, same
 * defaults. A zero means "the default", as in Go.
 *
 * @param noSync {@code false} (default): every append, batch and truncation is written and
 *     fdatasynced before it returns. {@code true}: the OS decides when data reaches the disk
 *     until {@link Log#sync()} or {@link Log#close()} (close does not fdatasync then, as in
 *     go-wally; {@code sync()} always does)
 * @param bufferSize bytes of the off-heap staging buffer appends are encoded into; 0 means
 *     256 KiB (262144); otherwise at least 16 (one record header). A record larger than the
 *     buffer is written through at once
 * @param retainIndex {@code false} (default): no index, a read scans the file from the
 *     start (scan mode). {@code true}: keep an in-memory index, see {@code checkpointInterval}
 * @param checkpointInterval with {@code retainIndex}: 1 keeps every record's offset (full
 *     index, O(1) reads, 8 bytes per record); K &gt; 1 keeps every K-th (sparse: a read scans
 *     at most K-1 headers); 0 means 4096. Ignored without {@code retainIndex}
 */
public record Options(boolean noSync, int bufferSize, boolean retainIndex, int checkpointInterval) {

    /** The staging buffer when {@code bufferSize} is 0: {@value} bytes (256 KiB). */
    public static final int DEFAULT_BUFFER_SIZE = 256 << 10;
    /** The checkpoint interval when {@code checkpointInterval} is 0: {@value}. */
    public static final int DEFAULT_CHECKPOINT_INTERVAL = 4096;
    /** The smallest non-zero {@code bufferSize}: one record header, {@value} bytes. */
    public static final int MIN_BUFFER_SIZE = 16;

    /**
     * Checks the options; {@link #defaults()} gives Go's zero {@code Options{}}.
     *
     * @param noSync whether appends return before they are durable
     * @param bufferSize the staging buffer in bytes: 0 (256 KiB) or at least 16
     * @param retainIndex whether to keep an in-memory index
     * @param checkpointInterval with {@code retainIndex}: 1 full, K &gt; 1 every K-th, 0 = 4096
     * @throws IllegalArgumentException if {@code bufferSize} is negative or in 1..15, or
     *     {@code checkpointInterval} is negative
     */
    public Options {
        if (bufferSize < 0 || (bufferSize > 0 && bufferSize < MIN_BUFFER_SIZE)) {
            throw new IllegalArgumentException("bufferSize=" + bufferSize + " must be 0 (default "
                    + DEFAULT_BUFFER_SIZE + ") or >= " + MIN_BUFFER_SIZE);
        }
        if (checkpointInterval < 0) {
            throw new IllegalArgumentException("checkpointInterval=" + checkpointInterval
                    + " must be >= 0 (0 = default " + DEFAULT_CHECKPOINT_INTERVAL + ", 1 = full index)");
        }
    }

    /**
     * Go's zero {@code Options{}} (and {@code Open(path, nil)}): durable appends
     * ({@code noSync=false}), a 256 KiB buffer, no index (scan mode).
     *
     * @return the default options
     */
    public static Options defaults() {
        return new Options(false, 0, false, 0);
    }

    /**
     * The staging buffer's size the log uses.
     *
     * @return {@code bufferSize} in bytes, with 0 replaced by {@link #DEFAULT_BUFFER_SIZE}
     */
    public int effectiveBufferSize() {
        return bufferSize == 0 ? DEFAULT_BUFFER_SIZE : bufferSize;
    }

    /**
     * The checkpoint interval the log uses: 0 without {@code retainIndex} (no index), else
     * {@code checkpointInterval} with 0 replaced by 4096.
     *
     * @return 0 (no index), 1 (full index) or K (every K-th record)
     */
    public int effectiveCheckpointInterval() {
        if (!retainIndex) {
            return 0;
        }
        return checkpointInterval == 0 ? DEFAULT_CHECKPOINT_INTERVAL : checkpointInterval;
    }
}

package org.wal4j;

import java.nio.file.Path;

/** Damage to data that was durable: names the file, the offset, the last good LSN and the reason. */
public final class CorruptionException extends Wal4jException {
    private static final long serialVersionUID = 1L;
    private final transient Path file;
    /** The byte offset in the file where the damage starts. */
    private final long offset;
    /** The LSN of the last valid record before the damage, or -1. */
    private final long lastGoodLsn;
    /** What is wrong. */
    private final String reason;

    /**
     * Reports damage found in a segment file.
     *
     * @param file the damaged file
     * @param offset the byte offset in the file where the damage starts
     * @param lastGoodLsn the LSN of the last valid record before the damage, or -1 if none
     * @param reason what is wrong, e.g. the stored and computed CRC
     */
    public CorruptionException(Path file, long offset, long lastGoodLsn, String reason) {
        super("corrupted journal: " + reason + " file=" + file + " offset=" + offset + " lastGoodLsn=" + lastGoodLsn);
        this.file = file;
        this.offset = offset;
        this.lastGoodLsn = lastGoodLsn;
        this.reason = reason;
    }

    /**
     * What is wrong, without the file, offset and LSN the message adds.
     *
     * @return the reason, e.g. the stored and computed CRC
     */
    public String reason() {
        return reason;
    }

    /**
     * The damaged file.
     *
     * @return the path of the segment file the damage is in
     */
    public Path file() {
        return file;
    }

    /**
     * Where in the file the damage starts.
     *
     * @return the byte offset from the start of {@link #file()}
     */
    public long offset() {
        return offset;
    }

    /**
     * The last record before the damage that is intact.
     *
     * @return the LSN of the last valid record before the damage, or -1 if there is none
     */
    public long lastGoodLsn() {
        return lastGoodLsn;
    }
}

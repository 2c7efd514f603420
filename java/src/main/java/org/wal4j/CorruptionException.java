package org.wal4j;

import java.nio.file.Path;

/** Damage to data that was durable: names the file, the offset, the last good LSN and the reason. */
public final class CorruptionException extends Wal4jException {
    private static final long serialVersionUID = 1L;
    private final transient Path file;
    private final long offset;
    private final long lastGoodLsn;
    private final String reason;

    public CorruptionException(Path file, long offset, long lastGoodLsn, String reason) {
        super("corrupted journal: " + reason + " file=" + file + " offset=" + offset + " lastGoodLsn=" + lastGoodLsn);
        this.file = file;
        this.offset = offset;
        this.lastGoodLsn = lastGoodLsn;
        this.reason = reason;
    }

    /** What is wrong, without the file, offset and LSN the message adds (e.g. the stored and computed CRC). */
    public String reason() {
        return reason;
    }

    public Path file() {
        return file;
    }

    public long offset() {
        return offset;
    }

    /** The LSN of the last valid record before the damage, or -1 if none. */
    public long lastGoodLsn() {
        return lastGoodLsn;
    }
}

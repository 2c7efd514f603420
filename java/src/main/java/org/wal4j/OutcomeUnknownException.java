package org.wal4j;

import java.io.IOException;
import java.nio.file.Path;
import org.wal4j.io.IoCallException;

/**
 * Records were appended but the write or sync that was to make them durable failed: they may
 * or may not be on disk after a crash, and a retried fsync cannot tell (the kernel may have
 * marked the failed pages clean). The journal has failed: every later call throws
 * {@link JournalFailedException}. Re-open the journal and look: what recovery finds is what
 * is durable.
 */
public final class OutcomeUnknownException extends Wal4jException {
    private static final long serialVersionUID = 1L;

    /** The first LSN whose durability is unknown. */
    private final long firstLsn;
    /** The last LSN whose durability is unknown. */
    private final long lastLsn;

    OutcomeUnknownException(Path dir, long firstLsn, long lastLsn, IOException cause) {
        super("outcome unknown for lsn " + firstLsn + ".." + lastLsn + " (may or may not be durable; re-open to see): "
                + cause.getMessage() + " dir=" + dir, cause);
        this.firstLsn = firstLsn;
        this.lastLsn = lastLsn;
    }

    /**
     * The first record whose durability is unknown.
     *
     * @return the first LSN whose durability is unknown
     */
    public long firstLsn() {
        return firstLsn;
    }

    /**
     * The last record whose durability is unknown.
     *
     * @return the last LSN whose durability is unknown
     */
    public long lastLsn() {
        return lastLsn;
    }

    /**
     * The operating system's error number of the failed write or sync.
     *
     * @return the errno of the failed call, or 0 if it is unknown
     */
    public int errno() {
        return getCause() instanceof IoCallException io ? io.errno() : 0;
    }
}

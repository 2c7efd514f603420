package org.wal4j;


/** A read of an LSN the journal does not hold: below the first, above the last, or in a gap. */
public final class LsnNotFoundException extends Wal4jException {
    private static final long serialVersionUID = 1L;
    private final long lsn;

    public LsnNotFoundException(long lsn, long firstLsn, long lastLsn) {
        super("no record with lsn=" + lsn + " (journal holds firstLsn=" + firstLsn + " lastLsn=" + lastLsn + ")");
        this.lsn = lsn;
    }

    public long lsn() {
        return lsn;
    }
}

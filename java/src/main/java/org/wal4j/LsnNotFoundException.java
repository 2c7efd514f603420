package org.wal4j;


/** A read of an LSN the journal does not hold: below the first, above the last, or in a gap. */
public final class LsnNotFoundException extends Wal4jException {
    private static final long serialVersionUID = 1L;
    /** The LSN asked for. */
    private final long lsn;

    /**
     * Reports a read of an LSN the journal does not hold.
     *
     * @param lsn the LSN that was asked for
     * @param firstLsn the journal's first LSN, for the message
     * @param lastLsn the journal's last LSN, for the message
     */
    public LsnNotFoundException(long lsn, long firstLsn, long lastLsn) {
        super("no record with lsn=" + lsn + " (journal holds firstLsn=" + firstLsn + " lastLsn=" + lastLsn + ")");
        this.lsn = lsn;
    }

    /**
     * The LSN that is not there.
     *
     * @return the LSN that was asked for
     */
    public long lsn() {
        return lsn;
    }
}

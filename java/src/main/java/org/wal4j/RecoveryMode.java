package org.wal4j;

/** What {@link Journal#open} does when a sealed segment's durable data is damaged. */
public enum RecoveryMode {
    /** Fail the open with a {@link CorruptionException} naming file, offset, LSN and reason (default). */
    FAIL,
    /**
     * Stop there: the journal ends before the damage (the seeds' behaviour, a point-in-time
     * recovery). The damaged segment is cut and every later segment deleted; the open reports
     * how much was dropped.
     */
    STOP
}

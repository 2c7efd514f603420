package org.wal4j;

/**
 * The counters behind {@link Journal#stats()}. Guarded by the journal's lock: each update is
 * made where the lock is held already (an append, the end of a round, a rollover), so
 * counting takes no lock of its own and costs a few additions.
 */
final class JournalMetrics {
    private long appends;
    private long appendedBytes;
    private long syncRounds;
    private long roundRecords;
    private long writeNanos;
    private long syncNanos;
    /** {@link #appendedBytes} when the last round that returned began: what its fdatasync covered. */
    private long durableBytes;
    private long rollovers;
    private long recycled;
    /** The last LSN when the journal opened (recovery made everything up to it durable). */
    private long openedLsn = -1;
    private final LatencyHistogram syncLatency = new LatencyHistogram();

    /** The journal opened with {@code lastLsn} as its last record, durable. */
    void opened(long lastLsn) {
        openedLsn = lastLsn;
    }

    void appended(long frameBytes) {
        appends++;
        appendedBytes += frameBytes;
    }

    /** Lock held, at a round's start: what it will cover. */
    long roundStarts() {
        return appendedBytes;
    }

    /**
     * Lock held: a round that made the records after {@code durableBefore} up to {@code target}
     * durable returned; {@code coveredBytes} from {@link #roundStarts}. Returns how many records it made durable.
     */
    long roundEnded(long durableBefore, long target, long coveredBytes, long write, long sync) {
        long records = Math.max(0, target - Math.max(durableBefore, openedLsn));
        syncRounds++;
        roundRecords += records;
        writeNanos += write;
        syncNanos += sync;
        syncLatency.record(sync);
        durableBytes = Math.max(durableBytes, coveredBytes);
        return records;
    }

    void rolledOver() {
        rollovers++;
    }

    void recycledOne() {
        recycled++;
    }

    /** Lock held. */
    JournalStats snapshot(long lastLsn, long durableLsn, int segments, long diskBytes) {
        return new JournalStats(appends, appendedBytes, syncRounds, roundRecords, syncLatency.count(),
                syncLatency.percentile(50), syncLatency.percentile(99), syncLatency.max(), writeNanos, syncNanos,
                lastLsn, durableLsn, Math.max(0, lastLsn - Math.max(durableLsn, openedLsn)),
                durableLsn >= lastLsn ? 0 : Math.max(0, appendedBytes - durableBytes), rollovers, recycled, segments, diskBytes);
    }
}

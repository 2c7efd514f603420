package org.wal4j;

/**
 * A snapshot of a journal's counters and gauges ({@link Journal#stats()}). Counters count
 * from the open; gauges are as of the snapshot.
 *
 * @param appends records appended
 * @param appendedBytes frame bytes appended (headers, keys, values, alignment)
 * @param syncRounds sync rounds that made records durable (group commits: one write and one
 *     fdatasync of the active segment each)
 * @param roundRecords records the rounds made durable
 * @param syncs fdatasyncs of the active segment by rounds (each is also in the latency figures)
 * @param syncP50Nanos median round fdatasync duration, read as its bucket's upper bound: at most
 *     25 % high (a bucket spans a quarter of its power of two)
 * @param syncP99Nanos 99th percentile of the same
 * @param syncMaxNanos the longest
 * @param writeNanos time the rounds spent writing their frames (outside the lock), summed
 * @param syncNanos time the rounds spent in fdatasync, summed
 * @param lastLsn the highest LSN appended, -1 if none
 * @param durableLsn every record up to this LSN is durable, -1 if none
 * @param durableLagLsns records appended since the open that no returned fdatasync covers yet
 * @param durableLagBytes their frame bytes
 * @param rollovers segments sealed for a new one
 * @param recycled segment files renamed aside for reuse by truncateFront
 * @param segments segment files now
 * @param diskBytes their sizes, summed
 */
public record JournalStats(long appends, long appendedBytes, long syncRounds, long roundRecords, long syncs,
                           long syncP50Nanos, long syncP99Nanos, long syncMaxNanos, long writeNanos, long syncNanos,
                           long lastLsn, long durableLsn, long durableLagLsns, long durableLagBytes, long rollovers, long recycled,
                           int segments, long diskBytes) {

    JournalStats withDiskBytes(long bytes) {
        return new JournalStats(appends, appendedBytes, syncRounds, roundRecords, syncs, syncP50Nanos, syncP99Nanos,
                syncMaxNanos, writeNanos, syncNanos, lastLsn, durableLsn, durableLagLsns, durableLagBytes, rollovers, recycled,
                segments, bytes);
    }

    /**
     * Records per sync round on average: how well appends were grouped.
     *
     * @return {@code roundRecords / syncRounds}, or 0 before the first round
     */
    public double recordsPerRound() {
        return syncRounds == 0 ? 0 : (double) roundRecords / syncRounds;
    }
}

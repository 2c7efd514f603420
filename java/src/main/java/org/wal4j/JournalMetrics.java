package org.wal4j;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import org.wal4j.log.Segment;

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

    /**
     * See {@code Journal.stats()}: the counters copied under {@code lock}, then the segment
     * files' sizes read after it is released (a file a truncation closed meanwhile is not on
     * disk any more, and is not counted).
     */
    JournalStats stats(ReentrantLock lock, Committer committer, SegmentSet segmentSet) {
        JournalStats counted;
        List<Segment> files;
        lock.lock();
        try {
            counted = snapshot(committer.lastLsn(), committer.durableLsn(), segmentSet.size(), 0);
            files = segmentSet.snapshot();
        } finally {
            lock.unlock();
        }
        long diskBytes = 0;
        for (Segment s : files) {
            try {
                diskBytes += s.file().size();
            } catch (IOException | IllegalStateException closedMeanwhile) {
                // removed by a truncation since the snapshot, or the journal closed
            }
        }
        return counted.withDiskBytes(diskBytes);
    }

    /** Lock held. */
    private JournalStats snapshot(long lastLsn, long durableLsn, int segments, long diskBytes) {
        return new JournalStats(appends, appendedBytes, syncRounds, roundRecords, syncLatency.count(),
                syncLatency.percentile(50), syncLatency.percentile(99), syncLatency.max(), writeNanos, syncNanos,
                lastLsn, durableLsn, Math.max(0, lastLsn - Math.max(durableLsn, openedLsn)),
                durableLsn >= lastLsn ? 0 : Math.max(0, appendedBytes - durableBytes), rollovers, recycled, segments, diskBytes);
    }
}

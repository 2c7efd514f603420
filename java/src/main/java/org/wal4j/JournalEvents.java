package org.wal4j;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * The journal's JDK Flight Recorder events (category "wal4j"). A recording that enables them
 * shows every sync round, rollover, spare preparation, recycling, recovery, truncation and
 * the failure that fail-stops a journal; without one, each costs an {@code isEnabled} check.
 * Durations are the events' own (begin to commit) unless a field says otherwise.
 */
final class JournalEvents {
    private JournalEvents() {}

    @Name("org.wal4j.SyncRound")
    @Label("Sync Round")
    @Category("wal4j")
    @Description("One group commit: the frames staged since the last round, written and fdatasync'd")
    @StackTrace(false)
    static final class SyncRound extends Event {
        @Label("Directory")
        String dir;
        @Label("Records")
        long records;
        @Label("Bytes")
        @DataAmount
        long bytes;
        @Label("Write")
        @Timespan
        long writeNanos;
        @Label("Fdatasync")
        @Timespan
        long syncNanos;
        @Label("Durable LSN")
        long durableLsn;
    }

    @Name("org.wal4j.Rollover")
    @Label("Rollover")
    @Category("wal4j")
    @Description("The active segment sealed and the next one created")
    @StackTrace(false)
    static final class Rollover extends Event {
        @Label("Directory")
        String dir;
        @Label("Sealed Segment")
        long sealedSegmentId;
        @Label("Base LSN")
        long baseLsn;
        @Label("From Spare")
        boolean fromSpare;
        @Label("Recycled")
        boolean recycled;
    }

    @Name("org.wal4j.SparePrepared")
    @Label("Spare Prepared")
    @Category("wal4j")
    @Description("A zero-filled, synced file made ready for the next rollover (the preparer thread)")
    @StackTrace(false)
    static final class SparePrepared extends Event {
        @Label("Directory")
        String dir;
        @Label("Bytes")
        @DataAmount
        long bytes;
    }

    @Name("org.wal4j.SegmentRetired")
    @Label("Segment Retired")
    @Category("wal4j")
    @Description("The oldest segment removed by truncateFront: deleted, or renamed aside for reuse")
    @StackTrace(false)
    static final class SegmentRetired extends Event {
        @Label("Directory")
        String dir;
        @Label("Segment")
        long segmentId;
        @Label("Recycled")
        boolean recycled;
    }

    @Name("org.wal4j.Recovery")
    @Label("Recovery")
    @Category("wal4j")
    @Description("A journal's open: headers, scans, the tail cut")
    @StackTrace(false)
    static final class Recovery extends Event {
        @Label("Directory")
        String dir;
        @Label("Segments")
        int segments;
        @Label("Records Scanned")
        long records;
        @Label("Bytes Cut")
        @DataAmount
        long droppedTailBytes;
        @Label("Segments Deleted")
        int droppedSegments;
        @Label("Tail Reason")
        String tailReason;
    }

    @Name("org.wal4j.Truncation")
    @Label("Truncation")
    @Category("wal4j")
    @Description("truncateBack, truncateFront or reset")
    @StackTrace(false)
    static final class Truncation extends Event {
        @Label("Directory")
        String dir;
        @Label("Kind")
        String kind;
        @Label("LSN")
        long lsn;
        @Label("Segments Removed")
        int segmentsRemoved;
    }

    @Name("org.wal4j.FailStop")
    @Label("Fail-Stop")
    @Category("wal4j")
    @Description("The failure that stopped a journal: every later call throws")
    static final class FailStop extends Event {
        @Label("Directory")
        String dir;
        @Label("Failure")
        String failure;
    }
}

package org.wal4j;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import org.wal4j.format.FrameDecoder;
import org.wal4j.format.JournalFormat;
import org.wal4j.io.IoBackend;
import org.wal4j.io.OpenFlag;
import org.wal4j.log.FrameCursor;
import org.wal4j.log.Segment;
import org.wal4j.log.SegmentScanner;

/**
 * Removing records: from the back ({@code Journal.truncateBack}: later segments deleted, the
 * segment holding the LSN cut after it), from the front ({@code Journal.truncateFront}: whole
 * segments), and all of them ({@code Journal.reset}).
 *
 * <p>Guarded by the journal's lock, held for the whole of each operation; no state of its
 * own. truncateBack and reset run quiet ({@link Committer#beginQuiet}): every appended record
 * durable, no round running, new appends held at the gate.
 *
 * <p>Invariants, at every moment a crash may stop it: what later segments or the frames
 * about to go say of earlier segments (that they were synced) stays said on disk; removed
 * frames are zeroed from their end back, so no SYNC_MARK survives the frames it speaks of;
 * deletions go newest first from the back and oldest first from the front, each followed by
 * a directory fsync, so the chain never has a gap.
 */
final class Truncation {
    private static final long SYNC_MARK_SCAN_BYTES = 1 << 20;

    private final JournalOptions options;
    private final IoBackend io;
    private final ReentrantLock lock;
    private final Lifecycle lifecycle;
    private final SegmentSet segments;
    private final SegmentWriter writer;
    private final Committer committer;
    private final Reader reader;

    Truncation(JournalOptions options, IoBackend io, ReentrantLock lock, Lifecycle lifecycle, SegmentSet segments,
            SegmentWriter writer, Committer committer, Reader reader) {
        this.options = options;
        this.io = io;
        this.lock = lock;
        this.lifecycle = lifecycle;
        this.segments = segments;
        this.writer = writer;
        this.committer = committer;
        this.reader = reader;
    }

    /** See {@code Journal.truncateBack}. */
    void truncateBack(long lsn) throws IOException {
        lock.lock();
        try {
            lifecycle.checkOpen();
            if (lsn < 0) {
                throw new IllegalArgumentException("truncateBack lsn=" + lsn + " must be >= 0");
            }
            if (lsn >= committer.lastLsn()) {
                return;
            }
            // No append may wait on a record about to go (its LSN may be reused), and none may
            // be staged in a segment about to be cut: appends wait until this is done.
            committer.beginQuiet();
            try {
                if (lsn >= committer.lastLsn()) {
                    return;
                }
                // The segment to cut must be checked first: a scan that stopped at damage in a
                // segment open did not read would otherwise be taken for its end, and durable
                // records after the damage would be cut without a word.
                segments.loaded(segments.get(segments.indexFor(lsn)));
                committer.truncationStarts();
                reader.removedAbove(lsn);
                JournalEvents.Truncation event = new JournalEvents.Truncation();
                event.begin();
                int before = segments.size();
                try {
                    truncateBackLocked(lsn);
                } catch (IOException e) {
                    throw committer.fail(e);
                }
                committed(event, "truncateBack", lsn, before - segments.size());
            } finally {
                committer.endQuiet();
            }
        } finally {
            lock.unlock();
        }
    }

    private void truncateBackLocked(long lsn) throws IOException {
        committer.awaitRoundSync(); // (none runs once every record is durable; this only makes it plain)
        if (segments.isEmpty()) {
            return;
        }
        int target = segments.indexFor(lsn);
        Segment s = segments.get(target);
        s.file(io.open(s.path(), OpenFlag.READ, OpenFlag.WRITE));
        long oldEnd = s.endOffset();
        // What the segments after s, or the frames about to go, say of the segments before s
        // (which were synced) must stay said on disk at every moment: a sealed segment whose
        // sync no header or mark records is cut at recovery if damaged, not reported. Unless
        // s's own header says it, a DURABLE_MARK goes ahead of the truncation, past the end of
        // s's frames, and only after the mark at the new end is durable does it go.
        long durableBefore = Math.min(segments.durableThrough(), s.id() - 1);
        boolean markFollows = durableBefore > s.header().durableSegmentId();
        if (markFollows) {
            DurableMarks.writeAt(s, oldEnd, oldEnd + DurableMarks.AHEAD_GAP, durableBefore);
        }
        while (segments.size() > target + 1) {
            segments.deleteLast(); // newest first, the directory synced after each
        }
        segments.durableThrough(durableBefore); // s is active again, so no longer sealed
        // one pass: rebuild the index over the records that stay (a sparse index cannot always
        // be cut in place) and find where the first record to remove starts
        s.index().clear();
        long[] kept = {0, -1, -1, -1}; // count, firstLsn, lastLsn, offset of the first removed record
        SegmentScanner.Result r = SegmentScanner.scan(s.file(), oldEnd, s.salt(), s.baseLsn(),
                (chunk, at, fileOffset, d) -> {
                    if (d.lsn() <= lsn) {
                        s.index().add(d.lsn(), fileOffset);
                        kept[1] = kept[0]++ == 0 ? d.lsn() : kept[1];
                        kept[2] = d.lsn();
                    } else if (kept[3] < 0) {
                        kept[3] = fileOffset;
                    }
                });
        if (r.endOffset() != oldEnd) {
            throw new CorruptionException(s.path(), r.endOffset(), kept[2], "frames end at " + r.endOffset()
                    + " but the journal knew them to end at " + oldEnd + " (" + r.end() + ": " + r.reason() + ")");
        }
        long newEnd = kept[3] >= 0 ? kept[3] : r.endOffset();
        s.scanned(newEnd, kept[1], kept[2], kept[0]);
        long fileBytes = s.file().size();
        boolean keepSize = segments.preallocates() && fileBytes <= options.segmentBytes() + SegmentWriter.STAGING_ALIGNMENT;
        if (markFollows) {
            // Zeroed, not cut off, first: the cut must be durable before a frame goes where it
            // was (a crash between the two could keep the cut-off frames, SYNC_MARKs among
            // them, behind a torn new frame, and recovery would call that damage; the random
            // crash points met this), and the mark ahead must stay until the new one is durable.
            zeroBack(s, newEnd, oldEnd);
            s.file().datasync();
            DurableMarks.writeAt(s, newEnd, newEnd, durableBefore);
            if (keepSize) {
                s.file().zeroFill(oldEnd + DurableMarks.AHEAD_GAP, JournalFormat.MARK_FRAME_BYTES);
            } else {
                s.file().truncate(newEnd + JournalFormat.MARK_FRAME_BYTES);
            }
            s.skipped(JournalFormat.MARK_FRAME_BYTES);
        } else if (keepSize) {
            // Removed frames read as zeros and the segment keeps its size.
            zeroBack(s, newEnd, oldEnd);
        } else if (fileBytes > newEnd) {
            cutBack(s, newEnd, oldEnd, fileBytes);
        }
        writer.activate(s);
        s.file().datasync();
        committer.truncatedTo(Math.max(s.isEmpty() ? s.baseLsn() - 1 : s.lastLsn(), segments.lastRecordLsn()));
    }

    /**
     * Zeroes {@code s}'s frames in [from, to). SYNC_MARKs among them say frames before them
     * were durable; zeroed out of order by a crash, one could survive the frames it speaks of
     * and recovery would call the hole damage. So the range is zeroed from its end back, each
     * mark's part synced before the part in front of it (the last part is left unsynced).
     */
    private void zeroBack(Segment s, long from, long to) throws IOException {
        List<Long> marks = syncMarksAfter(s, from, to);
        long end = to;
        for (int m = marks.size() - 1; m >= 0; m--) {
            s.file().zeroFill(marks.get(m), end - marks.get(m));
            s.file().datasync();
            end = marks.get(m);
        }
        s.file().zeroFill(from, end - from);
    }

    /**
     * Cuts a growing segment's file at {@code newEnd}. ftruncate zeroes the rest of the
     * filesystem block that holds the new end, and ext4 and XFS may write that block back
     * before they commit the new size: a crash between the two leaves the old size with zeros
     * at {@code newEnd} in front of removed frames, and a surviving SYNC_MARK among them makes
     * recovery call the zeros damage to durable data (a power cut on XFS met this). So the file
     * is first cut at the block boundary past {@code newEnd}, a size change that zeroes nothing,
     * and that is synced; the frames left in that block are then zeroed from their end back;
     * only then is the file cut at {@code newEnd}.
     */
    private void cutBack(Segment s, long newEnd, long oldEnd, long fileBytes) throws IOException {
        long block = filesystemBlockBytes(s);
        long blockEnd = Math.min(fileBytes, (newEnd + block - 1) / block * block);
        if (blockEnd < fileBytes) {
            s.file().truncate(blockEnd);
            s.file().datasync();
        }
        long framesEnd = Math.min(blockEnd, oldEnd);
        if (framesEnd > newEnd) {
            zeroBack(s, newEnd, framesEnd);
        }
        s.file().truncate(newEnd);
    }

    /** The block size of the filesystem holding {@code s} (4 KiB if it does not say or says more than 1 MiB). */
    private static long filesystemBlockBytes(Segment s) {
        try {
            long bytes = Files.getFileStore(s.path()).getBlockSize();
            return bytes > 0 && bytes <= (1 << 20) && Long.bitCount(bytes) == 1 ? bytes : 4096;
        } catch (IOException | UnsupportedOperationException e) {
            return 4096; // the common block size; a larger one leaves a window this narrows but does not close
        }
    }

    private void committed(JournalEvents.Truncation event, String kind, long lsn, int segmentsRemoved) {
        if (event.shouldCommit()) {
            event.dir = lifecycle.dir().toString();
            event.kind = kind;
            event.lsn = lsn;
            event.segmentsRemoved = segmentsRemoved;
            event.commit();
        }
    }

    /** See {@code Journal.truncateFront}. */
    int truncateFront(long lsn) throws IOException {
        lock.lock();
        try {
            lifecycle.checkOpen();
            committer.awaitNoRound(); // the running round may sync through a segment about to go
            lifecycle.checkOpen();
            int deleted = 0;
            JournalEvents.Truncation event = new JournalEvents.Truncation();
            event.begin();
            try {
                while (segments.size() > 1) {
                    Segment first = segments.first();
                    if (!first.isEmpty() && first.lastLsn() >= lsn) {
                        break;
                    }
                    if (!first.isEmpty()) {
                        reader.removedThrough(first.lastLsn());
                    }
                    segments.retireFirst();
                    deleted++;
                }
            } catch (IOException e) {
                throw committer.fail(e);
            }
            committed(event, "truncateFront", lsn, deleted);
            return deleted;
        } finally {
            lock.unlock();
        }
    }

    /** See {@code Journal.reset()}. */
    void reset() throws IOException {
        reset(0);
    }

    /** See {@code Journal.reset(long)}; 0: the next LSN stays what it was. */
    void reset(long nextLsn) throws IOException {
        if (nextLsn < 0) {
            throw new IllegalArgumentException("reset nextLsn=" + nextLsn + " must be > 0");
        }
        lock.lock();
        try {
            lifecycle.checkOpen();
            committer.beginQuiet(); // nothing may be staged in the segment the new one's header records the end of
            try {
                committer.truncationStarts();
                reader.removedAbove(0);
                JournalEvents.Truncation event = new JournalEvents.Truncation();
                event.begin();
                int before = segments.size();
                resetLocked(nextLsn == 0 ? committer.nextLsn() : nextLsn);
                committed(event, "reset", committer.nextLsn(), before);
            } catch (IOException e) {
                throw committer.fail(e);
            } finally {
                committer.endQuiet();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * A fresh empty segment at {@code nextLsn} becomes the only one. At the journal's own next
     * LSN that segment needs no flag: a crash before the old segments are deleted leaves the
     * records as they were, and the same next LSN. At another LSN the segment is flagged
     * RESET, so that recovery finishes an interrupted reset (deletes the older segments)
     * rather than keep the old records with the new next LSN. Below the journal's next LSN
     * that takes two steps: a fresh segment at the next LSN first, the older segments deleted;
     * then the RESET segment, and the fresh one deleted. The RESET segment's name (its base
     * LSN) could otherwise be an older segment's, and sorts before theirs. The recycled files
     * are deleted on that path: their former frames' LSNs are no longer all below what the
     * journal appends next.
     */
    private void resetLocked(long nextLsn) throws IOException {
        long ownNext = committer.nextLsn();
        if (nextLsn == ownNext) {
            resetTo(ownNext, 0);
        } else if (nextLsn > ownNext) {
            resetTo(nextLsn, JournalFormat.FLAG_RESET); // every base LSN is below it: no name is taken
        } else {
            resetTo(ownNext, 0);
            segments.discardRecycled(); // the retired files hold LSNs at or above nextLsn
            resetTo(nextLsn, JournalFormat.FLAG_RESET);
            segments.discardRecycled(); // the fresh segment's file, if it was a recycled one
        }
        committer.truncatedTo(nextLsn - 1);
    }

    private void resetTo(long baseLsn, int flags) throws IOException {
        Segment active = segments.active();
        boolean alreadyFresh = active != null && active.isEmpty() && active.baseLsn() == baseLsn;
        if (!alreadyFresh) {
            if (active != null) {
                committer.awaitDurableLocked(committer.lastLsn()); // its successor's header records where it ends
                committer.syncSealed(active); // and that every segment before it is synced
            }
            committer.startSegment(baseLsn, active, flags);
        }
        while (segments.size() > 1) {
            segments.retireFirst();
        }
    }



    /**
     * The offsets of the SYNC_MARK frames among {@code s}'s valid frames in [from, to) that
     * speak of frames at or after {@code from}.
     */
    private static List<Long> syncMarksAfter(Segment s, long from, long to) throws IOException {
        List<Long> marks = new ArrayList<>();
        try (Arena a = Arena.ofConfined()) {
            FrameCursor frames = new FrameCursor(a.allocate(SYNC_MARK_SCAN_BYTES, 8)).reset(s.file()::read, from, to, s.salt());
            for (FrameCursor.Status status = frames.next(); status == FrameCursor.Status.RECORD
                    || status == FrameCursor.Status.SKIP; status = frames.next()) {
                FrameDecoder d = frames.decoder();
                if (status == FrameCursor.Status.SKIP && d.type() == (JournalFormat.TYPE_SYNC_MARK & 0xFF) && d.syncedEnd() > from) {
                    marks.add(frames.frameOffset());
                }
            }
        }
        return marks; // up to the end of the valid frames
    }
}

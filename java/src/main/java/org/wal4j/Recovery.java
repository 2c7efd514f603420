package org.wal4j;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.wal4j.format.FormatException;
import org.wal4j.format.FrameDecoder;
import org.wal4j.format.JournalFormat;
import org.wal4j.io.DeviceReads;
import org.wal4j.io.IoBackend;
import org.wal4j.io.IoFile;
import org.wal4j.io.OpenFlag;
import org.wal4j.log.FrameCursor;
import org.wal4j.log.Segment;
import org.wal4j.log.SegmentFiles;
import org.wal4j.log.SegmentScanner;

/**
 * Opening a journal's directory: checks every segment's header and the chain they form,
 * scans the active segment and every sealed segment not known to be durable, tells a torn
 * tail (never acknowledged: cut, and the cut synced) from damage to durable data (refused, or
 * cut under {@link RecoveryMode#STOP}) by the headers, SYNC_MARKs and DURABLE_MARKs, and
 * writes again what only the page cache may hold before anything says it is durable. The
 * rules are in docs/durability.md.
 *
 * <p>Runs once, on the opening thread, before the journal exists for anyone else (the
 * directory lock is held): no lock guards it. {@link #run} hands the open segments over;
 * nothing else of this object outlives the open.
 *
 * <p>Invariants: nothing is cut or refused on one read alone ({@link #confirmEnd});
 * recovery never removes what a durable mark or header speaks of without first saying it
 * again durably in what remains; deletions go newest first, each followed by a directory
 * fsync; a directory whose files are not a journal is never modified.
 */
final class Recovery {
    private static final System.Logger LOG = System.getLogger("org.wal4j");
    private static final int READ_CHUNK_BYTES = 1 << 20;

    /**
     * What recovery left.
     *
     * @param segments the segments, oldest first, open (the last for writing)
     * @param durableSegmentId every segment with an id up to this is sealed and synced
     * @param markDurable whether a DURABLE_MARK of {@code durableSegmentId} must go into the
     *     active segment (and be synced) once it is active: the one that said so was in a
     *     segment recovery deleted
     * @param lastLsn the highest LSN the segments know (a segment's base LSN - 1 if empty)
     * @param report what recovery found and did
     * @param scans each segment's scan, or null for a durable sealed one not read at open
     */
    record Result(List<Segment> segments, long durableSegmentId, boolean markDurable, long lastLsn, RecoveryReport report,
                  List<SegmentScanner.Result> scans) {}

    private final Path dir;
    private final JournalOptions options;
    private final IoBackend io;
    /**
     * {@link #inspect}: every file opened read-only, nothing written, deleted or synced; what
     * recovery would cut, delete or write is counted in the report instead of done.
     */
    private final boolean readOnly;
    private final List<Segment> segments = new ArrayList<>();
    private MemorySegment readBuffer;

    private Recovery(Path dir, JournalOptions options, IoBackend io, boolean readOnly) {
        this.dir = dir;
        this.options = options;
        this.io = io;
        this.readOnly = readOnly;
    }

    /** Recovers the journal in {@code dir} (its lock held); on failure every file it opened is closed. */
    static Result run(Path dir, JournalOptions options, IoBackend io) throws IOException {
        return run(dir, options, io, false);
    }

    /**
     * Reads the journal in {@code dir} as recovery would, with {@link RecoveryMode#FAIL} and
     * every segment scanned, and changes nothing: the report says what an open would cut and
     * delete. No index is kept. The result's segments are open read-only; the caller closes them.
     */
    static Result inspect(Path dir, IoBackend io) throws IOException {
        JournalOptions options = JournalOptions.builder().indexMode(IndexMode.none()).recoveryMode(RecoveryMode.FAIL)
                .verifyOnOpen(true).build();
        return run(dir, options, io, true);
    }

    private static Result run(Path dir, JournalOptions options, IoBackend io, boolean readOnly) throws IOException {
        Recovery r = new Recovery(dir, options, io, readOnly);
        try (Arena arena = Arena.ofConfined()) {
            r.readBuffer = arena.allocate(READ_CHUNK_BYTES, 4096);
            return r.recover();
        } catch (IOException | RuntimeException | Error e) {
            for (Segment s : r.segments) {
                try {
                    s.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    private boolean preallocates() {
        return options.preallocate() && options.segmentBytes() > JournalFormat.HEADER_BLOCK_BYTES;
    }

    private Result recover() throws IOException {
        SegmentFiles.Listing listing = SegmentFiles.list(dir);
        if (listing.segments().isEmpty() && !listing.foreign().isEmpty()) {
            throw new NotAJournalException(dir, "no segment files, but " + listing.foreign().size()
                    + " other file(s), e.g. " + listing.foreign().get(0).getFileName());
        }
        if (!readOnly) {
            for (Path tmp : listing.unfinished()) {
                Files.delete(tmp); // an unfinished creation: never renamed into place, never held a record
            }
            // Always, not only after a deletion: the names seen here may not be durable. A
            // directory fsync that failed (its caller's journal failed) left a renamed segment
            // whose name no later fsync made durable, and a reopen in the same boot appends to it.
            io.syncDirectory(dir);
        }
        List<Path> paths = new ArrayList<>(listing.segments());
        List<Long> baseLsns = new ArrayList<>(listing.baseLsns());
        finishReset(paths, baseLsns);
        int droppedSegments = 0;
        String stopReason = null;

        // 1. headers and the chain: each segment names its predecessor
        List<JournalFormat.SegmentHeader> headers = new ArrayList<>();
        for (int i = 0; i < paths.size(); i++) {
            Path path = paths.get(i);
            CorruptionException problem = null;
            JournalFormat.SegmentHeader h = null;
            try {
                h = readHeader(path);
                if (h.baseLsn() != baseLsns.get(i)) {
                    problem = new CorruptionException(path, JournalFormat.BASE_LSN_OFFSET, -1,
                            "header baseLsn=" + h.baseLsn() + " does not match the file name");
                } else if (i > 0 && (h.prevSegmentId() != headers.get(i - 1).segmentId()
                        || h.segmentId() <= headers.get(i - 1).segmentId())) {
                    problem = new CorruptionException(path, JournalFormat.SEGMENT_ID_OFFSET, -1,
                            "segment chain broken: segmentId=" + h.segmentId() + " prevSegmentId=" + h.prevSegmentId()
                                    + " but the preceding file has segmentId=" + headers.get(i - 1).segmentId()
                                    + " (a segment file is missing, or one belongs to another journal)");
                }
            } catch (CorruptionException e) {
                problem = e;
            }
            if (problem != null) {
                // A file that is no segment (shorter than a header, another magic) is not ours,
                // and another format version, header size or flag is not damage: STOP must not
                // delete what it cannot read. Only a header of ours that is damaged (its CRC,
                // or a chain or name that does not fit) ends the journal there.
                if (options.recoveryMode() == RecoveryMode.FAIL || !isOwnDamagedHeader(problem)) {
                    throw problem;
                }
                // STOP: the journal ends before this segment; it and every later one go, newest first
                stopReason = problem.getMessage();
                droppedSegments += deleteNewestFirst(paths.subList(i, paths.size()));
                break;
            }
            headers.add(h);
        }

        // 2. frames. The headers' durableSegmentId and the DURABLE_MARK frames say which
        //    sealed segments were synced (damage there is corruption of durable data) and
        //    which were sealed in NONE mode and never synced (they may be torn, like the
        //    active segment). Sealed segments a header already names durable are not read now
        //    (unless verifyOnOpen or STOP): they are scanned and checked when first needed.
        int count = headers.size();
        List<SegmentScanner.Result> scans = new ArrayList<>();
        Tail lastTail = null;
        long[] fileBytes = new long[count];
        long durable = 0;
        for (JournalFormat.SegmentHeader h : headers) {
            durable = Math.max(durable, h.durableSegmentId());
        }
        for (int i = 0; i < count; i++) {
            Path path = paths.get(i);
            JournalFormat.SegmentHeader h = headers.get(i);
            Segment segment = new Segment(path, io.open(path, i == count - 1 && !readOnly
                    ? new OpenFlag[] {OpenFlag.READ, OpenFlag.WRITE} : new OpenFlag[] {OpenFlag.READ}), h, options.indexMode().newIndex());
            segments.add(segment);
            fileBytes[i] = segment.file().size();
            segment.reserved(fileBytes[i] >= options.segmentBytes());
            boolean verify = options.verifyOnOpen() || options.recoveryMode() == RecoveryMode.STOP;
            if (i < count - 1 && h.segmentId() <= durable && !verify) {
                JournalFormat.SegmentHeader next = headers.get(i + 1);
                segment.recorded(next.prevEndOffset(), next.prevLastLsn());
                scans.add(null);
                continue;
            }
            SegmentScanner.Result r = SegmentScanner.scan(segment.file(), fileBytes[i], h.salt(), h.baseLsn(),
                    (chunk, at, fileOffset, d) -> segment.index().add(d.lsn(), fileOffset));
            segment.scanned(r.endOffset(), r.firstLsn(), r.lastLsn(), r.records());
            scans.add(r);
            durable = Math.max(durable, r.durableMark());
            // A DURABLE_MARK past the frames: written ahead of a truncation (truncateBack), or by
            // a round whose frames before it were torn. Its claim (segments before this one were
            // synced) holds wherever it lies, and may be the only record of it.
            if (i < count - 1) {
                durable = Math.max(durable, DurableMarks.readAhead(segment, headers.get(i + 1).prevEndOffset(), fileBytes[i]));
            } else {
                lastTail = inspectTail(segment, r.endOffset(), fileBytes[i]);
                durable = Math.max(durable, lastTail.durableMark());
            }
        }

        long droppedTail = 0;
        String tailReason = stopReason;
        long framesAfterCut = 0;
        long recorded = 0; // what the segments kept so far say on disk: headers, and marks among their frames
        long markedAtRecovery = 0;
        for (int i = 0; i < count; i++) {
            recorded = Math.max(recorded, headers.get(i).durableSegmentId());
            if (scans.get(i) != null) {
                recorded = Math.max(recorded, scans.get(i).durableMark());
            }
            Segment segment = segments.get(i);
            Path path = segment.path();
            SegmentScanner.Result r = scans.get(i);
            if (r == null) {
                continue; // durable and sealed: checked when loaded
            }
            if (i > 0) {
                Segment prev = segments.get(i - 1);
                if (r.firstLsn() >= 0 && prev.lastLsn() >= 0 && r.firstLsn() <= prev.lastLsn()) {
                    throw new CorruptionException(path, JournalFormat.HEADER_BLOCK_BYTES, prev.lastLsn(),
                            "first lsn=" + r.firstLsn() + " is not above the previous segment's last lsn=" + prev.lastLsn());
                }
            }
            if (i < count - 1) {
                JournalFormat.SegmentHeader next = headers.get(i + 1);
                boolean intact = r.endOffset() == next.prevEndOffset() && Math.max(r.lastLsn(), 0) == next.prevLastLsn();
                if (intact || confirmEnd(segment, fileBytes[i], r)) {
                    continue;
                }
                String reason = "sealed segment " + (segment.id() <= durable ? "damaged" : "never synced and torn")
                        + ": frames end at " + r.endOffset() + " with lastLsn=" + r.lastLsn()
                        + " but its successor recorded endOffset=" + next.prevEndOffset() + " lastLsn=" + next.prevLastLsn()
                        + (r.reason() != null ? " (" + r.end() + ": " + r.reason() + ")" : "");
                if (segment.id() <= durable) {
                    if (options.recoveryMode() == RecoveryMode.FAIL) {
                        throw new CorruptionException(path, r.endOffset(), r.lastLsn(), reason);
                    }
                    LOG.log(System.Logger.Level.WARNING, "wal4j recovery (STOP): {0} file={1}", reason, path);
                }
                // Either STOP at durable damage, or a sealed segment that was never synced (NONE
                // mode; no sync() returned since, so none of what follows was acknowledged): the
                // journal ends here. Cut this segment first (a crash before the deletions below
                // finds the same state again), then delete every later segment, newest first.
                if (!readOnly) {
                    segment.file(io.open(path, OpenFlag.READ, OpenFlag.WRITE));
                }
                Tail tail = inspectTail(segment, r.endOffset(), fileBytes[i]);
                refuseDurableDamage(segment, r, tail);
                if (tail.validFrames > 0 && options.strictTail()) {
                    throw new CorruptionException(path, r.endOffset(), r.lastLsn(), "torn tail followed by "
                            + tail.validFrames + " valid-looking record(s) (strictTail): " + reason);
                }
                droppedTail += cutTail(segment, fileBytes[i], tail);
                framesAfterCut += tail.validFrames;
                // What later segments said of the earlier ones goes with them: say it here first.
                long needed = Math.min(durable, segment.id() - 1);
                if (needed > recorded) {
                    if (!readOnly) {
                        markDurableAtEnd(segment, needed);
                    }
                    recorded = needed;
                    markedAtRecovery = needed;
                }
                List<Segment> later = new ArrayList<>(segments.subList(i + 1, count));
                for (Segment s : later) {
                    s.close();
                }
                segments.subList(i + 1, count).clear();
                droppedSegments += deleteNewestFirst(later.stream().map(Segment::path).toList());
                tailReason = reason;
                break;
            }
            // the last segment: everything after the first invalid frame is a torn tail
            Tail tail = lastTail;
            boolean pastEnd = tail.syncedEnd > r.endOffset() || tail.dirtyEnd > r.endOffset() || tail.validFrames > 0;
            if (pastEnd && confirmEnd(segment, fileBytes[i], r)) {
                tail = new Tail(r.endOffset(), r.endOffset(), 0, 0, 0, Long.MAX_VALUE); // a live writer's frames, not a tail
            }
            if (tail.syncedEnd > r.endOffset()) {
                refuseDurableDamage(segment, r, tail);
            }
            if (tail.dirtyEnd > r.endOffset() || tail.validFrames > 0) {
                framesAfterCut = tail.validFrames;
                tailReason = r.end() == SegmentScanner.End.CLEAN
                        ? "zeroed bytes at offset " + r.endOffset() + (framesAfterCut > 0 ? " followed by records" : "")
                        : r.end() + ": " + r.reason();
                if (framesAfterCut > 0 && options.strictTail()) {
                    throw new CorruptionException(path, r.endOffset(), r.lastLsn(), "torn tail followed by "
                            + framesAfterCut + " valid-looking record(s) (strictTail): " + tailReason);
                }
            }
            long needed = Math.min(durable, segment.id() - 1);
            if (needed > recorded && tail.durableMark() > recorded && tail.firstDurableMark() >= tail.end + JournalFormat.MARK_FRAME_BYTES) {
                // The tail holds the only record of it: say it at the end of the frames, durably,
                // before the tail goes.
                recorded = needed;
                markedAtRecovery = needed;
                if (!readOnly) {
                    markDurableAtEnd(segment, needed);
                    droppedTail += Math.min(JournalFormat.MARK_FRAME_BYTES, Math.max(tail.dirtyEnd - tail.end, 0)); // overwritten by it
                    tail = new Tail(segment.endOffset(), Math.max(tail.dirtyEnd, segment.endOffset()), tail.validFrames,
                            tail.syncedEnd, tail.durableMark, tail.firstDurableMark);
                }
            }
            droppedTail += cutTail(segment, fileBytes[i], tail);
        }
        long durableSegmentId = 0;
        boolean markDurable = false;
        if (!segments.isEmpty()) {
            Segment active = segments.getLast();
            active.reserved(active.file().size() >= options.segmentBytes()); // a cut may have ended the reservation
            durableSegmentId = Math.min(durable, active.id() - 1);
            recorded = 0; // what the segments that remain say on disk
            for (int i = 0; i < segments.size(); i++) {
                recorded = Math.max(recorded, segments.get(i).header().durableSegmentId());
                if (scans.get(i) != null) {
                    recorded = Math.max(recorded, scans.get(i).durableMark());
                }
            }
            recorded = Math.max(recorded, markedAtRecovery);
            for (int i = 0; i < segments.size() && !readOnly; i++) {
                Segment s = segments.get(i);
                if (s == active) {
                    long certified = scans.get(i) != null ? Math.min(scans.get(i).syncedEnd(), s.endOffset()) : 0;
                    rewriteUncertified(s, Math.max(certified, JournalFormat.HEADER_BLOCK_BYTES));
                } else if (s.id() > durableSegmentId) {
                    rewriteUncertified(s, JournalFormat.HEADER_BLOCK_BYTES);
                }
            }
            markDurable = durableSegmentId > recorded; // the mark that said so was in a segment deleted above
        }
        long lastLsn = -1;
        for (Segment s : segments) {
            lastLsn = Math.max(lastLsn, Math.max(s.lastLsn(), s.baseLsn() - 1));
        }
        long records = 0;
        for (Segment s : segments) {
            records += s.records();
        }
        RecoveryReport report = new RecoveryReport(segments.size(), records, droppedTail, tailReason, framesAfterCut,
                droppedSegments, listing.unfinished().size());
        if (!readOnly && (droppedTail > 0 || framesAfterCut > 0 || droppedSegments > 0)) {
            LOG.log(System.Logger.Level.WARNING, "wal4j recovery: {0} dir={1}", report, dir);
        }
        return new Result(List.copyOf(segments), durableSegmentId, markDurable, lastLsn, report,
                java.util.Collections.unmodifiableList(new ArrayList<>(scans.subList(0, segments.size()))));
    }

    /**
     * Writes {@code s}'s frames from {@code from} to its end again, as they read now, and
     * syncs them, before anything says they are durable. What recovery reads is the page
     * cache, and after a failed writeback (the "fsyncgate" case) Linux keeps the lost pages
     * cached and marks them clean: a process that reopens the journal in the same boot reads
     * records the device never got, and its fdatasync returns 0, since the error went to the
     * descriptor of the process that wrote them. Written again, those pages are dirty again:
     * this fdatasync makes them durable or fails the open. Frames before {@code from} need
     * no rewrite: a SYNC_MARK records them durable, and such a mark is written only after an
     * fdatasync that covered them returned 0 in the process that wrote them.
     *
     * <p>Only whole frames whose CRC checks out in the very buffer that is written back are
     * written: a read that returned a flipped bit must not put it on the device (the range
     * held valid frames when recovery scanned it, so a frame that is not valid now is a read
     * fault, and open fails with nothing of that frame written).
     */
    private void rewriteUncertified(Segment s, long from) throws IOException {
        long end = s.endOffset();
        if (end <= from) {
            return;
        }
        s.file(io.open(s.path(), OpenFlag.READ, OpenFlag.WRITE));
        IoFile file = s.file();
        FrameCursor frames = new FrameCursor(readBuffer).reset(file::read, from, end, s.salt(), Long.MAX_VALUE, file::write);
        FrameCursor.Status status;
        do {
            status = frames.next(); // each run of valid frames is written back before the cursor reads over it
        } while (status == FrameCursor.Status.RECORD || status == FrameCursor.Status.SKIP);
        if (status == FrameCursor.Status.RANGE_END && frames.frameOffset() < end) {
            throw new IOException("the frames of " + s.path() + " end at offset " + end + " but the file ends at "
                    + frames.frameOffset() + " (cut under the journal?)");
        }
        if (status != FrameCursor.Status.RANGE_END) {
            throw new IOException("two reads of " + s.path() + " disagree: the frame at offset " + frames.frameOffset()
                    + " was valid when recovery scanned it and is not now (" + status
                    + (frames.reason() != null ? ": " + frames.reason() : "") + "; frames end at " + end + "); a read fault,"
                    + " so open stopped before writing it back. Open again, or check the device");
        }
        file.datasync();
    }

    /**
     * A SYNC_MARK after the cut that says the frames at the cut were durable: the invalid frame
     * there is damage to durable data, not a torn tail. FAIL refuses to open; STOP warns and
     * ends the journal there, as it does at damage in a durable sealed segment.
     */
    private void refuseDurableDamage(Segment segment, SegmentScanner.Result r, Tail tail) throws CorruptionException {
        if (tail.syncedEnd <= r.endOffset()) {
            return;
        }
        String reason = "damaged durable frames: the frames end at offset " + r.endOffset()
                + (r.reason() != null ? " (" + r.end() + ": " + r.reason() + ")" : " (" + r.end() + ")")
                + " but a later SYNC_MARK records every frame before offset " + tail.syncedEnd + " durable";
        if (options.recoveryMode() == RecoveryMode.FAIL) {
            throw new CorruptionException(segment.path(), r.endOffset(), r.lastLsn(), reason);
        }
        LOG.log(System.Logger.Level.WARNING, "wal4j recovery (STOP): {0} file={1}", reason, segment.path());
    }

    /**
     * Before recovery cuts or refuses anything because of where a segment's frames end, the
     * scan is repeated and must agree: a read that returned a flipped bit or a short count
     * once must not cost durable records. If the two disagree, open fails and nothing is cut.
     * Read-only ({@link #inspect}), no lock keeps a writer out: frames that went on past the
     * first scan's end are a live writer's, and true is returned (the end was where it was
     * writing, nothing torn); an open, which holds the lock, never gets true.
     */
    private boolean confirmEnd(Segment segment, long fileBytes, SegmentScanner.Result first) throws IOException {
        SegmentScanner.Result again = SegmentScanner.scan(segment.file(), fileBytes, segment.salt(), segment.baseLsn(),
                (chunk, at, fileOffset, d) -> { });
        if (readOnly && again.endOffset() > first.endOffset() && again.lastLsn() >= first.lastLsn()) {
            return true;
        }
        if (again.endOffset() != first.endOffset() || again.lastLsn() != first.lastLsn() || again.end() != first.end()) {
            throw new IOException("two reads of " + segment.path() + " disagree: its frames ended at offset "
                    + first.endOffset() + " (" + first.end() + ", lastLsn=" + first.lastLsn() + "), then at "
                    + again.endOffset() + " (" + again.end() + ", lastLsn=" + again.lastLsn()
                    + "); a read fault, so nothing was cut. Open again, or check the device");
        }
        return false;
    }

    /**
     * Whether a header problem is damage to one of this journal's segments (which STOP may cut
     * away), rather than a file that is no segment or one of another format (never touched).
     */
    private static boolean isOwnDamagedHeader(CorruptionException problem) {
        long at = problem.offset();
        return at != JournalFormat.MAGIC_OFFSET && at != JournalFormat.VERSION_OFFSET
                && at != JournalFormat.HEADER_BYTES_OFFSET && at != JournalFormat.FLAGS_OFFSET;
    }

    /**
     * Deletes segment files newest first, syncing the directory after each; returns how many.
     * One fsync per file, because a filesystem need not make directory changes durable in the
     * order they were made: an older segment's deletion that persisted while a newer one's did
     * not would leave a gap in the chain, which recovery must take for a missing segment.
     */
    private int deleteNewestFirst(List<Path> doomed) throws IOException {
        for (int j = doomed.size() - 1; j >= 0 && !readOnly; j--) {
            Files.delete(doomed.get(j));
            io.syncDirectory(dir);
        }
        return doomed.size();
    }

    /**
     * Finishes a reset to a caller's LSN that a crash interrupted: the newest segment whose
     * header is flagged RESET starts the journal, and every segment with a lower id is deleted
     * (or, read only, left out). Their records are what the reset removed; below the last LSN
     * their names also sort after its (higher base LSNs), which the chain check would take for
     * a broken chain. A header that cannot be read is left for the chain check to report.
     */
    private void finishReset(List<Path> paths, List<Long> baseLsns) throws IOException {
        long[] ids = new long[paths.size()];
        long resetId = -1;
        for (int i = 0; i < paths.size(); i++) {
            ids[i] = -1;
            try {
                JournalFormat.SegmentHeader h = readHeader(paths.get(i));
                ids[i] = h.segmentId();
                if (h.resetPoint()) {
                    resetId = Math.max(resetId, h.segmentId());
                }
            } catch (CorruptionException e) {
                // not this step's to judge
            }
        }
        if (resetId < 0) {
            return;
        }
        int removed = 0;
        for (int i = paths.size() - 1; i >= 0; i--) {
            if (ids[i] >= 0 && ids[i] < resetId) {
                if (!readOnly) {
                    Files.delete(paths.get(i));
                }
                paths.remove(i);
                baseLsns.remove(i);
                removed++;
            }
        }
        if (removed > 0 && !readOnly) {
            io.syncDirectory(dir); // (the RESET segment decides again if this does not persist)
            LOG.log(System.Logger.Level.INFO, "wal4j recovery: finished an interrupted reset: {0} segment(s)"
                    + " older than segmentId={1} deleted, dir={2}", removed, resetId, dir);
        }
    }

    private JournalFormat.SegmentHeader readHeader(Path path) throws IOException {
        try (IoFile f = io.open(path, OpenFlag.READ); Arena a = Arena.ofConfined()) {
            MemorySegment block = a.allocate(JournalFormat.HEADER_BLOCK_BYTES, 4096);
            long n = f.read(0, block);
            try {
                return JournalFormat.decodeHeader(block.asSlice(0, n));
            } catch (FormatException e) {
                throw new CorruptionException(path, e.offset(), -1, e.getMessage());
            }
        }
    }

    /**
     * What lies after the last valid frame: how many records still decode there (an unsynced
     * write that reached the disk out of order), and where what recovery must remove ends.
     * That is the last non-zero byte, except in a recycled segment, whose former contents
     * follow its frames and are left alone: there it is the end of the last of those records,
     * or of the frame at the cut if that frame is this segment's own torn write.
     */
    private record Tail(long end, long dirtyEnd, long validFrames, long syncedEnd, long durableMark, long firstDurableMark) {}

    private Tail inspectTail(Segment segment, long from, long fileBytes) throws IOException {
        IoFile device = DeviceReads.openOrNull(io, segment.path());
        try {
            return inspectTail(segment, from, fileBytes, device);
        } finally {
            if (device != null) {
                device.close();
            }
        }
    }

    /**
     * Reads the tail through {@code device} (O_DIRECT: what the device holds), or, where the
     * filesystem refuses O_DIRECT ({@code device} null), through the page cache, writing each
     * chunk back as it reads it so that the next fdatasync puts on the device what the cache
     * shows. Either way the tail recovery sees is the device's: after a failed fdatasync that
     * dropped a write of zeros (a truncation's, a cut's), the page cache shows zeros where the
     * device still holds the removed frames, and a reopen in the same boot would append in
     * front of them and seal the segment; after a power loss a scan would find them past the
     * end its successor recorded. Seen from the device they are a dirty tail, and cut.
     */
    private Tail inspectTail(Segment segment, long from, long fileBytes, IoFile device) throws IOException {
        IoFile f = device != null ? device : segment.file();
        long alignment = device != null ? device.directAlignment() : 1;
        long found = 0;
        long nonZeroEnd = from;
        long foundEnd = from;
        long syncedEnd = 0;
        long durableMark = 0;
        long firstDurableMark = Long.MAX_VALUE;
        long lastGoodLsn = Math.max(segment.lastLsn(), segment.baseLsn() - 1);
        FrameDecoder d = new FrameDecoder();
        long pos = from;
        while (pos < fileBytes) {
            long start = pos - pos % alignment; // O_DIRECT: aligned offset and length (only the first read is not)
            long want = Math.min(readBuffer.byteSize(), SegmentWriter.alignUp(fileBytes - start, alignment));
            long got = f.read(start, readBuffer.asSlice(0, want));
            if (device == null && got > 0 && !readOnly) {
                f.write(start, readBuffer.asSlice(0, got));
            }
            MemorySegment buf = readBuffer.asSlice(pos - start);
            long n = Math.max(0, Math.min(got, fileBytes - start) - (pos - start));
            long i = pos == from ? JournalFormat.FRAME_ALIGNMENT : 0; // the frame at the cut is the invalid one
            if (pos == from && segment.header().recycled()) {
                foundEnd = Math.max(foundEnd, from + ownTornFrameBytes(buf, n, fileBytes - from, lastGoodLsn));
            }
            // A frame the chunk's end cuts through is looked at again at the start of the next
            // chunk, which begins there: a mark across a chunk boundary must not go unseen.
            boolean lastChunk = got < want || start + got >= fileBytes;
            long next = n;
            while (i < n) {
                if (i + JournalFormat.COMMON_HEADER_BYTES > n) {
                    if (!lastChunk && i > 0) {
                        next = i;
                    }
                    break;
                }
                int s = d.decode(buf, i, n, segment.salt());
                if (s == FrameDecoder.NEED_MORE && !lastChunk && i > 0 && pos + i + d.frameBytes() <= fileBytes
                        && d.frameBytes() <= readBuffer.byteSize() - alignment) {
                    next = i;
                    break;
                }
                if (s == FrameDecoder.RECORD && d.lsn() > lastGoodLsn) {
                    found++;
                    i += d.frameBytes();
                    foundEnd = pos + i;
                } else if (s == FrameDecoder.SKIP && d.type() == (JournalFormat.TYPE_SYNC_MARK & 0xFF)) {
                    syncedEnd = Math.max(syncedEnd, d.syncedEnd());
                    i += d.frameBytes();
                } else if (s == FrameDecoder.SKIP && d.type() == (JournalFormat.TYPE_DURABLE_MARK & 0xFF)
                        && d.markSegmentId() < segment.id()) {
                    durableMark = Math.max(durableMark, d.markSegmentId());
                    firstDurableMark = Math.min(firstDurableMark, pos + i);
                    i += d.frameBytes();
                } else {
                    i += JournalFormat.FRAME_ALIGNMENT;
                }
            }
            long lastNonZero = lastNonZeroByte(buf, n);
            if (lastNonZero >= 0) {
                nonZeroEnd = Math.max(nonZeroEnd, pos + lastNonZero + 1);
            }
            pos += next;
            if (got < want) {
                break;
            }
        }
        if (device == null && pos > from && !readOnly) {
            segment.file().datasync(); // the rewritten tail, before anything is appended in front of it
        }
        return new Tail(from, segment.header().recycled() ? foundEnd : nonZeroEnd, found, syncedEnd, durableMark, firstDurableMark);
    }

    /**
     * In a recycled segment, the bytes at the cut are either this segment's own last write,
     * torn, or the former segment's, whose records all have LSNs below this segment's. A
     * record header there that is consistent in itself (type, flags, lengths) and carries an
     * LSN above the last good one is this segment's: its bytes (up to the file's end) are
     * returned, to be removed and reported. Otherwise 0. A write torn before its header
     * reached the disk cannot be told from the former contents.
     */
    private static long ownTornFrameBytes(MemorySegment buf, long n, long left, long lastGoodLsn) {
        if (n < JournalFormat.RECORD_HEADER_BYTES
                || buf.get(ValueLayout.JAVA_BYTE, JournalFormat.TYPE_OFFSET) != JournalFormat.TYPE_RECORD
                || buf.get(ValueLayout.JAVA_BYTE, JournalFormat.FLAGS_FRAME_OFFSET) != 0) {
            return 0;
        }
        long length = Integer.toUnsignedLong(buf.get(JournalFormat.U32, JournalFormat.LENGTH_OFFSET));
        long keyLength = Short.toUnsignedInt(buf.get(JournalFormat.U16, JournalFormat.KEY_LENGTH_OFFSET));
        long valueLength = Integer.toUnsignedLong(buf.get(JournalFormat.U32, JournalFormat.VALUE_LENGTH_OFFSET));
        long lsn = buf.get(JournalFormat.U64, JournalFormat.LSN_OFFSET);
        if (length != JournalFormat.RECORD_HEADER_BYTES + keyLength + valueLength || lsn <= lastGoodLsn) {
            return 0;
        }
        return Math.min(JournalFormat.align(length), left);
    }

    private static long lastNonZeroByte(MemorySegment buf, long n) {
        for (long i = n - 1; i >= 0 && i >= (n & -8); i--) {
            if (buf.get(ValueLayout.JAVA_BYTE, i) != 0) {
                return i;
            }
        }
        for (long i = (n & -8) - 8; i >= 0; i -= 8) {
            if (buf.get(ValueLayout.JAVA_LONG_UNALIGNED, i) != 0) {
                for (long j = i + 7; j >= i; j--) {
                    if (buf.get(ValueLayout.JAVA_BYTE, j) != 0) {
                        return j;
                    }
                }
            }
        }
        return -1;
    }

    /**
     * Removes what follows the last valid frame and syncs the cut; returns the bytes dropped
     * (up to {@link Tail#dirtyEnd}). A preallocated segment keeps its size (the dropped range
     * is written over with zeros); otherwise the file ends at the last valid frame.
     */
    private long cutTail(Segment segment, long fileBytes, Tail tail) throws IOException {
        if (fileBytes <= tail.end) {
            return 0;
        }
        boolean keepSize = preallocates() && fileBytes <= options.segmentBytes() + SegmentWriter.STAGING_ALIGNMENT;
        if (keepSize && tail.dirtyEnd <= tail.end) {
            return 0; // only the zeros it was filled with, or a recycled file's former contents
        }
        if (readOnly) {
            return Math.max(tail.dirtyEnd - tail.end, 0);
        }
        if (keepSize) {
            segment.file().zeroFill(tail.end, tail.dirtyEnd - tail.end);
        } else {
            segment.file().truncate(tail.end);
        }
        segment.file().datasync();
        return Math.max(tail.dirtyEnd - tail.end, 0);
    }

    /** A DURABLE_MARK of {@code segmentId} at the end of {@code segment}'s frames, synced. */
    private void markDurableAtEnd(Segment segment, long segmentId) throws IOException {
        DurableMarks.writeAt(segment, segment.endOffset(), segment.endOffset(), segmentId);
        segment.skipped(JournalFormat.MARK_FRAME_BYTES);
    }
}

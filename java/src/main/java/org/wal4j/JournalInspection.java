package org.wal4j;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.wal4j.format.FrameDecoder;
import org.wal4j.format.JournalFormat;
import org.wal4j.io.IoBackend;
import org.wal4j.log.FrameCursor;
import org.wal4j.log.Segment;
import org.wal4j.log.SegmentScanner;

/**
 * A journal directory as {@link Journal#inspect} read it, changing nothing: its segments,
 * what an open would do to them, and their records. It holds the segment files open,
 * read-only, until {@link #close()}; a journal open in another process may go on appending
 * meanwhile, and what this shows is the consistent prefix that was there when it was read.
 *
 * <p>Not thread-safe: one thread at a time.
 */
public final class JournalInspection implements AutoCloseable {
    private static final long READ_BYTES = 1 << 20;

    /**
     * One segment file as read.
     *
     * @param path the file
     * @param segmentId the header's segment id (1, 2, ... in creation order)
     * @param baseLsn the LSN its first record carries or would carry
     * @param prevSegmentId the header's predecessor (0 for the first segment ever)
     * @param prevLastLsn the predecessor's last LSN as its successor's header records it
     * @param prevEndOffset where the predecessor's frames end, as recorded here
     * @param headerDurableSegmentId every segment up to this id was synced when this one was made
     * @param createdMillis when the header was written (milliseconds since the epoch)
     * @param recycled whether the file is a recycled one (its former contents may follow the frames)
     * @param fileBytes the file's size when read
     * @param endOffset where its valid frames end: what an open keeps
     * @param records the records before {@code endOffset}
     * @param firstLsn the first record's LSN, or -1 if none
     * @param lastLsn the last record's LSN, or -1 if none
     * @param syncedEnd the highest offset a SYNC_MARK among its frames records durable (0 if none)
     * @param durableMark the highest segment id a DURABLE_MARK among its frames records synced (0 if none)
     */
    public record SegmentInfo(Path path, long segmentId, long baseLsn, long prevSegmentId, long prevLastLsn,
                              long prevEndOffset, long headerDurableSegmentId, long createdMillis, boolean recycled,
                              long fileBytes, long endOffset, long records, long firstLsn, long lastLsn, long syncedEnd,
                              long durableMark) {}

    private final Path dir;
    private final List<Segment> segments;
    private final List<SegmentInfo> infos;
    private final RecoveryReport recovery;
    private final long lastLsn;
    private final long durableSegmentId;
    private boolean closed;

    /** See {@link Journal#inspect(Path)}. */
    static JournalInspection read(Path dir, IoBackend io) throws IOException {
        if (!Files.exists(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "no such journal directory");
        }
        if (!Files.isDirectory(dir)) {
            throw new NotAJournalException(dir, "not a directory");
        }
        Recovery.Result r = Recovery.inspect(dir, io);
        try {
            return new JournalInspection(dir, r);
        } catch (IOException | RuntimeException | Error e) {
            IOException closing = Segment.closeAll(r.segments());
            if (closing != null) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }

    private JournalInspection(Path dir, Recovery.Result r) throws IOException {
        this.dir = dir;
        this.segments = r.segments();
        this.recovery = r.report();
        this.lastLsn = r.lastLsn();
        this.durableSegmentId = r.durableSegmentId();
        List<SegmentInfo> list = new ArrayList<>();
        for (int i = 0; i < segments.size(); i++) {
            Segment s = segments.get(i);
            JournalFormat.SegmentHeader h = s.header();
            SegmentScanner.Result scan = r.scans().get(i);
            list.add(new SegmentInfo(s.path(), h.segmentId(), h.baseLsn(), h.prevSegmentId(), h.prevLastLsn(),
                    h.prevEndOffset(), h.durableSegmentId(), h.createdMillis(), h.recycled(), s.file().size(), s.endOffset(),
                    s.records(), s.firstLsn(), s.lastLsn(), scan != null ? scan.syncedEnd() : 0,
                    scan != null ? scan.durableMark() : 0));
        }
        this.infos = List.copyOf(list);
    }

    /**
     * The directory read.
     *
     * @return the journal directory
     */
    public Path dir() {
        return dir;
    }

    /**
     * The segments an open would keep.
     *
     * @return the segments, oldest first, as an unmodifiable list (empty for an empty
     *     directory); those an open would delete are counted in {@link #recovery()}
     */
    public List<SegmentInfo> segments() {
        return infos;
    }

    /**
     * What an open would do: the torn tail it would cut (bytes, reason, valid-looking records
     * after the cut), the segments it would delete, the unfinished creations it would remove.
     * Damage to durable data is not here: {@link Journal#inspect} throws
     * {@link CorruptionException} for it, as an open does.
     *
     * @return the report of what an open would change
     */
    public RecoveryReport recovery() {
        return recovery;
    }

    /**
     * The last LSN an open would keep.
     *
     * @return the highest LSN of the records an open would keep; if they hold no record, a
     *     segment's base LSN - 1, and -1 if there is no segment
     */
    public long lastLsn() {
        return lastLsn;
    }

    /**
     * How far the segments are known durable.
     *
     * @return the segment id up to which every segment is sealed and known synced
     */
    public long durableSegmentId() {
        return durableSegmentId;
    }

    /**
     * Calls {@code callback} for every record an open would keep with {@code fromLsn <= LSN <=
     * toLsn}, in LSN order, reading each segment sequentially; returns how many. The views are
     * valid during the call only.
     *
     * @param <E> the checked exception the callback may throw
     * @param fromLsn the lowest LSN to deliver (inclusive)
     * @param toLsn the highest LSN to deliver (inclusive); {@link Long#MAX_VALUE} for all
     * @param callback receives each record
     * @return the number of records delivered
     * @throws IOException if a segment cannot be read
     * @throws IllegalStateException if this inspection is closed
     * @throws CorruptionException if a frame that was valid when the journal was inspected is
     *     not now: the journal changed while it was read (a live writer's truncation), or a read fault
     * @throws E what the callback threw, which ends the replay
     */
    public <E extends Exception> long replay(long fromLsn, long toLsn, ReplayCallback<E> callback) throws IOException, E {
        java.util.Objects.requireNonNull(callback, "callback");
        if (closed) {
            throw new IllegalStateException("inspection of " + dir + " is closed");
        }
        long delivered = 0;
        RecordView view = new RecordView();
        try (Arena arena = Arena.ofConfined()) {
            FrameCursor frames = new FrameCursor(arena.allocate(READ_BYTES, 4096));
            for (Segment s : segments) {
                if (s.records() == 0 || s.lastLsn() < fromLsn || s.firstLsn() > toLsn) {
                    continue;
                }
                frames.reset(s.file()::read, JournalFormat.HEADER_BLOCK_BYTES, s.endOffset(), s.salt());
                MemorySegment viewed = null;
                MemorySegment readOnly = null;
                for (FrameCursor.Status status = frames.next(); status != FrameCursor.Status.RANGE_END; status = frames.next()) {
                    if (status == FrameCursor.Status.SKIP) {
                        continue;
                    }
                    if (status != FrameCursor.Status.RECORD) {
                        throw new CorruptionException(s.path(), frames.frameOffset(), -1, "the frame at offset "
                                + frames.frameOffset() + " was valid when the journal was inspected and is not now (" + status
                                + (frames.reason() != null ? ": " + frames.reason() : "")
                                + "): the journal changed while it was read, or a read failed");
                    }
                    FrameDecoder d = frames.decoder();
                    if (d.lsn() < fromLsn) {
                        continue;
                    }
                    if (d.lsn() > toLsn) {
                        return delivered;
                    }
                    if (frames.buffer() != viewed) {
                        viewed = frames.buffer();
                        readOnly = viewed.asReadOnly();
                    }
                    view.set(d, readOnly, frames.frameOffsetInBuffer());
                    callback.accept(view);
                    delivered++;
                }
            }
        }
        return delivered;
    }

    /** Closes the segment files. Idempotent. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        IOException first = Segment.closeAll(segments);
        if (first != null) {
            throw first;
        }
    }
}

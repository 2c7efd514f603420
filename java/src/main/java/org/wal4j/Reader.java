package org.wal4j;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import org.wal4j.format.FrameDecoder;
import org.wal4j.format.JournalFormat;
import org.wal4j.io.IoFile;
import org.wal4j.log.FrameCursor;
import org.wal4j.log.Segment;

/**
 * Reads: a record by LSN (through the segment's index, then a mapping or one read of
 * exactly the frame where it can), and cursors over a snapshot of the journal for
 * {@code Journal.replay} and {@code Journal.iterator}, which truncations tell when they remove
 * records a cursor still has to deliver.
 *
 * <p>Guarded by the journal's lock: {@link #mapped}, {@link #frames}, {@link #located},
 * {@link #cursors} and {@link #tailers}. A cursor reads under the lock (so no file is closed or cut under it)
 * and decodes outside it; its own state belongs to the one thread that drives it.
 *
 * <p>Invariants: a record just appended is readable at once (staged frames are written to
 * the page cache before a read of the active segment); a cursor delivers only records of its
 * snapshot, in LSN order, and ends with an {@link IOException} rather than deliver anything
 * else once a truncation removed one it had yet to deliver.
 */
final class Reader {
    private static final int READ_CHUNK_BYTES = 1 << 20;
    private static final long SCAN_READ_BYTES = 64 << 10;

    private final ReentrantLock lock;
    private final Lifecycle lifecycle;
    private final SegmentSet segments;
    private final Committer committer;
    /** Decodes a frame of a mapped segment. */
    private final FrameDecoder mapped = new FrameDecoder();
    /** Reads of {@link #read}/{@link #readInto} where no mapping serves; grows (GC-managed) for a frame larger than its buffer. */
    private final FrameCursor frames;
    /** The memory the decoder {@link #locate} returned refers to: a mapping or the cursor's buffer. */
    private MemorySegment located;
    /** The file {@link #frames} reads, behind a source made once (a read allocates nothing). */
    private IoFile locatedFile;
    private final FrameCursor.Source locatedFileRead = (at, dst) -> locatedFile.read(at, dst);
    /** The record cursors not finished yet, told of every truncation (weakly held: an abandoned iterator goes). */
    private final java.util.Set<RecordCursor> cursors = java.util.Collections.newSetFromMap(new java.util.WeakHashMap<>());
    /** The tail readers not closed, told of every truncation (weakly held, as the cursors). */
    private final java.util.Set<TailReader> tailers = java.util.Collections.newSetFromMap(new java.util.WeakHashMap<>());

    Reader(ReentrantLock lock, Lifecycle lifecycle, SegmentSet segments, Committer committer, Arena arena) {
        this.lock = lock;
        this.lifecycle = lifecycle;
        this.segments = segments;
        this.committer = committer;
        this.frames = new FrameCursor(arena.allocate(READ_CHUNK_BYTES, 4096));
    }

    /** See {@code Journal.read}. */
    JournalRecord read(long lsn) throws IOException {
        lock.lock();
        try {
            FrameDecoder d = locate(lsn);
            MemorySegment buf = located;
            byte[] key = buf.asSlice(d.keyOffset(), d.keyLength()).toArray(ValueLayout.JAVA_BYTE);
            byte[] value = buf.asSlice(d.valueOffset(), d.valueLength()).toArray(ValueLayout.JAVA_BYTE);
            return new JournalRecord(lsn, d.timestamp(), key, value);
        } finally {
            lock.unlock();
        }
    }

    /** See {@code Journal.readInto}. */
    long readInto(long lsn, MemorySegment dst) throws IOException {
        lock.lock();
        try {
            FrameDecoder d = locate(lsn);
            long n = d.valueLength();
            if (dst.byteSize() < n) {
                throw new IllegalArgumentException("dst bytes=" + dst.byteSize() + " < value bytes=" + n + " lsn=" + lsn);
            }
            MemorySegment.copy(located, d.valueOffset(), dst, 0, n);
            return n;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Finds {@code lsn}; returns its frame decoded over {@link #located}, valid until the next
     * call.
     */
    private FrameDecoder locate(long lsn) throws IOException {
        lifecycle.checkOpen();
        if (lsn <= 0) {
            throw new IllegalArgumentException("lsn=" + lsn + " must be > 0");
        }
        Segment segment = segments.segmentFor(lsn);
        if (segment == null) {
            throw segments.notFound(lsn);
        }
        segments.loaded(segment);
        if (segment == segments.active()) {
            committer.flushForRead(); // read-your-writes: staged frames go to the page cache first
        }
        long offset = segment.index().floorOffset(lsn);
        if (offset < 0) {
            offset = JournalFormat.HEADER_BLOCK_BYTES;
        }
        long end = segment.endOffset();
        // Exactly the frame when the index knows where it and the next one start; larger
        // sequential reads when frames must be stepped over.
        long readBytes = SCAN_READ_BYTES;
        if (segment.index().exactOffset(lsn) >= 0) {
            long next = segment.index().nextOffset(lsn);
            readBytes = Math.max((next >= 0 ? next : end) - offset, JournalFormat.COMMON_HEADER_BYTES);
            // Sealed and preallocated segments are read through a mapping: no system call. A
            // growing active file is not (it would be mapped again after every append).
            MemorySegment map = segment != segments.active() || segment.reserved() ? segment.mapping(end) : null;
            if (map != null && mapped.decode(map, segment.mappingView(), offset, end, segment.salt()) == FrameDecoder.RECORD
                    && mapped.lsn() == lsn) {
                located = map;
                return mapped;
            } // anything else: the read below finds it or says precisely what is wrong
        }
        locatedFile = segment.file();
        frames.reset(locatedFileRead, offset, end, segment.salt(), readBytes, null);
        while (true) {
            FrameCursor.Status status = frames.next();
            switch (status) {
                case RECORD -> {
                    FrameDecoder d = frames.decoder();
                    if (d.lsn() == lsn) {
                        located = frames.buffer();
                        return d;
                    }
                    if (d.lsn() > lsn) {
                        throw segments.notFound(lsn);
                    }
                }
                case SKIP -> { }
                case RANGE_END -> throw segments.notFound(lsn);
                default -> throw new CorruptionException(segment.path(), frames.frameOffset(), -1,
                        "unreadable frame while looking for lsn=" + lsn + ": " + describe(frames, status, end));
            }
        }
    }

    /** Why a walk of frames that should all be valid (they are before the segment's end) stopped. */
    private static String describe(FrameCursor frames, FrameCursor.Status status, long end) {
        return status == FrameCursor.Status.END
                ? "zeroed bytes where a frame should start (the segment's frames end at " + end + ")"
                : status + ": " + frames.reason();
    }

    // ---------------------------------------------------------------- cursors

    /** See {@code Journal.replay}. */
    <E extends Exception> long replay(long fromLsn, ReplayCallback<E> callback) throws IOException, E {
        RecordCursor cursor = new RecordCursor(fromLsn, Long.MAX_VALUE, false, chunkCursor());
        long count = 0;
        try {
            while (cursor.next()) {
                callback.accept(cursor.view);
                count++;
            }
        } finally {
            cursor.finished();
        }
        return count;
    }

    /** See {@code Journal.iterator}. */
    JournalIterator iterator(long fromLsn) throws IOException {
        RecordCursor cursor = new RecordCursor(fromLsn, Long.MAX_VALUE, false, chunkCursor());
        return new JournalIterator() {
            private Boolean ready;
            private boolean delivered;
            private boolean closed;

            @Override
            public boolean hasNext() {
                if (closed) {
                    throw new IllegalStateException("the iterator is closed");
                }
                if (ready == null) {
                    try {
                        ready = cursor.next();
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }
                return ready;
            }

            @Override
            public JournalRecord next() {
                if (!hasNext()) {
                    throw new java.util.NoSuchElementException(delivered ? "no record after lsn=" + cursor.view.lsn
                            : "no record with lsn >= " + fromLsn + " (the last record when the iterator was made: lsn="
                            + cursor.snapshotLastLsn + ")");
                }
                ready = null;
                delivered = true;
                return cursor.view.toRecord();
            }

            @Override
            public void close() {
                if (!closed) {
                    closed = true;
                    cursor.finished();
                }
            }
        };
    }

    /** See {@code Journal.tail}. */
    TailReader tail(long fromLsn) throws IOException {
        TailReader t = new TailReader(this, committer.durableWatch(), committer, fromLsn);
        lock.lock();
        try {
            lifecycle.checkOpen();
            tailers.add(t);
        } finally {
            lock.unlock();
        }
        return t;
    }

    /**
     * A tail reader's cursor over the durable records from {@code fromLsn} up to
     * {@code durableLsn}, walking with {@code frames} (the reader's own, reused from one cursor to
     * the next: a reader that keeps up makes a cursor per sync round).
     */
    RecordCursor tailCursor(long fromLsn, long durableLsn, FrameCursor frames) throws IOException {
        return new RecordCursor(fromLsn, durableLsn, true, frames);
    }

    /** A frame cursor with a buffer of the size the record cursors read in. */
    static FrameCursor chunkCursor() {
        return new FrameCursor(Arena.ofAuto().allocate(READ_CHUNK_BYTES, 4096));
    }

    /** A tail reader is closed: it is told of truncations no more. */
    void tailClosed(TailReader t) {
        lock.lock();
        try {
            tailers.remove(t);
        } finally {
            lock.unlock();
        }
    }

    /** Throws the journal's closed or failed exception if it is closed or failed (no lock: volatile state). */
    void checkOpen() throws IOException {
        lifecycle.checkOpen();
    }

    /** Whether the journal closed or failed: a waiting tail reader must wake. */
    boolean closedOrFailed() {
        return lifecycle.isClosing() || lifecycle.failStop().hasFailed();
    }

    /**
     * Walks a snapshot of the journal in large sequential reads, one record at a time. Each
     * read happens under the journal's lock, so no file is closed or cut under it; decoding
     * and the caller's work happen outside it.
     */
    final class RecordCursor {
        private final long fromLsn;
        /** A tail reader's: its truncation rules are the tail reader's, so a truncation only ends this walk ({@link TailReader.Restart}). */
        private final boolean tailing;
        /** The last LSN of the snapshot: no record above it is delivered. */
        private final long snapshotLastLsn;
        /** The lowest LSN a truncation since the snapshot kept everything up to (removed all above); MAX_VALUE if none. */
        private volatile long removedAbove = Long.MAX_VALUE;
        /** The last LSN delivered (fromLsn - 1 before the first). */
        private long delivered;
        private final List<Segment> snapshot;
        private final long[] ends;
        final RecordView view = new RecordView();
        private final FrameCursor frames;
        /** Reads the current segment under the journal's lock, up to where its frames end now. */
        private final FrameCursor.Source lockedRead = this::readLocked;
        /** The cursor's buffer, and the read-only view of it the caller's {@link RecordView} gets. */
        private MemorySegment viewed;
        private MemorySegment readOnlyView;
        private int segmentIndex = -1;
        private Segment segment;

        /**
         * A walk of the records from {@code fromLsn} through the last appended one, or through
         * {@code upTo} if lower. A tail reader's ({@code tailing}) reads only durable records,
         * which the file holds already: nothing staged is written for it.
         */
        RecordCursor(long fromLsn, long upTo, boolean tailing, FrameCursor frames) throws IOException {
            this.fromLsn = fromLsn;
            this.frames = frames;
            this.tailing = tailing;
            this.delivered = fromLsn - 1;
            lock.lock();
            try {
                lifecycle.checkOpen();
                if (!tailing) {
                    committer.flushForRead();
                }
                // A tail reader's bound is read again here, under the lock: the watermark it read
                // without the lock may predate a truncation that lowered it, after which records
                // appended again at those LSNs are not durable yet.
                snapshotLastLsn = Math.min(Math.min(upTo, committer.lastLsn()), tailing ? committer.durableLsn() : Long.MAX_VALUE);
                cursors.add(this);
                snapshot = segments.snapshot();
                ends = new long[snapshot.size()];
                for (int i = 0; i < ends.length; i++) {
                    ends[i] = snapshot.get(i).endOffset();
                }
            } finally {
                lock.unlock();
            }
        }

        /** Lock held, by a truncation: records above {@code lsn} are being removed. */
        void removedAbove(long lsn) {
            removedAbove = Math.min(removedAbove, lsn);
        }

        /**
         * Throws if a truncation since the snapshot removed a record this cursor has not
         * delivered yet: it may not deliver it from its buffer, and what the files hold now at
         * its position (records appended since, of other sizes) is no longer the snapshot.
         */
        private void checkNotTruncated() throws IOException {
            long cut = removedAbove;
            if (cut != Long.MAX_VALUE && snapshotLastLsn > Math.max(cut, delivered)) {
                finished();
                if (tailing) {
                    throw new TailReader.Restart();
                }
                throw new IOException("records this replay had to deliver were truncated away during it: every record "
                        + "above lsn=" + cut + " was removed, and this replay had delivered up to lsn=" + delivered
                        + " of the " + snapshotLastLsn + " it started with: dir=" + lifecycle.dir());
            }
        }

        void finished() {
            lock.lock();
            try {
                cursors.remove(this);
            } finally {
                lock.unlock();
            }
        }

        /** The LSN of the record {@link #next} delivered last. */
        long lsn() {
            return delivered;
        }

        /** Moves to the next record with LSN >= fromLsn; false at the snapshot's end. */
        boolean next() throws IOException {
            if (delivered >= snapshotLastLsn) {
                finished(); // the snapshot's last record is out: nothing a truncation did since matters
                return false;
            }
            checkNotTruncated();
            while (true) {
                if (segment == null && !nextSegment()) {
                    finished();
                    return false;
                }
                FrameCursor.Status status = frames.next();
                switch (status) {
                    case RECORD -> {
                        FrameDecoder d = frames.decoder();
                        if (d.lsn() > snapshotLastLsn) {
                            segment = null; // appended after the snapshot (where a truncation let the file grow back)
                            segmentIndex = snapshot.size();
                            continue;
                        }
                        if (d.lsn() >= fromLsn) {
                            if (frames.buffer() != viewed) {
                                viewed = frames.buffer();
                                readOnlyView = viewed.asReadOnly();
                            }
                            delivered = d.lsn();
                            view.set(d, readOnlyView, frames.frameOffsetInBuffer());
                            return true;
                        }
                    }
                    case SKIP -> { }
                    case RANGE_END -> segment = null;
                    default -> throw new CorruptionException(segment.path(), frames.frameOffset(), -1,
                            "reading: " + describe(frames, status, ends[segmentIndex]));
                }
            }
        }

        private boolean nextSegment() throws IOException {
            while (++segmentIndex < snapshot.size()) {
                Segment s = snapshot.get(segmentIndex);
                long offset;
                lock.lock();
                try {
                    checkNotTruncated();
                    checkStillThere(s, tailing);
                    if (s.isEmpty() || s.lastLsn() < fromLsn) {
                        continue;
                    }
                    segments.loaded(s);
                    offset = Math.max(s.index().floorOffset(fromLsn), JournalFormat.HEADER_BLOCK_BYTES);
                } finally {
                    lock.unlock();
                }
                segment = s;
                frames.reset(lockedRead, offset, Math.max(offset, ends[segmentIndex]), s.salt());
                return true;
            }
            return false;
        }

        /** The cursor's source: a read of the current segment, under the lock, no further than its frames end now. */
        private long readLocked(long at, MemorySegment dst) throws IOException {
            lock.lock();
            try {
                checkNotTruncated();
                checkStillThere(segment, tailing);
                long end = Math.min(ends[segmentIndex], segment.endOffset()); // a truncateBack may have cut it
                if (at >= end) {
                    return 0;
                }
                return segment.file().read(at, dst.asSlice(0, Math.min(dst.byteSize(), end - at)));
            } finally {
                lock.unlock();
            }
        }
    }

    private void checkStillThere(Segment s, boolean tailing) throws IOException {
        lifecycle.checkOpen();
        if (!segments.contains(s)) {
            if (tailing) {
                throw new TailReader.Restart();
            }
            throw new IOException("records this replay had to deliver were truncated away during it: segment="
                    + s.path().getFileName() + " dir=" + lifecycle.dir());
        }
    }


    /** Lock held: every record above {@code lsn} is being removed; the cursors that still had to deliver one will say so. */
    void removedAbove(long lsn) {
        for (RecordCursor c : cursors) {
            c.removedAbove(lsn);
        }
        for (TailReader t : tailers) {
            t.removedAbove(lsn);
        }
        committer.durableWatch().advanced();
    }

    /** Lock held: truncateFront is deleting segments whose records all have LSNs up to {@code lsn}. */
    void removedThrough(long lsn) {
        for (TailReader t : tailers) {
            t.removedThrough(lsn);
        }
        committer.durableWatch().advanced();
    }
}

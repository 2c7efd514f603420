package org.wal4j;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.wal4j.format.JournalFormat;
import org.wal4j.io.IoBackend;
import org.wal4j.io.IoFile;
import org.wal4j.io.OpenFlag;
import org.wal4j.log.Segment;
import org.wal4j.log.SegmentFiles;
import org.wal4j.log.SegmentScanner;

/**
 * The journal's segments, oldest first, the last one active: their creation (header synced,
 * renamed into place, directory synced), removal from the front (deleted, or renamed aside
 * for reuse), the zero-filled spare prepared ahead of need, and the lazy scan of the sealed
 * segments open did not read.
 *
 * <p>Guarded by the journal's lock: every field, and every {@link Segment}'s state. The
 * preparer thread takes the lock only to read and set {@link #spareReady}; it writes the
 * spare file outside it.
 *
 * <p>Invariants: the segments form a chain (each header names its predecessor's id, end
 * offset and last LSN, ids strictly increase); every segment with an id up to
 * {@link #durableThrough()} is sealed and its frames are synced; a directory change (a new
 * name, a deletion, a rename aside) is followed by an fsync of the directory before the next
 * one, so whatever order the filesystem persists them in, a crash leaves no gap in the chain.
 */
final class SegmentSet implements Iterable<Segment> {
    private static final System.Logger LOG = System.getLogger("org.wal4j");
    private static final SecureRandom SALTS = new SecureRandom();
    /** The preparer thread's name: this, then the journal's directory. */
    static final String PREPARER_THREAD_PREFIX = "wal4j-prepare ";

    private final Path dir;
    private final JournalOptions options;
    private final IoBackend io;
    private final ReentrantLock lock;
    private final Lifecycle lifecycle;
    private final int writeAlignment;
    private final List<Segment> segments = new ArrayList<>();
    private long nextSegmentId = 1;
    /**
     * Every segment with an id <= this is sealed and its frames are synced. Outside ALWAYS mode
     * a rollover does not wait for the sealed segment to reach the disk; the next sync round
     * syncs it and records the fact durably (a DURABLE_MARK frame, or the next header), so
     * that recovery knows which sealed segments may be torn and which are durable data.
     */
    private long durableThrough;
    /** Wakes the spare-segment preparer: its spare was used, or close. */
    private final Condition preparerWake;
    private Thread preparer;
    private final JournalMetrics metrics;
    /** {@link SegmentFiles#SPARE} is zero-filled, synced and its name durable. */
    private boolean spareReady;
    private boolean spareFailed;
    /** Files of removed segments kept for reuse, oldest first (see {@link JournalOptions.Builder#recycleSegments}). */
    private final ArrayDeque<Recycled> recycled = new ArrayDeque<>();

    /** A removed segment's file kept for reuse, and the salt its frames carry. */
    private record Recycled(Path path, int formerSalt) {}

    SegmentSet(Path dir, JournalOptions options, IoBackend io, ReentrantLock lock, Lifecycle lifecycle, int writeAlignment,
            JournalMetrics metrics) {
        this.dir = dir;
        this.metrics = metrics;
        this.options = options;
        this.io = io;
        this.lock = lock;
        this.lifecycle = lifecycle;
        this.writeAlignment = writeAlignment;
        this.preparerWake = lock.newCondition();
    }

    /** Takes the segments recovery opened, and what it found durable. */
    void adopt(List<Segment> recovered, long durableSegmentId) {
        segments.addAll(recovered);
        durableThrough = durableSegmentId;
        for (Segment s : segments) {
            nextSegmentId = Math.max(nextSegmentId, s.id() + 1);
        }
    }

    @Override
    public Iterator<Segment> iterator() {
        return segments.iterator();
    }

    boolean isEmpty() {
        return segments.isEmpty();
    }

    int size() {
        return segments.size();
    }

    Segment get(int i) {
        return segments.get(i);
    }

    Segment first() {
        return segments.getFirst();
    }

    /** The active segment (the last), or null if there is none yet. */
    Segment active() {
        return segments.isEmpty() ? null : segments.getLast();
    }

    boolean contains(Segment s) {
        return segments.contains(s);
    }

    /** The segments now, oldest first (a copy). */
    List<Segment> snapshot() {
        return new ArrayList<>(segments);
    }

    long durableThrough() {
        return durableThrough;
    }

    void durableThrough(long segmentId) {
        durableThrough = segmentId;
    }

    boolean preallocates() {
        return options.preallocate() && options.segmentBytes() > JournalFormat.HEADER_BLOCK_BYTES;
    }

    /** The last record's LSN, or -1 if no segment holds one. */
    long lastRecordLsn() {
        for (int i = segments.size() - 1; i >= 0; i--) {
            if (!segments.get(i).isEmpty()) {
                return segments.get(i).lastLsn();
            }
        }
        return -1;
    }

    /** The first record's LSN (scanning its segment if open did not), or -1 if no segment holds one. */
    long firstRecordLsn() throws IOException {
        for (Segment s : segments) {
            if (!s.isEmpty()) {
                return loaded(s).firstLsn();
            }
        }
        return -1;
    }

    /** The segment holding {@code lsn}, or null. */
    Segment segmentFor(long lsn) {
        Segment found = null;
        for (Segment s : segments) {
            if (s.baseLsn() <= lsn) {
                found = s;
            } else {
                break;
            }
        }
        if (found == null || found.isEmpty() || lsn > found.lastLsn()) {
            return null;
        }
        return found;
    }

    /** The index of the segment {@code lsn} belongs in (the last one whose base LSN is at most lsn), 0 if none. */
    int indexFor(long lsn) {
        int target = 0;
        for (int i = 0; i < segments.size(); i++) {
            if (segments.get(i).baseLsn() <= lsn) {
                target = i;
            }
        }
        return target;
    }

    /**
     * Scans a sealed segment that open did not read (its header chain named it durable) and
     * checks it ends where its successor recorded. Damage is corruption of durable data.
     */
    Segment loaded(Segment s) throws IOException {
        if (s.isLoaded()) {
            return s;
        }
        long recordedEnd = s.endOffset();
        long recordedLast = s.lastLsn();
        long fileBytes = s.file().size();
        s.index().clear();
        SegmentScanner.Result r = SegmentScanner.scan(s.file(), fileBytes, s.salt(), s.baseLsn(),
                (chunk, at, fileOffset, d) -> s.index().add(d.lsn(), fileOffset));
        if (r.endOffset() != recordedEnd || r.lastLsn() != recordedLast) {
            s.index().clear();
            throw new CorruptionException(s.path(), r.endOffset(), r.lastLsn(), "sealed segment damaged: frames end at "
                    + r.endOffset() + " with lastLsn=" + r.lastLsn() + " but its successor recorded endOffset=" + recordedEnd
                    + " lastLsn=" + Math.max(recordedLast, 0) + (r.reason() != null ? " (" + r.end() + ": " + r.reason() + ")" : ""));
        }
        s.scanned(r.endOffset(), r.firstLsn(), r.lastLsn(), r.records());
        return s;
    }

    LsnNotFoundException notFound(long lsn) {
        long first = -1;
        long last = -1;
        for (Segment s : segments) {
            if (!s.isEmpty()) {
                first = first < 0 ? (s.isLoaded() ? s.firstLsn() : s.baseLsn()) : first;
                last = s.lastLsn();
            }
        }
        return new LsnNotFoundException(lsn, first, last);
    }

    /**
     * Creates the segment that follows {@code prev} (null: the first) at {@code baseLsn}:
     * header written and synced into a recycled file, the zero-filled spare or a new .tmp
     * file, renamed into place, the directory synced. Only then may records go into it, and
     * only then does its header's record of the predecessor (endOffset, lastLsn) exist. The
     * caller makes it active.
     */
    Segment create(long baseLsn, Segment prev) throws IOException {
        return create(baseLsn, prev, 0);
    }

    /** As {@link #create(long, Segment)}, with header flags (e.g. {@link JournalFormat#FLAG_RESET}) besides RECYCLED. */
    Segment create(long baseLsn, Segment prev, int flags) throws IOException {
        Path path = dir.resolve(SegmentFiles.name(baseLsn));
        Recycled reuse = recycled.pollFirst();
        int salt = SALTS.nextInt();
        while (reuse != null && salt == reuse.formerSalt()) {
            salt = SALTS.nextInt(); // the former frames must not pass this segment's CRCs
        }
        JournalFormat.SegmentHeader h = new JournalFormat.SegmentHeader(nextSegmentId, baseLsn, salt,
                flags | (reuse != null ? JournalFormat.FLAG_RECYCLED : 0),
                prev == null ? 0 : prev.id(), prev == null ? 0 : Math.max(prev.lastLsn(), 0),
                prev == null ? 0 : prev.endOffset(), System.currentTimeMillis(), durableThrough);
        boolean fromSpare = reuse == null && spareReady;
        Path source = reuse != null ? reuse.path() : fromSpare ? dir.resolve(SegmentFiles.SPARE)
                : dir.resolve(SegmentFiles.name(baseLsn) + SegmentFiles.TMP_SUFFIX);
        if (fromSpare) {
            spareReady = false;
            preparerWake.signal();
        }
        boolean written = reuse != null || fromSpare;
        try (Arena a = Arena.ofConfined();
             IoFile f = written ? io.open(source, OpenFlag.WRITE)
                     : io.open(source, options.fileMode(), OpenFlag.WRITE, OpenFlag.CREATE, OpenFlag.TRUNCATE)) {
            MemorySegment block = a.allocate(JournalFormat.HEADER_BLOCK_BYTES, 4096);
            JournalFormat.encodeHeader(block, h);
            f.write(0, block);
            if (!written && preallocates()) {
                f.zeroFill(JournalFormat.HEADER_BLOCK_BYTES, options.segmentBytes() - JournalFormat.HEADER_BLOCK_BYTES);
            }
            f.datasync();
        }
        Files.move(source, path, StandardCopyOption.ATOMIC_MOVE);
        io.syncDirectory(dir);
        nextSegmentId++;
        Segment s = new Segment(path, io.open(path, OpenFlag.READ, OpenFlag.WRITE), h, options.indexMode().newIndex());
        s.reserved(preallocates());
        segments.add(s);
        if (prev != null) {
            metrics.rolledOver();
            JournalEvents.Rollover event = new JournalEvents.Rollover();
            if (event.shouldCommit()) {
                event.dir = dir.toString();
                event.sealedSegmentId = prev.id();
                event.baseLsn = baseLsn;
                event.fromSpare = fromSpare;
                event.recycled = reuse != null;
                event.commit();
            }
        }
        return s;
    }

    /**
     * Removes the oldest segment: closes it and deletes its file, or renames it aside for a
     * later segment to be written into, and syncs the directory before the next one goes:
     * oldest first, each change durable before the next, so that whatever order the
     * filesystem persists directory changes in, a crash leaves the segments that remain
     * without a gap between them (a gap reads as a missing segment). Its frames carry its salt
     * and LSNs below every LSN the journal can still append: the front only moves forward,
     * and LSNs are appended in increasing order above it, so a recycled segment's recovery
     * cannot take them for its own (the salt alone would allow a 2^-32 accident; the LSN
     * check does not).
     */
    void retireFirst() throws IOException {
        Segment s = segments.getFirst();
        boolean keep = preallocates() && writeAlignment > 1 && recycled.size() < options.recycleSegments()
                && s.file().size() == options.segmentBytes();
        s.close();
        JournalEvents.SegmentRetired event = new JournalEvents.SegmentRetired();
        event.begin();
        if (keep) {
            Path aside = dir.resolve(SegmentFiles.recycledName(s.id()));
            Files.move(s.path(), aside, StandardCopyOption.ATOMIC_MOVE);
            recycled.add(new Recycled(aside, s.salt()));
            metrics.recycledOne();
        } else {
            Files.delete(s.path());
        }
        segments.removeFirst();
        io.syncDirectory(dir);
        if (event.shouldCommit()) {
            event.dir = dir.toString();
            event.segmentId = s.id();
            event.recycled = keep;
            event.commit();
        }
    }

    /**
     * Deletes the recycled files kept for later segments. A reset below the journal's next
     * LSN needs this: a kept file's former frames carry LSNs that the journal may append
     * again, so a segment written into it could not tell them from its own torn tail (and
     * only the salt would keep one from passing as a record).
     */
    void discardRecycled() throws IOException {
        if (recycled.isEmpty()) {
            return;
        }
        for (Recycled r; (r = recycled.pollFirst()) != null; ) {
            Files.deleteIfExists(r.path());
        }
        io.syncDirectory(dir);
    }

    /**
     * Removes the newest segment: closes it, deletes its file and syncs the directory before
     * anything else changes (deletions newest first, see {@link Recovery}).
     */
    void deleteLast() throws IOException {
        Segment later = segments.getLast();
        later.close();
        Files.delete(later.path());
        segments.removeLast();
        io.syncDirectory(dir);
    }

    // ---------------------------------------------------------------- the spare segment

    /** Lock held: starts the thread that prepares the next segment, if segments are preallocated and it is not running. */
    void startPreparer() {
        if (preallocates() && preparer == null && !lifecycle.isClosed() && !spareFailed) {
            preparer = Thread.ofPlatform().name(PREPARER_THREAD_PREFIX + dir).daemon(true).unstarted(this::runPreparer);
            preparer.start();
        }
    }

    /** Lock held, the journal closed: wakes the preparer to end; returns it to be joined (null if none runs). */
    Thread stopPreparer() {
        preparerWake.signalAll();
        return preparer;
    }

    /**
     * The preparer thread: keeps one zero-filled, synced spare file ready for the next
     * rollover, outside the journal's lock. On a failure it logs and stops; rollovers then
     * create their segments themselves (and fail the journal if the disk fails them too).
     */
    private void runPreparer() {
        Path spare = dir.resolve(SegmentFiles.SPARE);
        try (Arena a = Arena.ofConfined()) {
            long chunk = Math.min(options.segmentBytes(), 1 << 20);
            MemorySegment zeros = a.allocate(chunk, 4096);
            while (true) {
                lock.lock();
                try {
                    while (!lifecycle.isClosed() && spareReady) {
                        preparerWake.awaitUninterruptibly();
                    }
                    if (lifecycle.isClosed()) {
                        return;
                    }
                } finally {
                    lock.unlock();
                }
                JournalEvents.SparePrepared event = new JournalEvents.SparePrepared();
                event.begin();
                try (IoFile f = openSpare(spare)) {
                    for (long done = 0; done < options.segmentBytes() && !lifecycle.isClosed(); done += chunk) {
                        f.write(done, zeros.asSlice(0, Math.min(chunk, options.segmentBytes() - done)));
                    }
                    f.datasync();
                }
                io.syncDirectory(dir);
                if (event.shouldCommit()) {
                    event.dir = dir.toString();
                    event.bytes = options.segmentBytes();
                    event.commit();
                }
                lock.lock();
                try {
                    spareReady = !lifecycle.isClosed();
                } finally {
                    lock.unlock();
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "wal4j: preparing the next segment failed; rollovers will create "
                    + "their segments themselves: dir=" + dir, e);
            lock.lock();
            try {
                spareFailed = true;
            } finally {
                lock.unlock();
            }
        } finally {
            lock.lock();
            try {
                preparer = null;
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * Opens the spare for zero-filling. A journal writing with O_DIRECT zero-fills with O_DIRECT
     * too (where the filesystem takes it at 4096-byte alignment), so the zeros are not copied
     * into the page cache and written back later, a burst its fdatasyncs would queue behind. A
     * buffered journal zero-fills through the page cache: its writes then find the pages
     * cached; without them a write of part of a page first reads the page from the disk
     * (measured: a 4 KiB durable append went from 114 to 189 us at the median).
     */
    private IoFile openSpare(Path spare) throws IOException {
        if (writeAlignment == 1) {
            return io.open(spare, options.fileMode(), OpenFlag.WRITE, OpenFlag.CREATE, OpenFlag.TRUNCATE);
        }
        try {
            IoFile f = io.open(spare, options.fileMode(), OpenFlag.WRITE, OpenFlag.CREATE, OpenFlag.TRUNCATE, OpenFlag.DIRECT);
            if (f.isDirect() && SegmentWriter.STAGING_ALIGNMENT % f.directAlignment() == 0) {
                return f;
            }
            f.close();
        } catch (IOException refused) {
            // O_DIRECT refused here (tmpfs, for one): buffered below
        }
        return io.open(spare, options.fileMode(), OpenFlag.WRITE, OpenFlag.CREATE, OpenFlag.TRUNCATE);
    }

    /**
     * Lock held, the threads stopped: closes every segment and deletes the spare and the
     * recycled files (a crash before this: open deletes them); returns the first error.
     */
    IOException close() {
        IOException first = closeFiles();
        List<Path> spares = new ArrayList<>();
        spares.add(dir.resolve(SegmentFiles.SPARE));
        recycled.forEach(r -> spares.add(r.path()));
        recycled.clear();
        for (Path spare : spares) {
            try {
                Files.deleteIfExists(spare);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "wal4j: could not delete a spare segment: " + spare, e);
            }
        }
        return first;
    }

    /** Closes every segment's files; returns the first error, any later ones suppressed in it. */
    IOException closeFiles() {
        return Segment.closeAll(segments);
    }

    @Override
    public String toString() {
        return "SegmentSet[dir=" + dir + " segments=" + segments.size() + " durableThrough=" + durableThrough + "]";
    }
}

package org.wal4j;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.wal4j.format.FormatException;
import org.wal4j.format.FrameCrc;
import org.wal4j.format.FrameDecoder;
import org.wal4j.format.JournalFormat;
import org.wal4j.io.AlreadyOpenException;
import org.wal4j.io.DeviceReads;
import org.wal4j.io.Errno;
import org.wal4j.io.ExclusiveLock;
import org.wal4j.io.IoBackend;
import org.wal4j.io.IoCallException;
import org.wal4j.io.IoFile;
import org.wal4j.io.OpenFlag;
import org.wal4j.log.FailStop;
import org.wal4j.log.Segment;
import org.wal4j.log.SegmentFiles;
import org.wal4j.log.SegmentScanner;

/**
 * A write-ahead log: a directory of segment files in the journal format (see docs/format.md,
 * "The journal"). Records carry an LSN, a timestamp, a key (may be empty) and a value.
 *
 * <p><b>LSNs.</b> {@link #append(byte[])} assigns the next LSN (1 for an empty journal,
 * then last + 1, like go-wally's index); {@link #append(long, long, byte[], byte[])} takes
 * the caller's (gohacks), which must be greater than the last; gaps are allowed.
 *
 * <p><b>Durability</b> follows the {@link SyncPolicy}: with {@link SyncMode#NONE} records are
 * durable once {@link #sync()} or {@link #close()} returned; with {@link SyncMode#INTERVAL}
 * after a background sync ({@link #durableLsn()} tells); with {@link SyncMode#ALWAYS} once
 * {@code append} returned, concurrent appenders sharing one write and one fdatasync (group
 * commit). {@link #appendAsync} returns a future completed when the record is durable. A new
 * or deleted segment is followed by an fsync of the directory. A failed write or sync fails
 * the journal: the records in flight get {@link OutcomeUnknownException}, every later call
 * {@link JournalFailedException}.
 *
 * <p><b>Threads.</b> Every method may be called from many threads; one lock orders them
 * (an fdatasync runs outside it). A journal runs up to two daemon threads, {@code wal4j-sync}
 * (INTERVAL, asynchronous appends) and {@code wal4j-prepare} (zero-filled segments ahead of
 * need); {@link #close()} stops both. A record just appended is readable at once
 * (read-your-writes), staged or not.
 *
 * <p><b>Recovery.</b> {@link #open} checks every segment's header and scans the active
 * (last) segment, and any sealed segment not known to be durable; the other sealed segments
 * are scanned when first read ({@link JournalOptions#verifyOnOpen()}). The active segment
 * ends at its first invalid frame: that torn tail was never acknowledged as durable, so it is
 * cut and the cut synced before the open returns ({@link #recoveryReport()} says how many
 * bytes); so does a sealed segment that was never synced. Damage inside a durable sealed
 * segment is corruption: {@link CorruptionException} from the open (or the first read), unless
 * {@link RecoveryMode#STOP} says otherwise. A directory whose files are not a journal is
 * never modified.
 */
public final class Journal implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("org.wal4j");
    private static final SecureRandom SALTS = new SecureRandom();
    private static final int READ_CHUNK_BYTES = 1 << 20;
    private static final MemorySegment EMPTY = MemorySegment.ofArray(new byte[0]);
    private static final long SCAN_READ_BYTES = 64 << 10;
    /** The staging buffer's alignment: the largest O_DIRECT block size supported. */
    private static final int STAGING_ALIGNMENT = 4096;
    /** The staging buffers grow to hold a record up to this size; a larger one is written on its own, under the lock. */
    private static final long STAGING_GROWTH_LIMIT = 8 << 20;
    static final String SYNC_THREAD_PREFIX = "wal4j-sync ";
    static final String PREPARE_THREAD_PREFIX = "wal4j-prepare ";

    private final Path dir;
    private final JournalOptions options;
    private final IoBackend io;
    private final ReentrantLock lock = new ReentrantLock();
    private final List<Segment> segments = new ArrayList<>();
    private final Arena arena = Arena.ofShared();
    /** Where appenders encode frames; swapped with {@link #sealedStaging} when a round takes it. */
    private MemorySegment staging;
    /** The other staging buffer: the one a sync round writes outside the lock (see {@link #syncRound}). */
    private MemorySegment sealedStaging;
    /** The write of the running sync round, while it may still be in flight; null otherwise. */
    private RoundWrite roundWrite;
    /** The directory's lock ({@link SegmentFiles#LOCK_FILE}): held from before recovery until close. */
    private final ExclusiveLock ownerLock;
    private final RecoveryReport recoveryReport;
    private final FrameDecoder decoder = new FrameDecoder();
    private final FrameCrc writeCrc = new FrameCrc();
    /** Reads of {@link #read}/{@link #readInto}; grows (GC-managed) for a frame larger than it. */
    private MemorySegment readBuffer;
    /** Lock held: the bytes of a DURABLE_MARK written apart from the staging buffer (see {@link #writeMarkAt}). */
    private final MemorySegment markBuffer;
    /** The memory {@link #decoder}'s offsets refer to after {@link #locate}: a mapping or {@link #readBuffer}. */
    private MemorySegment located;

    /** File offset, in the active segment, of {@link #staging}'s first byte. */
    private long stagingOffset;
    /** Bytes of {@link #staging} holding frames: the active segment ends at stagingOffset + stagingUsed. */
    private long stagingUsed;
    /** Bytes at the start of {@link #staging} already written (direct mode: the carried partial block). */
    private long stagingWritten;
    /** The block size O_DIRECT writes are aligned and padded to; 1 when writes are buffered. */
    private final int writeAlignment;
    /** The highest LSN ever appended (kept across reset and truncation), -1 if none. */
    private long lastLsn = -1;
    private long nextSegmentId = 1;
    /**
     * Every segment with an id <= this is sealed and its frames are synced. Outside ALWAYS mode
     * a rollover does not wait for the sealed segment to reach the disk; the next sync round
     * syncs it and records the fact durably (a DURABLE_MARK frame, or the next header), so
     * that recovery knows which sealed segments may be torn and which are durable data.
     */
    private long durableSegmentId;
    /** Set when {@link #close()} starts: new calls are refused while it makes what was appended durable. */
    private volatile boolean closing;
    private volatile boolean closed;
    /** Lock held: {@link #close()} has released everything. */
    private boolean released;
    /** Signalled when {@link #close()} has finished (a concurrent close waits for it). */
    private final Condition closeDone = lock.newCondition();
    /**
     * Operations that need every appended record durable and no append in between
     * ({@link #truncateBack}, {@link #reset}) and are waiting for it or running: while this is
     * above 0, new appends wait at {@link #awaitAppendGate} (so a steady stream of appenders
     * cannot starve them).
     */
    private int quiescing;
    /** Signalled when {@link #quiescing} drops to 0. */
    private final Condition appendGate = lock.newCondition();
    /**
     * Counts truncations that removed records. A truncation runs only once every appended
     * record is durable, so a wait for durability that sees this change is over: its records
     * were durable when the truncation ran (and may have been removed by it since).
     */
    private long truncations;
    /** Lock held: the record cursors not finished yet, told of every truncation (weakly held: an abandoned iterator goes). */
    private final java.util.Set<RecordCursor> cursors = java.util.Collections.newSetFromMap(new java.util.WeakHashMap<>());
    /** The first failed write, sync, truncate or delete: the journal refuses every later call. */
    private final FailStop failStop;

    // Durability (all guarded by lock; durableLsn is also read without it)
    private volatile SyncPolicy policy;
    /** A sync round's fdatasync is running outside the lock. */
    private boolean syncing;
    /** The running (or last) round's fdatasync (see {@link #awaitRoundSync}). */
    private RoundSync roundSync = RoundSync.NONE;
    /** Frames of the active segment before this offset are durable (a round's fdatasync covered them); 0: none known. */
    private long activeSyncedEnd;
    /** The offset the last SYNC_MARK written in the active segment carries. */
    private long activeMarkedEnd;
    /** Counts activations: a round whose segment was cut back (and re-activated) meanwhile must not move activeSyncedEnd. */
    private long activations;
    /** Signalled when a sync round ends (or the journal fails). */
    private final Condition roundDone = lock.newCondition();
    /** Wakes the background sync thread: an asynchronous append, a bound reached, a new policy, close. */
    private final Condition syncerWake = lock.newCondition();
    /** Wakes the spare-segment preparer: its spare was used, or close. */
    private final Condition preparerWake = lock.newCondition();
    private volatile long durableLsn = -1;
    /** Appenders parked until a round makes their record durable (see {@link #awaitDurableAppend}). */
    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
    private final long followerSpinNanos;
    /** Frame bytes appended since the last sync round started (INTERVAL's byte bound). */
    private long unsyncedBytes;
    /** When the first of those bytes was appended (INTERVAL's time bound). */
    private long unsyncedSinceNanos;
    /** Asynchronous appends not completed yet, in LSN order. */
    private final ArrayDeque<PendingAppend> pending = new ArrayDeque<>();
    private Thread syncer;
    private Thread preparer;
    /** {@link SegmentFiles#SPARE} is zero-filled, synced and its name durable. */
    private boolean spareReady;
    private boolean spareFailed;
    /** Files of removed segments kept for reuse, oldest first (see {@link JournalOptions.Builder#recycleSegments}). */
    private final ArrayDeque<Recycled> recycled = new ArrayDeque<>();

    /** A removed segment's file kept for reuse, and the salt its frames carry. */
    private record Recycled(Path path, int formerSalt) {}

    private Journal(Path dir, JournalOptions options, IoBackend io, ExclusiveLock ownerLock) throws IOException {
        this.dir = dir;
        this.options = options;
        this.io = io;
        this.ownerLock = ownerLock;
        this.failStop = new FailStop("journal dir=" + dir);
        this.policy = options.syncPolicy();
        this.followerSpinNanos = options.followerSpin().toNanos();
        this.readBuffer = arena.allocate(READ_CHUNK_BYTES, 4096);
        this.markBuffer = arena.allocate(AHEAD_MARK_GAP + JournalFormat.MARK_FRAME_BYTES, 8);
        try {
            this.writeAlignment = directAlignment(dir, options, io);
            this.staging = arena.allocate(alignUp(options.writeBufferBytes(), STAGING_ALIGNMENT), STAGING_ALIGNMENT);
            this.sealedStaging = arena.allocate(staging.byteSize(), STAGING_ALIGNMENT);
            this.recoveryReport = recover();
            lock.lock();
            try {
                awaitDurableLocked(lastLsn); // what a crashed process wrote may still be only in the page cache
                startPreparer();
                updateSyncer();
            } finally {
                lock.unlock();
            }
        } catch (IOException | RuntimeException | Error e) { // whatever ended the open, nothing stays held
            for (Segment s : segments) {
                try {
                    s.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            arena.close();
            throw e;
        }
    }

    private static long alignUp(long n, long alignment) {
        return (n + alignment - 1) / alignment * alignment;
    }

    /**
     * Whether {@code probe} opens for writing without O_DIRECT: JavaIo knows EINVAL only from
     * the JDK's English text, so a refusal in another locale has errno 0, and this tells it
     * from a failure that has nothing to do with O_DIRECT (too many open files, ...).
     */
    private static boolean opensWithoutDirect(Path probe, IoBackend io, int fileMode) {
        try (IoFile f = io.open(probe, fileMode, OpenFlag.WRITE, OpenFlag.CREATE)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The O_DIRECT block size, 1 when writes are buffered. Probed on a file of its own in the
     * directory (same filesystem), created and deleted here: a filesystem that refuses
     * O_DIRECT fails the open here, before any segment is touched, or falls back when the
     * options say so. Never on the lock file: closing a descriptor of it would release a
     * POSIX record lock (JavaIo's) on it.
     */
    private static int directAlignment(Path dir, JournalOptions options, IoBackend io) throws IOException {
        if (!options.direct()) {
            return 1;
        }
        Path probe = dir.resolve(SegmentFiles.DIRECT_PROBE);
        try {
            return probeDirect(dir, probe, options, io);
        } finally {
            Files.deleteIfExists(probe); // left by a crash, open deletes it with the other unfinished files
        }
    }

    private static int probeDirect(Path dir, Path probe, JournalOptions options, IoBackend io) throws IOException {
        int alignment;
        try (IoFile f = io.open(probe, options.fileMode(), OpenFlag.WRITE, OpenFlag.CREATE, OpenFlag.DIRECT)) {
            alignment = f.directAlignment();
        } catch (IoCallException e) {
            if (e.errno() != Errno.EINVAL && !(e.errno() == 0 && opensWithoutDirect(probe, io, options.fileMode()))) {
                throw e; // not a refusal of O_DIRECT: EINVAL, or an unknown errno where the same open without it works
            }
            if (!options.directFallback()) {
                throw new IOException("O_DIRECT is refused by the filesystem of dir=" + dir + " (" + e.getMessage()
                        + "); open with direct(false), or directFallback(true) to write buffered instead", e);
            }
            LOG.log(System.Logger.Level.WARNING, "wal4j: O_DIRECT refused by the filesystem, writing buffered "
                    + "(directFallback): dir={0}: {1}", dir, e.getMessage());
            return 1;
        }
        if (alignment > STAGING_ALIGNMENT || STAGING_ALIGNMENT % alignment != 0 || options.segmentBytes() % alignment != 0) {
            throw new IOException("O_DIRECT alignment=" + alignment + " of dir=" + dir + " is not supported: it must divide "
                    + STAGING_ALIGNMENT + " and segmentBytes=" + options.segmentBytes());
        }
        return alignment;
    }

    /** A buffer of at least {@code bytes}: {@code current} if large enough, else a new one. */
    private static MemorySegment atLeast(MemorySegment current, long bytes) {
        if (current.byteSize() >= bytes) {
            return current;
        }
        return Arena.ofAuto().allocate(JournalFormat.align(bytes), 4096);
    }

    /**
     * Opens the journal in {@code dir}, creating the directory if it does not exist (and
     * syncing its parent, so that the new directory's name is durable).
     *
     * <p>One journal instance per directory: the open takes the directory's lock (an open
     * file description lock on {@value SegmentFiles#LOCK_FILE} with the posix backend, a
     * POSIX record lock with the java one) before it reads anything, and holds it until
     * {@link #close()}. A second open of the same directory, through any path to it, fails
     * without touching the journal.
     *
     * @throws NotAJournalException if {@code dir} holds files but no segment
     * @throws CorruptionException if a sealed segment's durable data is damaged (see {@link RecoveryMode})
     * @throws AlreadyOpenException if the journal is open in this process (the message says so and
     *     names the directory) or in another one (the message names the lock file)
     * @throws IOException if I/O fails
     */
    public static Journal open(Path dir, JournalOptions options) throws IOException {
        return open(dir, options, IoBackend.select(options.ioBackend()));
    }

    /** As {@link #open(Path, JournalOptions)} on a given backend (tests inject failures this way). */
    static Journal open(Path dir, JournalOptions options, IoBackend io) throws IOException {
        createDirectory(dir, io, options.fileMode());
        SegmentFiles.Listing listing = SegmentFiles.list(dir);
        if (listing.segments().isEmpty() && !listing.foreign().isEmpty()) {
            // checked before the lock file is created: a directory that is not a journal is never touched
            throw new NotAJournalException(dir, "no segment files, but " + listing.foreign().size()
                    + " other file(s), e.g. " + listing.foreign().get(0).getFileName());
        }
        ExclusiveLock lock = ExclusiveLock.acquire(io, dir.resolve(SegmentFiles.LOCK_FILE), options.fileMode(),
                "journal dir=" + dir);
        try {
            return new Journal(dir, options, io, lock);
        } catch (IOException | RuntimeException | Error e) {
            try {
                lock.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * Creates {@code dir} and any missing parents (with {@link org.wal4j.io.Modes#directoryMode}
     * of the file mode), each followed by an fsync of the directory holding it: a new
     * directory's entry is not durable until its parent is synced, and a journal whose
     * directory vanished in a crash would lose records acknowledged in it.
     */
    private static void createDirectory(Path dir, IoBackend io, int fileMode) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        List<Path> missing = new ArrayList<>();
        for (Path p = dir.toAbsolutePath(); p != null && !Files.exists(p); p = p.getParent()) {
            missing.add(p);
        }
        Files.createDirectories(dir, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                org.wal4j.io.Modes.permissions(org.wal4j.io.Modes.directoryMode(fileMode))));
        for (int i = missing.size() - 1; i >= 0; i--) {
            Path parent = missing.get(i).getParent();
            if (parent != null) {
                io.syncDirectory(parent);
            }
        }
    }

    // ---------------------------------------------------------------- recovery

    private RecoveryReport recover() throws IOException {
        SegmentFiles.Listing listing = SegmentFiles.list(dir);
        if (listing.segments().isEmpty() && !listing.foreign().isEmpty()) {
            throw new NotAJournalException(dir, "no segment files, but " + listing.foreign().size()
                    + " other file(s), e.g. " + listing.foreign().get(0).getFileName());
        }
        for (Path tmp : listing.unfinished()) {
            Files.delete(tmp); // an unfinished creation: never renamed into place, never held a record
        }
        // Always, not only after a deletion: the names seen here may not be durable. A
        // directory fsync that failed (its caller's journal failed) left a renamed segment
        // whose name no later fsync made durable, and a reopen in the same boot appends to it.
        io.syncDirectory(dir);
        List<Path> paths = new ArrayList<>(listing.segments());
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
                if (h.baseLsn() != listing.baseLsns().get(i)) {
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
            Segment segment = new Segment(path, io.open(path, i == count - 1 ? new OpenFlag[] {OpenFlag.READ, OpenFlag.WRITE}
                    : new OpenFlag[] {OpenFlag.READ}), h, options.indexMode().newIndex());
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
                durable = Math.max(durable, markAhead(segment, headers.get(i + 1).prevEndOffset(), fileBytes[i]));
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
                if (intact) {
                    continue;
                }
                confirmEnd(segment, fileBytes[i], r);
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
                segment.file(io.open(path, OpenFlag.READ, OpenFlag.WRITE));
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
                    markDurableAtEnd(segment, needed);
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
            if (tail.syncedEnd > r.endOffset()) {
                confirmEnd(segment, fileBytes[i], r);
                refuseDurableDamage(segment, r, tail);
            }
            if (tail.dirtyEnd > r.endOffset() || tail.validFrames > 0) {
                confirmEnd(segment, fileBytes[i], r);
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
                markDurableAtEnd(segment, needed);
                recorded = needed;
                markedAtRecovery = needed;
                droppedTail += Math.min(JournalFormat.MARK_FRAME_BYTES, Math.max(tail.dirtyEnd - tail.end, 0)); // overwritten by it
                tail = new Tail(segment.endOffset(), Math.max(tail.dirtyEnd, segment.endOffset()), tail.validFrames, tail.syncedEnd,
                        tail.durableMark, tail.firstDurableMark);
            }
            droppedTail += cutTail(segment, fileBytes[i], tail);
        }
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
            for (int i = 0; i < segments.size(); i++) {
                Segment s = segments.get(i);
                if (s == active) {
                    long certified = scans.get(i) != null ? Math.min(scans.get(i).syncedEnd(), s.endOffset()) : 0;
                    rewriteUncertified(s, Math.max(certified, JournalFormat.HEADER_BLOCK_BYTES));
                } else if (s.id() > durableSegmentId) {
                    rewriteUncertified(s, JournalFormat.HEADER_BLOCK_BYTES);
                }
            }
            activate(active);
            if (durableSegmentId > recorded) {
                // the mark that said so was in a segment deleted above: say it again
                writeDurableMark(durableSegmentId);
                active.writer().datasync();
            }
        }
        for (Segment s : segments) {
            lastLsn = Math.max(lastLsn, Math.max(s.lastLsn(), s.baseLsn() - 1));
            nextSegmentId = Math.max(nextSegmentId, s.id() + 1);
        }
        long records = 0;
        for (Segment s : segments) {
            records += s.records();
        }
        RecoveryReport report = new RecoveryReport(segments.size(), records, droppedTail, tailReason, framesAfterCut,
                droppedSegments, listing.unfinished().size());
        if (droppedTail > 0 || framesAfterCut > 0 || droppedSegments > 0) {
            LOG.log(System.Logger.Level.WARNING, "wal4j recovery: {0} dir={1}", report, dir);
        }
        return report;
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
        FrameDecoder d = new FrameDecoder();
        for (long pos = from; pos < end; ) {
            long n = Math.min(readBuffer.byteSize(), end - pos);
            if (s.file().read(pos, readBuffer.asSlice(0, n)) != n) {
                throw new IOException("the frames of " + s.path() + " end at offset " + end + " but the file ends before "
                        + (pos + n) + " (cut under the journal?)");
            }
            long whole = 0; // the bytes of whole, valid frames at the start of the buffer
            int status = FrameDecoder.NEED_MORE;
            while (whole + JournalFormat.COMMON_HEADER_BYTES <= n) {
                status = d.decode(readBuffer, whole, n, s.salt());
                if (status != FrameDecoder.RECORD && status != FrameDecoder.SKIP) {
                    break;
                }
                whole += d.frameBytes();
            }
            boolean valid = status == FrameDecoder.RECORD || status == FrameDecoder.SKIP || status == FrameDecoder.NEED_MORE;
            if (valid && whole == 0 && n >= JournalFormat.COMMON_HEADER_BYTES && d.frameBytes() > readBuffer.byteSize()
                    && pos + d.frameBytes() <= end) {
                readBuffer = atLeast(readBuffer, d.frameBytes()); // a frame larger than the buffer
                continue;
            }
            if (!valid || whole == 0) {
                throw new IOException("two reads of " + s.path() + " disagree: the frame at offset " + (pos + whole)
                        + " was valid when recovery scanned it and is not now (frames end at " + end + "); a read fault,"
                        + " so open stopped before writing it back. Open again, or check the device");
            }
            s.file().write(pos, readBuffer.asSlice(0, whole));
            pos += whole;
        }
        s.file().datasync();
    }

    /**
     * The offsets of the SYNC_MARK frames among {@code s}'s valid frames in [from, to) that
     * speak of frames at or after {@code from}.
     */
    private List<Long> syncMarksAfter(Segment s, long from, long to) throws IOException {
        List<Long> marks = new ArrayList<>();
        FrameDecoder d = new FrameDecoder();
        long pos = from;
        while (pos + JournalFormat.COMMON_HEADER_BYTES <= to) {
            long n = s.file().read(pos, readBuffer.asSlice(0, Math.min(readBuffer.byteSize(), to - pos)));
            long i = 0;
            while (i + JournalFormat.COMMON_HEADER_BYTES <= n) {
                int status = d.decode(readBuffer, i, n, s.salt());
                if (status == FrameDecoder.NEED_MORE) {
                    break;
                }
                if (status != FrameDecoder.RECORD && status != FrameDecoder.SKIP) {
                    return marks; // the end of the frames
                }
                if (status == FrameDecoder.SKIP && d.type() == (JournalFormat.TYPE_SYNC_MARK & 0xFF) && d.syncedEnd() > from) {
                    marks.add(pos + i);
                }
                i += d.frameBytes();
            }
            if (i == 0) {
                if (n < JournalFormat.COMMON_HEADER_BYTES || d.frameBytes() <= 0) {
                    return marks;
                }
                i = d.frameBytes(); // a record larger than the read buffer: no mark inside it
            }
            pos += i;
        }
        return marks;
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
     */
    private void confirmEnd(Segment segment, long fileBytes, SegmentScanner.Result first) throws IOException {
        SegmentScanner.Result again = SegmentScanner.scan(segment.file(), fileBytes, segment.salt(), segment.baseLsn(),
                (chunk, at, fileOffset, d) -> { });
        if (again.endOffset() != first.endOffset() || again.lastLsn() != first.lastLsn() || again.end() != first.end()) {
            throw new IOException("two reads of " + segment.path() + " disagree: its frames ended at offset "
                    + first.endOffset() + " (" + first.end() + ", lastLsn=" + first.lastLsn() + "), then at "
                    + again.endOffset() + " (" + again.end() + ", lastLsn=" + again.lastLsn()
                    + "); a read fault, so nothing was cut. Open again, or check the device");
        }
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
        for (int j = doomed.size() - 1; j >= 0; j--) {
            Files.delete(doomed.get(j));
            io.syncDirectory(dir);
        }
        return doomed.size();
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
            long want = Math.min(readBuffer.byteSize(), alignUp(fileBytes - start, alignment));
            long got = f.read(start, readBuffer.asSlice(0, want));
            if (device == null && got > 0) {
                f.write(start, readBuffer.asSlice(0, got));
            }
            MemorySegment buf = readBuffer.asSlice(pos - start);
            long n = Math.max(0, Math.min(got, fileBytes - start) - (pos - start));
            long i = pos == from ? JournalFormat.FRAME_ALIGNMENT : 0; // the frame at the cut is the invalid one
            if (pos == from && segment.header().recycled()) {
                foundEnd = Math.max(foundEnd, from + ownTornFrameBytes(buf, n, fileBytes - from, lastGoodLsn));
            }
            while (i + JournalFormat.COMMON_HEADER_BYTES <= n) {
                int s = d.decode(buf, i, n, segment.salt());
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
                nonZeroEnd = pos + lastNonZero + 1;
            }
            pos += n;
            if (got < want) {
                break;
            }
        }
        if (device == null && pos > from) {
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
        boolean keepSize = preallocates() && fileBytes <= options.segmentBytes() + STAGING_ALIGNMENT;
        if (keepSize && tail.dirtyEnd <= tail.end) {
            return 0; // only the zeros it was filled with, or a recycled file's former contents
        }
        if (keepSize) {
            segment.file().zeroFill(tail.end, tail.dirtyEnd - tail.end);
        } else {
            segment.file().truncate(tail.end);
        }
        segment.file().datasync();
        return Math.max(tail.dirtyEnd - tail.end, 0);
    }

    /**
     * A DURABLE_MARK written ahead of a truncation lies this far past the end of the frames,
     * after zeros: no scan of the frames reaches it, recovery looks for it there, and a mark
     * written at the end of the frames does not touch it.
     */
    private static final long AHEAD_MARK_GAP = 32;

    /**
     * The segment id of a DURABLE_MARK of {@code segment} written ahead of a truncation at
     * {@code end} (the end of its frames), or 0. Only ids below the segment's own count: a mark
     * speaks of the segments before the one it is in.
     */
    private long markAhead(Segment segment, long end, long fileBytes) throws IOException {
        long at = end + AHEAD_MARK_GAP;
        if (end < JournalFormat.HEADER_BLOCK_BYTES || at + JournalFormat.MARK_FRAME_BYTES > fileBytes) {
            return 0;
        }
        MemorySegment buf = readBuffer.asSlice(0, JournalFormat.MARK_FRAME_BYTES);
        if (segment.file().read(at, buf) != JournalFormat.MARK_FRAME_BYTES) {
            return 0;
        }
        FrameDecoder d = new FrameDecoder();
        if (d.decode(buf, 0, JournalFormat.MARK_FRAME_BYTES, segment.salt()) == FrameDecoder.SKIP
                && d.type() == (JournalFormat.TYPE_DURABLE_MARK & 0xFF) && d.markSegmentId() < segment.id()) {
            return d.markSegmentId();
        }
        return 0;
    }

    /**
     * Writes a DURABLE_MARK saying every segment up to {@code segmentId} was synced at
     * {@code at} in {@code segment}, with zeros before it up to {@code zerosFrom}, through the
     * buffered descriptor (exactly those bytes: an O_DIRECT block write would rewrite what
     * else its block holds), and syncs it.
     */
    private void writeMarkAt(Segment segment, long zerosFrom, long at, long segmentId) throws IOException {
        long bytes = at - zerosFrom + JournalFormat.MARK_FRAME_BYTES;
        MemorySegment buf = markBuffer.asSlice(0, bytes);
        buf.fill((byte) 0);
        JournalFormat.encodeDurableMark(buf, at - zerosFrom, segment.salt(), segmentId, writeCrc);
        segment.file().write(zerosFrom, buf);
        segment.file().datasync();
    }

    /** Recovery: a DURABLE_MARK of {@code segmentId} at the end of {@code segment}'s frames, synced. */
    private void markDurableAtEnd(Segment segment, long segmentId) throws IOException {
        writeMarkAt(segment, segment.endOffset(), segment.endOffset(), segmentId);
        segment.skipped(JournalFormat.MARK_FRAME_BYTES);
    }

    // ---------------------------------------------------------------- append

    /**
     * Appends {@code value} with the next LSN, timestamp 0 and an empty key; returns the LSN
     * (in ALWAYS mode once the record is durable).
     *
     * @throws OutcomeUnknownException if a write or sync failed: the record may or may not be
     *     durable, and the journal has failed
     */
    public long append(byte[] value) throws IOException {
        return append(MemorySegment.ofArray(value));
    }

    /** Appends {@code value} (copied) with the next LSN; returns the LSN. See {@link #append(byte[])}. */
    public long append(MemorySegment value) throws IOException {
        lock.lock();
        try {
            awaitAppendGate();
            checkSizes(0, value.byteSize());
            long lsn = nextLsn();
            appendOrFail(lsn, 0, EMPTY, value);
            if (policy.mode() == SyncMode.ALWAYS) {
                awaitDurableAppend(lsn);
            }
            return lsn;
        } finally {
            unlockIfHeld();
        }
    }

    /**
     * Appends a record with the caller's LSN, which must be greater than the last (in ALWAYS
     * mode, returns once it is durable).
     *
     * @throws IllegalArgumentException if lsn is 0, negative or not greater than the last,
     *     timestamp is negative, or key, value or record exceed the limits (the values are in
     *     the message)
     * @throws OutcomeUnknownException if a write or sync failed: the record may or may not be
     *     durable, and the journal has failed
     */
    public void append(long lsn, long timestamp, byte[] key, byte[] value) throws IOException {
        append(lsn, timestamp, MemorySegment.ofArray(key), MemorySegment.ofArray(value));
    }

    /** As {@link #append(long, long, byte[], byte[])}, from memory segments (copied). */
    public void append(long lsn, long timestamp, MemorySegment key, MemorySegment value) throws IOException {
        lock.lock();
        try {
            awaitAppendGate();
            checkCallerLsn(lsn, timestamp, key, value);
            appendOrFail(lsn, timestamp, key, value);
            if (policy.mode() == SyncMode.ALWAYS) {
                awaitDurableAppend(lsn);
            }
        } finally {
            unlockIfHeld();
        }
    }

    /**
     * Appends {@code value} with the next LSN and returns at once (after the record is
     * encoded; a full staging buffer is written first). The future completes with the LSN
     * when the record is durable, in any sync mode: a background thread syncs, sharing one
     * fdatasync among every record appended meanwhile. It completes exceptionally with
     * {@link OutcomeUnknownException} if that write or sync failed, and with
     * {@link JournalClosedException} or {@link JournalFailedException} if the journal was
     * closed or had failed before the append.
     *
     * @throws IllegalArgumentException if the value exceeds the limits (thrown, not completed)
     */
    public CompletableFuture<Long> appendAsync(byte[] value) {
        return appendAsync(MemorySegment.ofArray(value));
    }

    /** As {@link #appendAsync(byte[])}, from a memory segment (copied). */
    public CompletableFuture<Long> appendAsync(MemorySegment value) {
        checkSizes(0, value.byteSize());
        return appendPending(true, 0, 0, EMPTY, value);
    }

    /**
     * As {@link #appendAsync(byte[])} with the caller's LSN, timestamp and key (the rules of
     * {@link #append(long, long, byte[], byte[])}); the future completes with {@code lsn}.
     */
    public CompletableFuture<Long> appendAsync(long lsn, long timestamp, byte[] key, byte[] value) {
        return appendPending(false, lsn, timestamp, MemorySegment.ofArray(key), MemorySegment.ofArray(value));
    }

    /** Appends (with the next LSN if {@code autoLsn}, else the caller's) and queues the future for the sync thread. */
    private CompletableFuture<Long> appendPending(boolean autoLsn, long lsn, long timestamp, MemorySegment key,
            MemorySegment value) {
        CompletableFuture<Long> future = new CompletableFuture<>();
        lock.lock();
        try {
            awaitAppendGate();
            if (autoLsn) {
                lsn = nextLsn();
            } else {
                checkCallerLsn(lsn, timestamp, key, value);
            }
            appendOrFail(lsn, timestamp, key, value);
            pending.add(new PendingAppend(lsn, future));
            updateSyncer();
        } catch (IOException e) {
            future.completeExceptionally(e);
        } finally {
            lock.unlock();
        }
        return future;
    }

    private void checkCallerLsn(long lsn, long timestamp, MemorySegment key, MemorySegment value) {
        if (lsn <= 0) {
            throw new IllegalArgumentException("lsn=" + lsn + " must be > 0");
        }
        if (lsn <= lastLsn) {
            throw new IllegalArgumentException("lsn=" + lsn + " must be greater than the last lsn=" + lastLsn);
        }
        checkTimestamp(timestamp);
        checkSizes(key.byteSize(), value.byteSize());
    }

    /** Appends the values with consecutive LSNs, as one write (and one sync in ALWAYS mode). */
    public LsnRange appendBatch(byte[]... values) throws IOException {
        return appendMany(values.length, new Records() {
            @Override
            public long timestamp(int i) {
                return 0;
            }

            @Override
            public MemorySegment key(int i) {
                return EMPTY;
            }

            @Override
            public MemorySegment value(int i) {
                return MemorySegment.ofArray(values[i]);
            }
        });
    }

    /**
     * Appends the batch's records with consecutive LSNs, as one write (and one sync in
     * ALWAYS mode). The batch is left as it was (reset it to reuse it).
     */
    public LsnRange appendBatch(Batch batch) throws IOException {
        return appendMany(batch.size(), batch);
    }

    /** Indexed access to the records of a batch. */
    interface Records {
        long timestamp(int i);

        MemorySegment key(int i);

        MemorySegment value(int i);
    }

    /** Every record is checked against the limits before any is appended. */
    private LsnRange appendMany(int count, Records records) throws IOException {
        if (count == 0) {
            throw new IllegalArgumentException("appendBatch needs at least one record");
        }
        lock.lock();
        try {
            awaitAppendGate();
            for (int i = 0; i < count; i++) {
                checkTimestamp(records.timestamp(i));
                checkSizes(records.key(i).byteSize(), records.value(i).byteSize());
            }
            long first = nextLsn();
            for (int i = 0; i < count; i++) {
                appendOrFail(nextLsn(), records.timestamp(i), records.key(i), records.value(i));
            }
            long last = lastLsn;
            if (policy.mode() == SyncMode.ALWAYS) {
                awaitDurableAppend(last);
            }
            return new LsnRange(first, last);
        } finally {
            unlockIfHeld();
        }
    }

    private long nextLsn() {
        return lastLsn < 0 ? 1 : lastLsn + 1;
    }

    /** Timestamps are the seeds' (gohacks: unix seconds, never negative). */
    private static void checkTimestamp(long timestamp) {
        if (timestamp < 0) {
            throw new IllegalArgumentException("timestamp=" + timestamp + " must be >= 0");
        }
    }

    private void checkSizes(long keyBytes, long valueBytes) {
        if (keyBytes > options.maxKeyBytes()) {
            throw new IllegalArgumentException("key too large: keyBytes=" + keyBytes + " maxKeyBytes=" + options.maxKeyBytes());
        }
        if (valueBytes > options.maxValueBytes()) {
            throw new IllegalArgumentException("value too large: valueBytes=" + valueBytes
                    + " maxValueBytes=" + options.maxValueBytes());
        }
        if (keyBytes + valueBytes > options.maxRecordBytes()) {
            throw new IllegalArgumentException("record too large: keyBytes + valueBytes=" + (keyBytes + valueBytes)
                    + " maxRecordBytes=" + options.maxRecordBytes());
        }
    }

    /** {@link #appendLocked}, failing the journal if its I/O fails: the record's outcome is then unknown. */
    private void appendOrFail(long lsn, long timestamp, MemorySegment key, MemorySegment value) throws IOException {
        try {
            appendLocked(lsn, timestamp, key, value);
        } catch (IOException e) {
            throw failed(e, lsn);
        }
    }

    /** Callers have checked the sizes (a batch checks all its records before appending any). */
    private void appendLocked(long lsn, long timestamp, MemorySegment key, MemorySegment value) throws IOException {
        long frameBytes = JournalFormat.recordFrameBytes(key.byteSize(), value.byteSize());
        Segment active = segments.isEmpty() ? null : segments.getLast();
        if (active == null) {
            active = createSegment(lsn, null);
        } else if (active.endOffset() + frameBytes > options.segmentBytes() && !active.isEmpty()) {
            active = rollover(lsn);
        }
        if (stagingUsed + frameBytes > staging.byteSize()) {
            flushStaging();
        }
        if (stagingUsed + frameBytes > staging.byteSize() && stagingUsed + frameBytes <= STAGING_GROWTH_LIMIT) {
            growStaging(stagingUsed + frameBytes);
        }
        if (stagingUsed + frameBytes > staging.byteSize()) {
            // larger than the staging buffer can grow: encoded in a buffer of its own, behind
            // the carried tail block (direct mode), and written at once
            try (Arena a = Arena.ofConfined()) {
                long total = stagingUsed + frameBytes;
                MemorySegment big = a.allocate(alignUp(total, writeAlignment), STAGING_ALIGNMENT);
                MemorySegment.copy(staging, 0, big, 0, stagingUsed);
                JournalFormat.encodeRecord(big, stagingUsed, active.salt(), lsn, timestamp, key, value, writeCrc);
                writeOut(big, total);
            }
        } else {
            JournalFormat.encodeRecord(staging, stagingUsed, active.salt(), lsn, timestamp, key, value, writeCrc);
            stagingUsed += frameBytes;
        }
        active.appended(lsn, frameBytes);
        lastLsn = lsn;
        if (unsyncedBytes == 0) {
            unsyncedSinceNanos = System.nanoTime();
            if (policy.mode() == SyncMode.INTERVAL) {
                syncerWake.signal(); // starts the time bound
            }
        }
        unsyncedBytes += frameBytes;
        if (policy.everyBytes() > 0 && unsyncedBytes >= policy.everyBytes() && unsyncedBytes - frameBytes < policy.everyBytes()) {
            syncerWake.signal();
        }
    }

    /**
     * Lock held, staging flushed (so no round is writing from either buffer): replaces both
     * staging buffers with ones of at least {@code bytes}, keeping the staged bytes. So records
     * larger than {@link JournalOptions#writeBufferBytes} but within {@link #STAGING_GROWTH_LIMIT}
     * are written by sync rounds, outside the lock, like small ones; the larger buffers stay
     * (two of them: at most twice the limit).
     */
    private void growStaging(long bytes) {
        long size = alignUp(bytes, STAGING_ALIGNMENT);
        MemorySegment grown = Arena.ofAuto().allocate(size, STAGING_ALIGNMENT);
        MemorySegment.copy(staging, 0, grown, 0, stagingUsed);
        staging = grown;
        sealedStaging = Arena.ofAuto().allocate(size, STAGING_ALIGNMENT);
    }

    /** Writes the staged frames not yet written, after the running round's write (so the file holds every appended frame). */
    private void flushStaging() throws IOException {
        awaitRoundWrite();
        if (stagingUsed > stagingWritten) {
            writeOut(staging, stagingUsed);
        }
    }

    /**
     * Writes {@code buf[0, used)}, which starts at file offset {@link #stagingOffset}, and
     * leaves staging ready for the next frame. Buffered: only the bytes not yet written go
     * out. Direct: everything from the first (aligned) byte through the zero-padded end of the
     * last block, and the last partial block stays at the start of staging to be written again
     * with the next frames: the same bytes before them, so whichever sectors of the rewrite
     * reach the disk, the frames written before are intact.
     */
    private void writeOut(MemorySegment buf, long used) throws IOException {
        awaitRoundWrite();
        segments.getLast().writer().write(writeOffset(), writeRegion(buf, used));
        advanceStaging(buf, used, staging);
    }

    /** Lock held: the file offset of {@link #writeRegion}. */
    private long writeOffset() {
        return writeAlignment > 1 ? stagingOffset : stagingOffset + stagingWritten;
    }

    /** Lock held: what of {@code buf[0, used)} is to be written (direct: zero-padded to whole blocks). */
    private MemorySegment writeRegion(MemorySegment buf, long used) {
        if (writeAlignment > 1) {
            long padded = alignUp(used, writeAlignment);
            buf.asSlice(used, padded - used).fill((byte) 0);
            return buf.asSlice(0, padded);
        }
        return buf.asSlice(stagingWritten, used - stagingWritten);
    }

    /**
     * Lock held, once {@code buf[0, used)} is written or handed to a round: staging goes on at
     * its end, in {@code next}; in direct mode the last partial block is carried to the start
     * of {@code next}, to be written again with the frames after it.
     */
    private void advanceStaging(MemorySegment buf, long used, MemorySegment next) {
        long keep = writeAlignment > 1 ? used % writeAlignment : 0;
        MemorySegment.copy(buf, used - keep, next, 0, keep);
        stagingOffset += used - keep;
        stagingUsed = keep;
        stagingWritten = keep;
    }

    /**
     * A sync round's write of the staged frames, made outside the lock. Whoever must write
     * the active segment under the lock meanwhile waits for it first ({@link #awaitRoundWrite}),
     * still holding the lock: the write needs no lock, and no two writes of the active segment
     * may be in flight at once (in direct mode both would write the carried block).
     */
    private static final class RoundWrite {
        final IoFile file;
        final long offset;
        final MemorySegment bytes;
        final CountDownLatch done = new CountDownLatch(1);
        volatile IOException error;

        RoundWrite(IoFile file, long offset, MemorySegment bytes) {
            this.file = file;
            this.offset = offset;
            this.bytes = bytes;
        }

        /** Outside the lock: writes, and says so to whoever waits; false if the write failed. */
        boolean run() {
            try {
                file.write(offset, bytes);
                return true;
            } catch (IOException e) {
                error = e;
                return false;
            } finally {
                done.countDown();
            }
        }
    }

    /** Lock held: hands the staged frames to a round's write and goes on staging in the other buffer. */
    private RoundWrite sealStaging() throws IOException {
        MemorySegment sealed = staging;
        long used = stagingUsed;
        RoundWrite w = new RoundWrite(segments.getLast().writer(), writeOffset(), writeRegion(sealed, used));
        advanceStaging(sealed, used, sealedStaging);
        staging = sealedStaging;
        sealedStaging = sealed;
        roundWrite = w;
        return w;
    }

    /**
     * Lock held: waits until the running round's fdatasync, if any, has returned. Two
     * fdatasyncs of one file at once would share its descriptor's writeback-error report: the
     * kernel hands an EIO to whichever checks first, and the other may return 0 for a write
     * that was lost (the crash-point exploration met this when a rollover synced the sealed
     * segment while a round synced it too). The round needs no lock to finish its sync.
     * If that fdatasync failed, so does this call, with its error: the kernel has reported the
     * lost writes to the round, and a sync of the same file now would return 0 for them (the
     * exploration met a rollover that went on to record a failed round's frames as durable in
     * the next segment's header, and recovery then refused the journal as damaged).
     */
    private void awaitRoundSync() throws IOException {
        RoundSync r = roundSync;
        awaitUninterruptibly(r.returned);
        Throwable e = r.error;
        if (e != null) {
            throw e instanceof IOException io ? io : new IOException("the sync round ended by " + e, e);
        }
    }

    /** One round's fdatasync: counted down when it returned, with what it threw. */
    private static final class RoundSync {
        static final RoundSync NONE = new RoundSync(0);
        final CountDownLatch returned;
        volatile Throwable error;

        RoundSync(int count) {
            returned = new CountDownLatch(count);
        }

        /** Publishes the outcome, then releases the waiters (idempotent). */
        void returned(Throwable e) {
            if (returned.getCount() > 0 && e != null && error == null) {
                error = e;
            }
            returned.countDown();
        }
    }

    /** Waits for {@code latch}, keeping an interrupt for the caller to see afterwards. */
    private static void awaitUninterruptibly(CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Lock held: waits until the running round's write, if any, has returned; its failure is this caller's too. */
    private void awaitRoundWrite() throws IOException {
        RoundWrite w = roundWrite;
        if (w == null) {
            return;
        }
        awaitUninterruptibly(w.done);
        roundWrite = null;
        if (w.error != null) {
            throw w.error;
        }
    }

    /**
     * Makes {@code s} the active segment: opens its O_DIRECT descriptor (direct mode) and
     * points staging at its end; in direct mode the partial block there is read back so that
     * the next write rewrites it whole.
     */
    private void activate(Segment s) throws IOException {
        activeSyncedEnd = 0;
        activeMarkedEnd = 0;
        activations++;
        if (writeAlignment > 1) {
            s.directWriter(io.open(s.path(), OpenFlag.WRITE, OpenFlag.DIRECT));
        }
        long end = s.endOffset();
        long keep = end % writeAlignment;
        stagingOffset = end - keep;
        stagingUsed = keep;
        stagingWritten = keep;
        if (keep > 0 && s.file().read(stagingOffset, staging.asSlice(0, keep)) != keep) {
            throw new CorruptionException(s.path(), stagingOffset, s.lastLsn(), "the block holding the last frame is shorter than "
                    + keep + " bytes (the file was cut under the journal)");
        }
    }

    /**
     * Seals the active segment and starts the next one at {@code baseLsn}. Only in ALWAYS
     * mode are the sealed frames synced now (so the next header records them durable); in the
     * other modes the next sync round does it and records it with a DURABLE_MARK.
     */
    private Segment rollover(long baseLsn) throws IOException {
        flushStaging();
        Segment sealed = segments.getLast();
        if (policy.mode() == SyncMode.ALWAYS) {
            syncSealed(sealed);
        }
        return createSegment(baseLsn, sealed);
    }

    /**
     * Syncs every sealed segment not yet synced, up to and including {@code through}, through
     * the descriptor that wrote it (a writeback error is reported to the descriptors open when
     * it happened), then closes its O_DIRECT descriptor.
     */
    private void syncSealed(Segment through) throws IOException {
        awaitRoundSync();
        for (Segment s : segments) {
            if (s.id() > through.id()) {
                break;
            }
            if (s.id() > durableSegmentId) {
                s.writer().datasync();
            }
            if (s != segments.getLast()) {
                s.directWriter(null);
            }
        }
        durableSegmentId = Math.max(durableSegmentId, through.id());
    }

    /**
     * Lock held, a round about to seal its frames: if an earlier round made more of the active
     * segment durable than the last SYNC_MARK says, a SYNC_MARK saying so goes at the end of
     * this round's frames (24 bytes a round; none if staging is full). Recovery then knows that
     * an invalid frame before that offset is damage to durable data, not a torn tail, as long
     * as a later round's mark survives.
     */
    private void stageSyncMark(Segment active) {
        if (activeSyncedEnd > activeMarkedEnd && activeSyncedEnd > JournalFormat.HEADER_BLOCK_BYTES
                && stagingUsed + JournalFormat.MARK_FRAME_BYTES <= staging.byteSize()) {
            stagingUsed += JournalFormat.encodeSyncMark(staging, stagingUsed, active.salt(), activeSyncedEnd, writeCrc);
            active.skipped(JournalFormat.MARK_FRAME_BYTES);
            activeMarkedEnd = activeSyncedEnd;
        }
    }

    /**
     * Appends a DURABLE_MARK frame saying every segment up to {@code segmentId} is synced, and
     * writes it (the caller syncs the active segment).
     */
    private void writeDurableMark(long segmentId) throws IOException {
        if (stagingUsed + JournalFormat.MARK_FRAME_BYTES > staging.byteSize()) {
            flushStaging();
        }
        Segment active = segments.getLast();
        stagingUsed += JournalFormat.encodeDurableMark(staging, stagingUsed, active.salt(), segmentId, writeCrc);
        active.skipped(JournalFormat.MARK_FRAME_BYTES);
        flushStaging();
    }

    /**
     * Creates a segment and makes it active: header written and synced into a zero-filled
     * spare (or a new .tmp file), renamed into place, the directory synced. Only then may
     * records go into it, and only then does its header's record of the predecessor
     * (endOffset, lastLsn) exist.
     */
    private Segment createSegment(long baseLsn, Segment prev) throws IOException {
        Path path = dir.resolve(SegmentFiles.name(baseLsn));
        Recycled reuse = recycled.pollFirst();
        int salt = SALTS.nextInt();
        while (reuse != null && salt == reuse.formerSalt()) {
            salt = SALTS.nextInt(); // the former frames must not pass this segment's CRCs
        }
        JournalFormat.SegmentHeader h = new JournalFormat.SegmentHeader(nextSegmentId, baseLsn, salt,
                reuse != null ? JournalFormat.FLAG_RECYCLED : 0,
                prev == null ? 0 : prev.id(), prev == null ? 0 : Math.max(prev.lastLsn(), 0),
                prev == null ? 0 : prev.endOffset(), System.currentTimeMillis(), durableSegmentId);
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
        activate(s);
        startPreparer();
        return s;
    }

    // ---------------------------------------------------------------- spare segments

    /** Lock held: starts the thread that prepares the next segment, if segments are preallocated and it is not running. */
    private void startPreparer() {
        if (preallocates() && preparer == null && !closed && !spareFailed) {
            preparer = Thread.ofPlatform().name(PREPARE_THREAD_PREFIX + dir).daemon(true).unstarted(this::runPreparer);
            preparer.start();
        }
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
                    while (!closed && spareReady) {
                        preparerWake.awaitUninterruptibly();
                    }
                    if (closed) {
                        return;
                    }
                } finally {
                    lock.unlock();
                }
                try (IoFile f = openSpare(spare)) {
                    for (long done = 0; done < options.segmentBytes() && !closed; done += chunk) {
                        f.write(done, zeros.asSlice(0, Math.min(chunk, options.segmentBytes() - done)));
                    }
                    f.datasync();
                }
                io.syncDirectory(dir);
                lock.lock();
                try {
                    spareReady = !closed;
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
            if (f.isDirect() && STAGING_ALIGNMENT % f.directAlignment() == 0) {
                return f;
            }
            f.close();
        } catch (IOException refused) {
            // O_DIRECT refused here (tmpfs, for one): buffered below
        }
        return io.open(spare, options.fileMode(), OpenFlag.WRITE, OpenFlag.CREATE, OpenFlag.TRUNCATE);
    }

    // ---------------------------------------------------------------- durability

    /**
     * The durable watermark: every record with an LSN up to it is durable (its write and an
     * fdatasync after it returned 0); -1 before the first. Never ahead of {@link #lastLsn()};
     * lowered by {@link #truncateBack}. Read without the lock.
     */
    public long durableLsn() {
        return durableLsn;
    }

    /** The sync policy in force. */
    public SyncPolicy policy() {
        lock.lock();
        try {
            return policy;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Changes the sync policy at run time. INTERVAL starts the background sync thread;
     * leaving INTERVAL stops it once no asynchronous append waits on it. Records appended
     * before keep the promise they were appended under (an ALWAYS append has returned
     * durable; others become durable at the next sync).
     */
    public void setPolicy(SyncPolicy newPolicy) throws IOException {
        java.util.Objects.requireNonNull(newPolicy, "policy");
        lock.lock();
        try {
            checkOpen();
            policy = newPolicy;
            updateSyncer();
        } finally {
            lock.unlock();
        }
    }

    /** Makes every record appended so far durable (joins a sync round in progress, or leads one). */
    public void sync() throws IOException {
        lock.lock();
        try {
            checkOpen();
            awaitDurableLocked(lastLsn);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Lock held. Returns once every record up to {@code lsn} is durable. Group commit: if no
     * sync round is running, this thread leads one for everything appended so far; if one is
     * running, it waits for it (the records appended meanwhile form the next round, led by one
     * of their appenders). No timer: a round closes when its leader starts it.
     */
    private void awaitDurableLocked(long lsn) throws IOException {
        long epoch = truncations;
        while (durableLsn < lsn && truncations == epoch) {
            if (failStop.hasFailed()) {
                throw new OutcomeUnknownException(dir, durableLsn + 1, lsn, failStop.failure());
            }
            if (syncing) {
                roundDone.awaitUninterruptibly();
            } else {
                syncRound();
            }
        }
    }

    /**
     * As {@link #awaitDurableLocked}, for an appender holding the lock once: a follower waits
     * parked, without the lock, and the round's leader wakes it directly; it returns without
     * taking the lock again (leaving it released). So the appenders a round made durable do
     * not queue for the lock one after another on their way out; on a machine of few cores,
     * where waking a thread costs tens of microseconds, that queue took longer than the
     * fdatasync they shared. With {@link JournalOptions.Builder#followerSpin} a follower
     * yields in a loop for a while before parking, which keeps the cores from idling (an idle
     * virtual CPU wakes slowly) at the price of CPU time.
     */
    private void awaitDurableAppend(long lsn) throws IOException {
        if (lock.getHoldCount() != 1) {
            awaitDurableLocked(lsn);
            return;
        }
        long epoch = truncations;
        while (durableLsn < lsn && truncations == epoch) {
            if (failStop.hasFailed()) {
                throw new OutcomeUnknownException(dir, durableLsn + 1, lsn, failStop.failure());
            }
            if (!syncing) {
                syncRound(); // lead
                continue;
            }
            Waiter w = new Waiter(lsn, Thread.currentThread());
            waiters.add(w);
            lock.unlock();
            long spinUntil = System.nanoTime() + followerSpinNanos;
            while (!w.woken && followerSpinNanos > 0 && System.nanoTime() < spinUntil) {
                Thread.yield();
            }
            while (!w.woken) {
                LockSupport.park(this);
            }
            if (w.durable) {
                return; // (durableLsn may be lower again by now: a truncation after the round)
            }
            lock.lock(); // woken to lead the next round, or the journal failed
        }
    }

    /** A parked appender (see {@link #awaitDurableAppend}). */
    private static final class Waiter {
        final long lsn;
        final Thread thread;
        /** Set before {@link #woken}: the round made this waiter's record durable. */
        volatile boolean durable;
        volatile boolean woken;

        Waiter(long lsn, Thread thread) {
            this.lsn = lsn;
            this.thread = thread;
        }

        void wake(boolean recordDurable) {
            durable = recordDurable;
            woken = true;
            LockSupport.unpark(thread);
        }
    }

    /**
     * Lock held, after a round or a failure: wakes every parked appender whose record is now
     * durable, every one if the journal failed, and the first of the others, to lead the round
     * their records need.
     */
    private void wakeWaiters() {
        if (!failStop.hasFailed()) {
            for (java.util.Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
                Waiter w = it.next();
                if (w.lsn > durableLsn) { // the next leader first: the disk idles until it runs
                    it.remove();
                    w.wake(false);
                    break;
                }
            }
        }
        for (java.util.Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
            Waiter w = it.next();
            if (w.lsn <= durableLsn || failStop.hasFailed()) {
                it.remove();
                w.wake(w.lsn <= durableLsn);
            }
        }
    }

    private void unlockIfHeld() {
        if (lock.isHeldByCurrentThread()) {
            lock.unlock();
        }
    }

    /**
     * Lock held, no round running. Writes what is staged and syncs it: sealed segments not yet
     * synced first (under the lock, with a DURABLE_MARK saying so); then, outside the lock, the
     * active segment's staged frames are written from one staging buffer while appenders fill
     * the other, and fdatasync'd. So appenders stage the next round during the whole round:
     * with O_DIRECT the write takes as long as the fdatasync.
     */
    private void syncRound() throws IOException {
        long target = lastLsn;
        IoFile activeWriter;
        Segment roundSegment;
        long roundEnd;
        long roundActivation;
        RoundWrite write = null;
        try {
            if (segments.isEmpty()) {
                durableLsn = Math.max(durableLsn, target);
                wakeWaiters();
                return;
            }
            if (segments.size() > 1) {
                Segment lastSealed = segments.get(segments.size() - 2);
                if (lastSealed.id() > durableSegmentId) {
                    syncSealed(lastSealed);
                    writeDurableMark(lastSealed.id());
                }
            }
            awaitRoundWrite();
            roundSegment = segments.getLast();
            activeWriter = roundSegment.writer();
            if (stagingUsed > stagingWritten) {
                stageSyncMark(roundSegment);
                write = sealStaging();
            }
            roundEnd = roundSegment.endOffset();
            roundActivation = activations;
        } catch (IOException e) {
            throw failed(e, target);
        } catch (RuntimeException | Error unexpected) {
            fail(new IOException("sync round ended by " + unexpected, unexpected)); // wakes the appenders waiting for this round
            throw unexpected;
        }
        syncing = true;
        RoundSync synced = new RoundSync(1);
        roundSync = synced;
        unsyncedBytes = 0;
        IOException error = null;
        lock.unlock();
        try {
            if (write == null || write.run()) {
                activeWriter.datasync();
            } else {
                error = write.error;
            }
        } catch (IOException e) {
            error = e;
        } catch (RuntimeException | Error unexpected) {
            // Not an I/O error, but the round's outcome is as unknown: fail the journal so that
            // the appenders parked on this round are woken (they would wait for ever), then go on.
            synced.returned(unexpected); // first: a rollover may hold the lock while it waits for this
            lock.lock();
            try {
                fail(new IOException("sync round ended by " + unexpected, unexpected));
            } finally {
                lock.unlock();
            }
            throw unexpected;
        } finally {
            synced.returned(error);
            lock.lock();
            if (roundWrite == write) {
                roundWrite = null;
            }
            syncing = false;
            roundDone.signalAll();
        }
        if (error != null) {
            throw failed(error, target);
        }
        if (failStop.hasFailed()) { // something else failed meanwhile: this fdatasync's 0 is not trusted
            throw new OutcomeUnknownException(dir, durableLsn + 1, Math.max(target, durableLsn + 1), failStop.failure());
        }
        if (target > durableLsn) {
            durableLsn = target;
        }
        if (activations == roundActivation) { // the round's segment is still active, and was not cut back
            activeSyncedEnd = Math.max(activeSyncedEnd, roundEnd);
        }
        wakeWaiters();
        if (!pending.isEmpty()) {
            syncerWake.signal();
        }
    }

    /** Lock held: starts the background sync thread if INTERVAL or an asynchronous append needs it, and wakes it. */
    private void updateSyncer() {
        boolean wanted = policy.mode() == SyncMode.INTERVAL || !pending.isEmpty();
        if (wanted && syncer == null && !closed) {
            syncer = Thread.ofPlatform().name(SYNC_THREAD_PREFIX + dir).daemon(true).unstarted(this::runSyncer);
            syncer.start();
        }
        syncerWake.signal();
    }

    /**
     * The background sync thread: completes asynchronous appends once durable (leading the
     * sync rounds they need), and in INTERVAL mode syncs when a bound is reached. Futures are
     * completed outside the lock, so their callbacks may call the journal. It ends itself when
     * there is nothing left for it, and at close.
     */
    private void runSyncer() {
        List<PendingAppend> done = new ArrayList<>();
        lock.lock();
        try {
            while (true) {
                while (!pending.isEmpty() && (failStop.hasFailed() || pending.peekFirst().lsn() <= durableLsn)) {
                    done.add(pending.pollFirst());
                }
                if (!done.isEmpty()) {
                    IOException f = failStop.failure();
                    long durable = durableLsn;
                    lock.unlock();
                    try {
                        complete(done, durable, f);
                    } finally {
                        lock.lock();
                    }
                    done.clear();
                    continue;
                }
                if (!failStop.hasFailed() && lastLsn > durableLsn && (!pending.isEmpty() || syncDue())) {
                    try {
                        awaitDurableLocked(lastLsn);
                    } catch (IOException e) {
                        // the journal has failed; the pending appends learn it above
                    }
                    continue;
                }
                if (closed || failStop.hasFailed() || (policy.mode() != SyncMode.INTERVAL && pending.isEmpty())) {
                    return;
                }
                long waitNanos = nanosUntilDue();
                try {
                    if (waitNanos == Long.MAX_VALUE) {
                        syncerWake.await();
                    } else {
                        syncerWake.awaitNanos(waitNanos);
                    }
                } catch (InterruptedException e) {
                    LOG.log(System.Logger.Level.WARNING, "{0} was interrupted; it goes on (close() stops it)",
                            Thread.currentThread().getName());
                }
            }
        } finally {
            syncer = null;
            lock.unlock();
        }
    }

    private void complete(List<PendingAppend> done, long durable, IOException failure) {
        for (PendingAppend p : done) {
            if (p.lsn() <= durable) {
                p.future().complete(p.lsn());
            } else {
                p.future().completeExceptionally(new OutcomeUnknownException(dir, p.lsn(), p.lsn(), failure));
            }
        }
    }

    /** Lock held: whether an INTERVAL bound has been reached. */
    private boolean syncDue() {
        return policy.mode() == SyncMode.INTERVAL && unsyncedBytes > 0 && nanosUntilDue() <= 0;
    }

    /** Lock held: how long until an INTERVAL bound is reached; MAX_VALUE when nothing is unsynced or no time bound is set. */
    private long nanosUntilDue() {
        if (unsyncedBytes == 0 || lastLsn <= durableLsn) {
            return Long.MAX_VALUE;
        }
        if (policy.everyBytes() > 0 && unsyncedBytes >= policy.everyBytes()) {
            return 0;
        }
        if (policy.every().isZero()) {
            return Long.MAX_VALUE;
        }
        return Math.max(0, unsyncedSinceNanos + policy.every().toNanos() - System.nanoTime());
    }

    private record PendingAppend(long lsn, CompletableFuture<Long> future) {}

    private boolean preallocates() {
        return options.preallocate() && options.segmentBytes() > JournalFormat.HEADER_BLOCK_BYTES;
    }

    /** Whether writes go through O_DIRECT ({@link JournalOptions.Builder#direct}; false after a fallback). */
    public boolean isDirect() {
        return writeAlignment > 1;
    }

    // ---------------------------------------------------------------- close

    /**
     * Writes and syncs what is staged, stops the journal's threads (waiting for them), and
     * closes every file; idempotent. From the moment close starts, new calls fail with
     * {@link JournalClosedException} (an append racing close either gets that exception or is
     * made durable by the close before close returns: never both, never neither).
     * Asynchronous appends still pending complete first. A close that returns normally means
     * every record whose append returned is durable. A close called while another is running
     * waits for it.
     *
     * <p>A journal that had failed is closed all the same (threads stopped, files closed, the
     * lock released), syncing nothing, and then this throws {@link JournalFailedException}
     * with the first failure: what was appended after {@link #durableLsn()} may be lost, and a
     * quiet close would say otherwise to a caller who never saw the failure (an INTERVAL
     * journal's sync thread may have met it). A second close returns quietly.
     *
     * @throws OutcomeUnknownException if the final write or sync failed
     * @throws JournalFailedException if the journal had failed before
     */
    @Override
    public void close() throws IOException {
        lock.lock();
        try {
            if (closing) {
                while (!released) {
                    closeDone.awaitUninterruptibly();
                }
                return;
            }
            closing = true; // no append starts from here on: lastLsn stays where it is
            appendGate.signalAll();
        } finally {
            lock.unlock();
        }
        IOException first = null;
        try {
            first = makeAppendedDurable();
        } finally { // whatever ended the sync (an Error too), everything is released
            IOException released = release();
            if (first == null) {
                first = released;
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /**
     * Close, first part: makes every record appended so far durable (those of appenders staged
     * before close began too); returns what failed, or the failure the journal had.
     */
    private IOException makeAppendedDurable() {
        lock.lock();
        try {
            if (failStop.hasFailed()) { // nothing written since the last good sync can be trusted: no sync now
                return new JournalFailedException(dir, failStop.failure());
            }
            while (durableLsn < lastLsn || syncing) {
                if (failStop.hasFailed()) {
                    throw new OutcomeUnknownException(dir, durableLsn + 1, lastLsn, failStop.failure());
                }
                if (syncing) {
                    roundDone.awaitUninterruptibly();
                } else {
                    syncRound();
                }
            }
            return null;
        } catch (IOException e) {
            return e;
        } finally {
            lock.unlock();
        }
    }

    /** Close, second part: stops the threads, closes the files, deletes the spares, releases the lock; returns the first error. */
    private IOException release() {
        IOException first = null;
        List<Thread> threads = new ArrayList<>();
        lock.lock();
        try {
            while (syncing) {
                roundDone.awaitUninterruptibly();
            }
            closed = true;
            syncerWake.signalAll();
            preparerWake.signalAll();
            if (syncer != null) {
                threads.add(syncer);
            }
            if (preparer != null) {
                threads.add(preparer);
            }
        } finally {
            lock.unlock();
        }
        for (Thread t : threads) {
            joinUninterruptibly(t);
        }
        lock.lock();
        try {
            for (Segment s : segments) {
                try {
                    s.close();
                } catch (IOException e) {
                    first = first == null ? e : first;
                }
            }
            arena.close();
            List<Path> spares = new ArrayList<>();
            spares.add(dir.resolve(SegmentFiles.SPARE));
            recycled.forEach(r -> spares.add(r.path()));
            recycled.clear();
            for (Path spare : spares) {
                try {
                    Files.deleteIfExists(spare); // a crash before this: open deletes it
                } catch (IOException e) {
                    LOG.log(System.Logger.Level.WARNING, "wal4j: could not delete a spare segment: " + spare, e);
                }
            }
            try {
                ownerLock.close();
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        } finally {
            released = true;
            closeDone.signalAll();
            lock.unlock();
        }
        return first;
    }

    private static void joinUninterruptibly(Thread t) {
        if (t == Thread.currentThread()) {
            return; // close() called from a future's callback on the sync thread: it ends on its own
        }
        boolean interrupted = false;
        while (t.isAlive()) {
            try {
                t.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void checkOpen() throws IOException {
        if (closing) {
            throw new JournalClosedException(dir);
        }
        if (failStop.hasFailed()) {
            throw new JournalFailedException(dir, failStop.failure());
        }
    }

    /**
     * Lock held, at the start of an append: waits while a truncation or reset waits for the
     * journal to be quiet or runs, then checks the journal is open.
     */
    private void awaitAppendGate() throws IOException {
        while (quiescing > 0 && !closing && !failStop.hasFailed()) {
            appendGate.awaitUninterruptibly();
        }
        checkOpen();
    }

    /**
     * Lock held: holds new appends out ({@link #awaitAppendGate}) and returns once every
     * record appended is durable and no sync round runs, with the lock held; the caller then
     * changes the segments and calls {@link #endQuiet}. Records staged meanwhile by appenders
     * that passed the gate before are made durable here too, so none is left staged in a
     * segment about to be cut or sealed.
     */
    private void beginQuiet() throws IOException {
        quiescing++;
        try {
            while (syncing || durableLsn < lastLsn) {
                if (failStop.hasFailed()) {
                    throw new OutcomeUnknownException(dir, durableLsn + 1, lastLsn, failStop.failure());
                }
                if (syncing) {
                    roundDone.awaitUninterruptibly();
                } else {
                    syncRound();
                }
            }
            checkOpen();
        } catch (IOException | RuntimeException | Error e) {
            endQuiet();
            throw e;
        }
    }

    /** Lock held: lets appends in again after {@link #beginQuiet}. */
    private void endQuiet() {
        if (--quiescing == 0) {
            appendGate.signalAll();
        }
    }

    /**
     * Lock held: records the first failure of a write, sync, truncation or deletion, and wakes
     * every thread that waits on the journal, to learn it; returns {@code e} to throw.
     */
    private IOException fail(IOException e) {
        if (failStop.fail(e)) {
            roundDone.signalAll();
            syncerWake.signalAll();
            appendGate.signalAll();
            wakeWaiters();
        }
        return e;
    }

    /**
     * Fails the journal on {@code e} and returns what the caller whose records up to
     * {@code lsn} were in flight is told: their outcome is unknown.
     */
    private OutcomeUnknownException failed(IOException e, long lsn) {
        fail(e);
        return new OutcomeUnknownException(dir, durableLsn + 1, Math.max(lsn, durableLsn + 1), e);
    }

    // ---------------------------------------------------------------- read

    /** The first record's LSN, or -1 if the journal is empty. */
    public long firstLsn() throws IOException {
        lock.lock();
        try {
            checkOpen();
            for (Segment s : segments) {
                if (!s.isEmpty()) {
                    return loaded(s).firstLsn();
                }
            }
            return -1;
        } finally {
            lock.unlock();
        }
    }

    /** The last record's LSN, or -1 if the journal is empty. */
    public long lastLsn() throws IOException {
        lock.lock();
        try {
            checkOpen();
            for (int i = segments.size() - 1; i >= 0; i--) {
                if (!segments.get(i).isEmpty()) {
                    return segments.get(i).lastLsn();
                }
            }
            return -1;
        } finally {
            lock.unlock();
        }
    }

    /** What {@link #open} found and did. */
    public RecoveryReport recoveryReport() {
        return recoveryReport;
    }

    /** The I/O backend in use: {@code "posix"} or {@code "java"}. */
    public String ioBackend() {
        return io.name();
    }

    /**
     * Reads the record {@code lsn}.
     *
     * @throws IllegalArgumentException if lsn <= 0
     * @throws LsnNotFoundException if there is no such record
     */
    public JournalRecord read(long lsn) throws IOException {
        lock.lock();
        try {
            locate(lsn);
            MemorySegment buf = located;
            byte[] key = buf.asSlice(decoder.keyOffset(), decoder.keyLength()).toArray(ValueLayout.JAVA_BYTE);
            byte[] value = buf.asSlice(decoder.valueOffset(), decoder.valueLength()).toArray(ValueLayout.JAVA_BYTE);
            return new JournalRecord(lsn, decoder.timestamp(), key, value);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Copies the value of record {@code lsn} into {@code dst} and returns its length; no
     * allocation.
     *
     * @throws IllegalArgumentException if dst is smaller than the value (both lengths named)
     */
    public long readInto(long lsn, MemorySegment dst) throws IOException {
        lock.lock();
        try {
            locate(lsn);
            long n = decoder.valueLength();
            if (dst.byteSize() < n) {
                throw new IllegalArgumentException("dst bytes=" + dst.byteSize() + " < value bytes=" + n + " lsn=" + lsn);
            }
            MemorySegment.copy(located, decoder.valueOffset(), dst, 0, n);
            return n;
        } finally {
            lock.unlock();
        }
    }

    /** As {@link #readInto(long, MemorySegment)} into a byte array. */
    public int readInto(long lsn, byte[] dst) throws IOException {
        return (int) readInto(lsn, MemorySegment.ofArray(dst));
    }

    /**
     * Finds {@code lsn} and leaves its frame decoded in {@link #decoder} over {@link #located};
     * returns the frame's file offset.
     */
    private long locate(long lsn) throws IOException {
        checkOpen();
        if (lsn <= 0) {
            throw new IllegalArgumentException("lsn=" + lsn + " must be > 0");
        }
        Segment segment = segmentFor(lsn);
        if (segment == null) {
            throw notFound(lsn);
        }
        loaded(segment);
        if ((stagingUsed > stagingWritten || roundWrite != null) && segment == segments.getLast()) {
            try {
                flushStaging(); // read-your-writes: staged frames go to the page cache first
            } catch (IOException e) {
                throw fail(e);
            }
        }
        long offset = segment.index().floorOffset(lsn);
        if (offset < 0) {
            offset = JournalFormat.HEADER_BLOCK_BYTES;
        }
        long end = segment.endOffset();
        // Exactly the frame when the index knows where it and the next one start; larger
        // sequential reads when frames must be stepped over.
        long chunk = SCAN_READ_BYTES;
        if (segment.index().exactOffset(lsn) >= 0) {
            long next = segment.index().nextOffset(lsn);
            chunk = (next >= 0 ? next : end) - offset;
            // Sealed and preallocated segments are read through a mapping: no system call. A
            // growing active file is not (it would be mapped again after every append).
            MemorySegment map = segment != segments.getLast() || segment.reserved() ? segment.mapping(end) : null;
            if (map != null && decoder.decode(map, segment.mappingView(), offset, end, segment.salt()) == FrameDecoder.RECORD
                    && decoder.lsn() == lsn) {
                located = map;
                return offset;
            } // anything else: the read below finds it or says precisely what is wrong
        }
        while (offset < end) {
            long want = Math.min(Math.min(chunk, readBuffer.byteSize()), end - offset);
            long n = segment.file().read(offset, readBuffer.asSlice(0, want));
            long pos = 0;
            while (pos < n) {
                int status = decoder.decode(readBuffer, pos, n, segment.salt());
                if (status == FrameDecoder.NEED_MORE) {
                    if (pos == 0) {
                        chunk = Math.max(chunk, decoder.frameBytes() + JournalFormat.COMMON_HEADER_BYTES);
                    }
                    break;
                }
                if (status == FrameDecoder.SKIP) {
                    pos += decoder.frameBytes();
                    continue;
                }
                if (status != FrameDecoder.RECORD) {
                    throw new CorruptionException(segment.path(), offset + pos, -1,
                            "unreadable frame while looking for lsn=" + lsn + ": " + decoder.reason());
                }
                if (decoder.lsn() == lsn) {
                    if (pos > 0) { // keep the frame at the buffer's start for the caller
                        MemorySegment.copy(readBuffer, pos, readBuffer, 0, decoder.frameBytes());
                        decoder.decode(readBuffer, 0, decoder.frameBytes(), segment.salt());
                    }
                    located = readBuffer;
                    return offset + pos;
                }
                if (decoder.lsn() > lsn) {
                    throw notFound(lsn);
                }
                pos += decoder.frameBytes();
            }
            if (pos == 0) {
                if (offset + want >= end || n < want) {
                    throw new CorruptionException(segment.path(), offset, -1,
                            "a frame of " + decoder.frameBytes() + " bytes runs past the segment's end");
                }
                if (decoder.frameBytes() > readBuffer.byteSize()) {
                    readBuffer = atLeast(readBuffer, decoder.frameBytes()); // written under larger limits
                }
            }
            offset += pos;
        }
        throw notFound(lsn);
    }

    private Segment segmentFor(long lsn) {
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

    /**
     * Scans a sealed segment that open did not read (its header chain named it durable) and
     * checks it ends where its successor recorded. Damage is corruption of durable data.
     */
    private Segment loaded(Segment s) throws IOException {
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

    private LsnNotFoundException notFound(long lsn) {
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

    // ---------------------------------------------------------------- replay

    /**
     * Calls {@code callback} for every record with LSN >= {@code fromLsn}, in LSN order, up to
     * the last record appended when the replay started. Reads in 1 MiB sequential chunks.
     * Appends may run meanwhile; they are not seen. A truncation that removes records this
     * replay still has to deliver ends it with an {@link IOException} saying so. Returns the
     * number of records replayed.
     */
    public long replay(long fromLsn, ReplayCallback callback) throws Exception {
        RecordCursor cursor = new RecordCursor(fromLsn);
        long count = 0;
        while (cursor.next()) {
            callback.accept(cursor.view);
            count++;
        }
        return count;
    }

    /**
     * An iterator over the records with LSN >= {@code fromLsn}, up to the last record appended
     * when it was created; the same snapshot, chunked reads and truncation rule as
     * {@link #replay}. Each record is copied onto the heap. I/O errors surface as
     * {@link java.io.UncheckedIOException}.
     */
    public java.util.Iterator<JournalRecord> iterator(long fromLsn) throws IOException {
        RecordCursor cursor = new RecordCursor(fromLsn);
        return new java.util.Iterator<>() {
            private Boolean ready;

            @Override
            public boolean hasNext() {
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
                    throw new java.util.NoSuchElementException("no record after lsn=" + cursor.view.lsn);
                }
                ready = null;
                RecordView v = cursor.view;
                return new JournalRecord(v.lsn, v.timestamp, v.keyBytes(), v.valueBytes());
            }
        };
    }

    /**
     * Walks a snapshot of the journal in large sequential reads, one record at a time. Each
     * read happens under the journal's lock, so no file is closed or cut under it; decoding
     * and the caller's work happen outside it.
     */
    private final class RecordCursor {
        private final long fromLsn;
        /** The last LSN of the snapshot: no record above it is delivered. */
        private final long snapshotLastLsn;
        /** The lowest LSN a truncation since the snapshot kept everything up to (removed all above); MAX_VALUE if none. */
        private volatile long removedAbove = Long.MAX_VALUE;
        /** The last LSN delivered (fromLsn - 1 before the first). */
        private long delivered;
        private final List<Segment> snapshot;
        private final long[] ends;
        private final RecordView view = new RecordView();
        private final FrameDecoder d = new FrameDecoder();
        private MemorySegment buf = Arena.ofAuto().allocate(READ_CHUNK_BYTES, 4096);
        private MemorySegment readOnlyBuf = buf.asReadOnly();
        private int segmentIndex = -1;
        private Segment segment;
        private long offset;      // file offset of buf[0]
        private long bytes;       // bytes in buf
        private long want;        // bytes asked for in the last read
        private long pos;         // next frame in buf

        RecordCursor(long fromLsn) throws IOException {
            this.fromLsn = fromLsn;
            this.delivered = fromLsn - 1;
            lock.lock();
            try {
                checkOpen();
                try {
                    flushStaging();
                } catch (IOException e) {
                    throw fail(e);
                }
                snapshotLastLsn = lastLsn;
                cursors.add(this);
                snapshot = new ArrayList<>(segments);
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
                throw new IOException("records this replay had to deliver were truncated away during it: every record "
                        + "above lsn=" + cut + " was removed, and this replay had delivered up to lsn=" + delivered
                        + " of the " + snapshotLastLsn + " it started with: dir=" + dir);
            }
        }

        private void finished() {
            lock.lock();
            try {
                cursors.remove(this);
            } finally {
                lock.unlock();
            }
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
                if (pos >= bytes && !refill()) {
                    segment = null;
                    continue;
                }
                int status = d.decode(buf, pos, bytes, segment.salt());
                if (status == FrameDecoder.NEED_MORE) {
                    if (pos == 0 && (bytes < want || d.frameBytes() <= buf.byteSize())) {
                        throw new CorruptionException(segment.path(), offset, -1, "a frame of " + d.frameBytes()
                                + " bytes runs past the segment's end");
                    }
                    if (pos == 0) {
                        buf = atLeast(buf, d.frameBytes()); // written under larger limits: read it whole
                        readOnlyBuf = buf.asReadOnly();
                    }
                    offset += pos;
                    pos = 0;
                    bytes = 0;
                    continue;
                }
                if (status == FrameDecoder.SKIP) {
                    pos += d.frameBytes();
                    continue;
                }
                if (status != FrameDecoder.RECORD) {
                    throw new CorruptionException(segment.path(), offset + pos, -1, "reading: " + d.reason());
                }
                pos += d.frameBytes();
                if (d.lsn() > snapshotLastLsn) {
                    segment = null; // appended after the snapshot (where a truncation let the file grow back)
                    segmentIndex = snapshot.size();
                    continue;
                }
                if (d.lsn() >= fromLsn) {
                    delivered = d.lsn();
                    view.lsn = d.lsn();
                    view.timestamp = d.timestamp();
                    view.buffer = readOnlyBuf;
                    view.keyOffset = d.keyOffset();
                    view.keyLength = d.keyLength();
                    view.valueOffset = d.valueOffset();
                    view.valueLength = d.valueLength();
                    return true;
                }
            }
        }

        private boolean nextSegment() throws IOException {
            while (++segmentIndex < snapshot.size()) {
                Segment s = snapshot.get(segmentIndex);
                lock.lock();
                try {
                    checkNotTruncated();
                    checkStillThere(s);
                    if (s.isEmpty() || s.lastLsn() < fromLsn) {
                        continue;
                    }
                    loaded(s);
                    offset = Math.max(s.index().floorOffset(fromLsn), JournalFormat.HEADER_BLOCK_BYTES);
                } finally {
                    lock.unlock();
                }
                segment = s;
                pos = 0;
                bytes = 0;
                return true;
            }
            return false;
        }

        /** Reads the next chunk of the current segment; false at its (snapshot) end. */
        private boolean refill() throws IOException {
            offset += pos;
            pos = 0;
            lock.lock();
            try {
                checkNotTruncated();
                checkStillThere(segment);
                long end = Math.min(ends[segmentIndex], segment.endOffset()); // a truncateBack may have cut it
                if (offset >= end) {
                    return false;
                }
                want = Math.min(buf.byteSize(), end - offset);
                bytes = segment.file().read(offset, buf.asSlice(0, want));
            } finally {
                lock.unlock();
            }
            return bytes > 0;
        }
    }

    private void checkStillThere(Segment s) throws IOException {
        checkOpen();
        if (!segments.contains(s)) {
            throw new IOException("records this replay had to deliver were truncated away during it: segment="
                    + s.path().getFileName() + " dir=" + dir);
        }
    }

    // ---------------------------------------------------------------- truncation

    /**
     * Keeps the records with LSN <= {@code lsn} and removes the rest, durably: later segments
     * are deleted (newest first, the directory synced after each) and the segment holding
     * {@code lsn} is cut after it and synced. LSNs of removed records may be appended again.
     */
    public void truncateBack(long lsn) throws IOException {
        lock.lock();
        try {
            checkOpen();
            if (lsn < 0) {
                throw new IllegalArgumentException("truncateBack lsn=" + lsn + " must be >= 0");
            }
            if (lsn >= lastLsn) {
                return;
            }
            // No append may wait on a record about to go (its LSN may be reused), and none may
            // be staged in a segment about to be cut: appends wait until this is done.
            beginQuiet();
            try {
                if (lsn >= lastLsn) {
                    return;
                }
                // The segment to cut must be checked first: a scan that stopped at damage in a
                // segment open did not read would otherwise be taken for its end, and durable
                // records after the damage would be cut without a word.
                Segment target = segments.getFirst();
                for (Segment s : segments) {
                    if (s.baseLsn() <= lsn) {
                        target = s;
                    }
                }
                loaded(target);
                truncations++;
                removedAbove(lsn);
                try {
                    truncateBackLocked(lsn);
                } catch (IOException e) {
                    throw fail(e);
                }
            } finally {
                endQuiet();
            }
        } finally {
            lock.unlock();
        }
    }

    private void truncateBackLocked(long lsn) throws IOException {
        awaitRoundSync(); // (none runs once every record is durable; this only makes it plain)
        if (segments.isEmpty()) {
            return;
        }
        int target = 0;
        for (int i = 0; i < segments.size(); i++) {
            if (segments.get(i).baseLsn() <= lsn) {
                target = i;
            }
        }
        Segment s = segments.get(target);
        s.file(io.open(s.path(), OpenFlag.READ, OpenFlag.WRITE));
        long oldEnd = s.endOffset();
        // What the segments after s, or the frames about to go, say of the segments before s
        // (which were synced) must stay said on disk at every moment: a sealed segment whose
        // sync no header or mark records is cut at recovery if damaged, not reported. Unless
        // s's own header says it, a DURABLE_MARK goes ahead of the truncation, past the end of
        // s's frames, and only after the mark at the new end is durable does it go.
        long durableBefore = Math.min(durableSegmentId, s.id() - 1);
        boolean markFollows = durableBefore > s.header().durableSegmentId();
        if (markFollows) {
            writeMarkAt(s, oldEnd, oldEnd + AHEAD_MARK_GAP, durableBefore);
        }
        while (segments.size() > target + 1) {
            Segment later = segments.getLast();
            later.close();
            Files.delete(later.path());
            segments.removeLast();
            io.syncDirectory(dir); // before the next deletion: see deleteNewestFirst
        }
        durableSegmentId = durableBefore; // s is active again, so no longer sealed
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
        boolean keepSize = preallocates() && fileBytes <= options.segmentBytes() + STAGING_ALIGNMENT;
        if (markFollows) {
            // Zeroed, not cut off, first: the cut must be durable before a frame goes where it
            // was (a crash between the two could keep the cut-off frames, SYNC_MARKs among
            // them, behind a torn new frame, and recovery would call that damage; the random
            // crash points met this), and the mark ahead must stay until the new one is durable.
            zeroBack(s, newEnd, oldEnd);
            s.file().datasync();
            writeMarkAt(s, newEnd, newEnd, durableBefore);
            if (keepSize) {
                s.file().zeroFill(oldEnd + AHEAD_MARK_GAP, JournalFormat.MARK_FRAME_BYTES);
            } else {
                s.file().truncate(newEnd + JournalFormat.MARK_FRAME_BYTES);
            }
            s.skipped(JournalFormat.MARK_FRAME_BYTES);
        } else if (keepSize) {
            // Removed frames read as zeros and the segment keeps its size.
            zeroBack(s, newEnd, oldEnd);
        } else if (fileBytes > newEnd) {
            s.file().truncate(newEnd);
        }
        activate(s);
        s.file().datasync();
        lastLsn = Math.max(s.isEmpty() ? s.baseLsn() - 1 : s.lastLsn(), lsnBeforeSegments());
        durableLsn = Math.min(durableLsn, lastLsn); // LSNs above it will be new records
        unsyncedBytes = 0;
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

    /** Lock held: every record above {@code lsn} is being removed; the cursors that still had to deliver one will say so. */
    private void removedAbove(long lsn) {
        for (RecordCursor c : cursors) {
            c.removedAbove(lsn);
        }
    }

    private long lsnBeforeSegments() {
        long last = -1;
        for (Segment s : segments) {
            if (!s.isEmpty()) {
                last = s.lastLsn();
            }
        }
        return last;
    }

    /**
     * Drops records with LSN < {@code lsn} (after a checkpoint) by deleting every segment
     * whose records all lie below it, then syncing the directory. Whole segments only: records
     * below {@code lsn} that share a segment with records at or above it stay readable until
     * that segment goes. The active segment is never deleted. Waits for a sync round that is
     * running (it may be syncing a segment about to go). Returns the segments deleted.
     */
    public int truncateFront(long lsn) throws IOException {
        lock.lock();
        try {
            checkOpen();
            while (syncing) {
                roundDone.awaitUninterruptibly(); // the running round may sync through a segment about to go
            }
            checkOpen();
            int deleted = 0;
            try {
                while (segments.size() > 1) {
                    Segment first = segments.getFirst();
                    if (!first.isEmpty() && first.lastLsn() >= lsn) {
                        break;
                    }
                    retire(first);
                    segments.removeFirst();
                    deleted++;
                }
            } catch (IOException e) {
                throw fail(e);
            }
            return deleted;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Lock held: closes a segment removed from the front and deletes its file, or renames it
     * aside for a later segment to be written into, and syncs the directory before the next
     * one goes: oldest first, each change durable before the next, so that whatever order the
     * filesystem persists directory changes in, a crash leaves the segments that remain
     * without a gap between them (a gap reads as a missing segment). Its
     * frames carry its salt and LSNs below every LSN the journal can still append: the front
     * only moves forward, and LSNs are appended in increasing order above it, so a recycled
     * segment's recovery cannot take them for its own (the salt alone would allow a 2^-32
     * accident; the LSN check does not).
     */
    private void retire(Segment s) throws IOException {
        boolean keep = preallocates() && writeAlignment > 1 && recycled.size() < options.recycleSegments()
                && s.file().size() == options.segmentBytes();
        s.close();
        if (keep) {
            Path aside = dir.resolve(SegmentFiles.recycledName(s.id()));
            Files.move(s.path(), aside, StandardCopyOption.ATOMIC_MOVE);
            recycled.add(new Recycled(aside, s.salt()));
        } else {
            Files.delete(s.path());
        }
        io.syncDirectory(dir);
    }

    /**
     * Removes every record: a new empty segment is started first (so that a crash at any
     * point leaves a valid journal that still knows the last LSN), then every older segment
     * is deleted, oldest first. The next auto-assigned LSN follows the last one: LSNs are
     * never reused.
     */
    public void reset() throws IOException {
        lock.lock();
        try {
            checkOpen();
            beginQuiet(); // nothing may be staged in the segment the new one's header records the end of
            try {
                truncations++;
                removedAbove(0);
                resetLocked();
            } catch (IOException e) {
                throw fail(e);
            } finally {
                endQuiet();
            }
        } finally {
            lock.unlock();
        }
    }

    private void resetLocked() throws IOException {
        Segment active = segments.isEmpty() ? null : segments.getLast();
        boolean alreadyFresh = active != null && active.isEmpty() && active.baseLsn() == nextLsn();
        if (!alreadyFresh) {
            if (active != null) {
                awaitDurableLocked(lastLsn); // its successor's header records where it ends
                syncSealed(active); // and that every segment before it is synced
            }
            createSegment(nextLsn(), active);
        }
        while (segments.size() > 1) {
            retire(segments.getFirst());
            segments.removeFirst();
        }
    }

    @Override
    public String toString() {
        return "Journal[dir=" + dir + " segments=" + segments.size() + " lastLsn=" + lastLsn + "]";
    }
}

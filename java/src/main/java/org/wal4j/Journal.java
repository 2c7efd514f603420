package org.wal4j;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import org.wal4j.format.FormatException;
import org.wal4j.format.FrameCrc;
import org.wal4j.format.FrameDecoder;
import org.wal4j.format.JournalFormat;
import org.wal4j.io.IoBackend;
import org.wal4j.io.IoFile;
import org.wal4j.io.OpenFlag;
import org.wal4j.log.Segment;
import org.wal4j.log.SegmentFiles;
import org.wal4j.log.SegmentScanner;

/**
 * A write-ahead log: a directory of segment files in the journal format (see the README's
 * "On-disk format"). Records carry an LSN, a timestamp, a key (may be empty) and a value.
 *
 * <p><b>LSNs.</b> {@link #append(byte[])} assigns the next LSN (1 for an empty journal,
 * then last + 1, like go-wally's index); {@link #append(long, long, byte[], byte[])} takes
 * the caller's (gohacks), which must be greater than the last; gaps are allowed.
 *
 * <p><b>Durability</b> follows {@link JournalOptions#syncMode()}: with {@link SyncMode#NONE}
 * records are durable once {@link #sync()} or {@link #close()} returned; with
 * {@link SyncMode#ALWAYS} once {@code append} returned. A new or deleted segment is followed
 * by an fsync of the directory.
 *
 * <p><b>Threads.</b> Every method may be called from many threads; one lock orders them.
 * A record just appended is readable at once (read-your-writes), staged or not.
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

    private final Path dir;
    private final JournalOptions options;
    private final IoBackend io;
    private final ReentrantLock lock = new ReentrantLock();
    private final List<Segment> segments = new ArrayList<>();
    private final Arena arena = Arena.ofShared();
    private final MemorySegment staging;
    private final FileChannel lockChannel;
    private final FileLock fileLock;
    private final RecoveryReport recoveryReport;
    private final FrameDecoder decoder = new FrameDecoder();
    private final FrameCrc writeCrc = new FrameCrc();
    /** Reads of {@link #read}/{@link #readInto}; grows (GC-managed) for a frame larger than it. */
    private MemorySegment readBuffer;
    /** The memory {@link #decoder}'s offsets refer to after {@link #locate}: a mapping or {@link #readBuffer}. */
    private MemorySegment located;

    /** Bytes of the active segment encoded in {@link #staging}, not yet written. */
    private long stagedBytes;
    /** The highest LSN ever appended (kept across reset and truncation), -1 if none. */
    private long lastLsn = -1;
    private long nextSegmentId = 1;
    /**
     * Every segment with an id <= this is sealed and its frames are synced. In NONE mode a
     * rollover does not wait for the sealed segment to reach the disk; {@link #sync()} syncs
     * it later and records the fact durably (a DURABLE_MARK frame, or the next header), so
     * that recovery knows which sealed segments may be torn and which are durable data.
     */
    private long durableSegmentId;
    private boolean closed;
    /** The first failed write, sync, truncate or delete: the journal refuses every later call. */
    private IOException failure;

    private Journal(Path dir, JournalOptions options, IoBackend io, FileChannel lockChannel, FileLock fileLock)
            throws IOException {
        this.dir = dir;
        this.options = options;
        this.io = io;
        this.lockChannel = lockChannel;
        this.fileLock = fileLock;
        this.staging = arena.allocate(options.writeBufferBytes(), 4096);
        this.readBuffer = arena.allocate(READ_CHUNK_BYTES, 4096);
        try {
            this.recoveryReport = recover();
        } catch (IOException | RuntimeException e) {
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

    /** A buffer of at least {@code bytes}: {@code current} if large enough, else a new one. */
    private static MemorySegment atLeast(MemorySegment current, long bytes) {
        if (current.byteSize() >= bytes) {
            return current;
        }
        return Arena.ofAuto().allocate(JournalFormat.align(bytes), 4096);
    }

    /**
     * Opens the journal in {@code dir}, creating the directory if it does not exist.
     *
     * @throws NotAJournalException if {@code dir} holds files but no segment
     * @throws CorruptionException if a sealed segment's durable data is damaged (see {@link RecoveryMode})
     * @throws IOException if another process has the journal open, or I/O fails
     */
    public static Journal open(Path dir, JournalOptions options) throws IOException {
        return open(dir, options, IoBackend.select(options.ioBackend()));
    }

    /** As {@link #open(Path, JournalOptions)} on a given backend (tests inject failures this way). */
    static Journal open(Path dir, JournalOptions options, IoBackend io) throws IOException {
        Files.createDirectories(dir);
        SegmentFiles.Listing listing = SegmentFiles.list(dir);
        if (listing.segments().isEmpty() && !listing.foreign().isEmpty()) {
            // checked before the lock file is created: a directory that is not a journal is never touched
            throw new NotAJournalException(dir, "no segment files, but " + listing.foreign().size()
                    + " other file(s), e.g. " + listing.foreign().get(0).getFileName());
        }
        FileChannel channel = FileChannel.open(dir.resolve(SegmentFiles.LOCK_FILE),
                StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            channel.close();
            throw new IOException("journal is open in another process: dir=" + dir);
        }
        try {
            return new Journal(dir, options, io, channel, lock);
        } catch (IOException | RuntimeException e) {
            lock.release();
            channel.close();
            throw e;
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
        if (!listing.unfinished().isEmpty()) {
            io.syncDirectory(dir);
        }
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
                                    + " (a segment file is missing)");
                }
            } catch (CorruptionException e) {
                problem = e;
            }
            if (problem != null) {
                // another format version is not damage: STOP must not delete what it cannot read
                if (options.recoveryMode() == RecoveryMode.FAIL || problem.offset() == JournalFormat.VERSION_OFFSET) {
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
        }

        long droppedTail = 0;
        String tailReason = stopReason;
        long framesAfterCut = 0;
        for (int i = 0; i < count; i++) {
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
                if (tail.validFrames > 0 && options.strictTail()) {
                    throw new CorruptionException(path, r.endOffset(), r.lastLsn(), "torn tail followed by "
                            + tail.validFrames + " valid-looking record(s) (strictTail): " + reason);
                }
                droppedTail += cutTail(segment, fileBytes[i], tail);
                framesAfterCut += tail.validFrames;
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
            Tail tail = inspectTail(segment, r.endOffset(), fileBytes[i]);
            if (tail.nonZeroEnd > r.endOffset() || tail.validFrames > 0) {
                framesAfterCut = tail.validFrames;
                tailReason = r.end() == SegmentScanner.End.CLEAN
                        ? "zeroed bytes at offset " + r.endOffset() + (framesAfterCut > 0 ? " followed by records" : "")
                        : r.end() + ": " + r.reason();
                if (framesAfterCut > 0 && options.strictTail()) {
                    throw new CorruptionException(path, r.endOffset(), r.lastLsn(), "torn tail followed by "
                            + framesAfterCut + " valid-looking record(s) (strictTail): " + tailReason);
                }
            }
            droppedTail += cutTail(segment, fileBytes[i], tail);
        }
        if (!segments.isEmpty()) {
            Segment active = segments.getLast();
            active.reserved(active.file().size() >= options.segmentBytes()); // a cut may have ended the reservation
            durableSegmentId = Math.min(durable, active.id() - 1);
            long recorded = 0; // what the segments that remain say on disk
            for (int i = 0; i < segments.size(); i++) {
                recorded = Math.max(recorded, segments.get(i).header().durableSegmentId());
                if (scans.get(i) != null) {
                    recorded = Math.max(recorded, scans.get(i).durableMark());
                }
            }
            if (durableSegmentId > recorded) {
                // the mark that said so was in a segment deleted above: say it again
                writeDurableMark(durableSegmentId);
                active.file().datasync();
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

    /** Deletes segment files newest first, then syncs the directory; returns how many. */
    private int deleteNewestFirst(List<Path> doomed) throws IOException {
        for (int j = doomed.size() - 1; j >= 0; j--) {
            Files.delete(doomed.get(j));
        }
        if (!doomed.isEmpty()) {
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
     * What lies after the last valid frame: where the last non-zero byte ends, and how many
     * records still decode there (an unsynced write that reached the disk out of order).
     */
    private record Tail(long end, long nonZeroEnd, long validFrames) {}

    private Tail inspectTail(Segment segment, long from, long fileBytes) throws IOException {
        long found = 0;
        long nonZeroEnd = from;
        long lastGoodLsn = Math.max(segment.lastLsn(), segment.baseLsn() - 1);
        FrameDecoder d = new FrameDecoder();
        long pos = from;
        while (pos < fileBytes) {
            long want = Math.min(readBuffer.byteSize(), fileBytes - pos);
            long n = segment.file().read(pos, readBuffer.asSlice(0, want));
            long i = pos == from ? JournalFormat.FRAME_ALIGNMENT : 0; // the frame at the cut is the invalid one
            while (i + JournalFormat.COMMON_HEADER_BYTES <= n) {
                int s = d.decode(readBuffer, i, n, segment.salt());
                if (s == FrameDecoder.RECORD && d.lsn() > lastGoodLsn) {
                    found++;
                    i += d.frameBytes();
                } else {
                    i += JournalFormat.FRAME_ALIGNMENT;
                }
            }
            long lastNonZero = lastNonZeroByte(readBuffer, n);
            if (lastNonZero >= 0) {
                nonZeroEnd = pos + lastNonZero + 1;
            }
            pos += n;
            if (n < want) {
                break;
            }
        }
        return new Tail(from, nonZeroEnd, found);
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
     * Removes what follows the last valid frame and syncs the cut; returns the non-zero bytes
     * dropped. A preallocated segment keeps its reserved size (the dropped range is
     * re-reserved and reads as zeros); otherwise the file ends at the last valid frame.
     */
    private long cutTail(Segment segment, long fileBytes, Tail tail) throws IOException {
        if (fileBytes <= tail.end) {
            return 0;
        }
        boolean keepSize = preallocates() && fileBytes <= options.segmentBytes();
        if (keepSize && tail.nonZeroEnd <= tail.end) {
            return 0; // only the reserved zeros
        }
        segment.file().truncate(tail.end);
        if (keepSize) {
            segment.file().allocate(tail.end, fileBytes - tail.end);
        }
        segment.file().datasync();
        return tail.nonZeroEnd - tail.end;
    }

    // ---------------------------------------------------------------- append

    /** Appends {@code value} with the next LSN, timestamp 0 and an empty key; returns the LSN. */
    public long append(byte[] value) throws IOException {
        return append(MemorySegment.ofArray(value));
    }

    /** Appends {@code value} (copied) with the next LSN; returns the LSN. */
    public long append(MemorySegment value) throws IOException {
        lock.lock();
        try {
            checkOpen();
            checkSizes(0, value.byteSize());
            long lsn = nextLsn();
            try {
                appendLocked(lsn, 0, EMPTY, value);
                syncIfAlways();
            } catch (IOException e) {
                throw fail(e);
            }
            return lsn;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Appends a record with the caller's LSN, which must be greater than the last.
     *
     * @throws IllegalArgumentException if lsn is 0, negative or not greater than the last,
     *     timestamp is negative, or key, value or record exceed the limits (the values are in
     *     the message)
     */
    public void append(long lsn, long timestamp, byte[] key, byte[] value) throws IOException {
        append(lsn, timestamp, MemorySegment.ofArray(key), MemorySegment.ofArray(value));
    }

    /** As {@link #append(long, long, byte[], byte[])}, from memory segments (copied). */
    public void append(long lsn, long timestamp, MemorySegment key, MemorySegment value) throws IOException {
        lock.lock();
        try {
            checkOpen();
            if (lsn <= 0) {
                throw new IllegalArgumentException("lsn=" + lsn + " must be > 0");
            }
            if (lsn <= lastLsn) {
                throw new IllegalArgumentException("lsn=" + lsn + " must be greater than the last lsn=" + lastLsn);
            }
            checkTimestamp(timestamp);
            checkSizes(key.byteSize(), value.byteSize());
            try {
                appendLocked(lsn, timestamp, key, value);
                syncIfAlways();
            } catch (IOException e) {
                throw fail(e);
            }
        } finally {
            lock.unlock();
        }
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
            checkOpen();
            for (int i = 0; i < count; i++) {
                checkTimestamp(records.timestamp(i));
                checkSizes(records.key(i).byteSize(), records.value(i).byteSize());
            }
            long first = nextLsn();
            try {
                for (int i = 0; i < count; i++) {
                    appendLocked(nextLsn(), records.timestamp(i), records.key(i), records.value(i));
                }
                syncIfAlways();
            } catch (IOException e) {
                throw fail(e);
            }
            return new LsnRange(first, lastLsn);
        } finally {
            lock.unlock();
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

    /** Callers have checked the sizes (a batch checks all its records before appending any). */
    private void appendLocked(long lsn, long timestamp, MemorySegment key, MemorySegment value) throws IOException {
        long frameBytes = JournalFormat.recordFrameBytes(key.byteSize(), value.byteSize());
        Segment active = segments.isEmpty() ? null : segments.getLast();
        if (active == null) {
            active = createSegment(lsn, null);
        } else if (active.endOffset() + frameBytes > options.segmentBytes() && !active.isEmpty()) {
            active = rollover(lsn);
        }
        if (stagedBytes + frameBytes > staging.byteSize()) {
            flushStaging();
        }
        if (frameBytes > staging.byteSize()) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment frame = a.allocate(frameBytes, 4096);
                JournalFormat.encodeRecord(frame, 0, active.salt(), lsn, timestamp, key, value, writeCrc);
                active.file().write(active.endOffset(), frame);
            }
        } else {
            JournalFormat.encodeRecord(staging, stagedBytes, active.salt(), lsn, timestamp, key, value, writeCrc);
            stagedBytes += frameBytes;
        }
        active.appended(lsn, frameBytes);
        lastLsn = lsn;
    }

    private void syncIfAlways() throws IOException {
        if (options.syncMode() == SyncMode.ALWAYS) {
            syncLocked();
        }
    }

    /** Writes the staged frames at the active segment's file position. */
    private void flushStaging() throws IOException {
        if (stagedBytes == 0) {
            return;
        }
        Segment active = segments.getLast();
        long fileOffset = active.endOffset() - stagedBytes;
        active.file().write(fileOffset, staging.asSlice(0, stagedBytes));
        stagedBytes = 0;
    }

    /**
     * Seals the active segment and starts the next one at {@code baseLsn}. Only in a mode that
     * syncs are the sealed frames synced now; in NONE mode the next {@link #sync()} does it.
     */
    private Segment rollover(long baseLsn) throws IOException {
        flushStaging();
        Segment sealed = segments.getLast();
        if (options.syncMode() != SyncMode.NONE) {
            syncSealed(sealed);
        }
        return createSegment(baseLsn, sealed);
    }

    /** Syncs every sealed segment not yet synced, up to and including {@code through}. */
    private void syncSealed(Segment through) throws IOException {
        for (Segment s : segments) {
            if (s.id() > through.id()) {
                break;
            }
            if (s.id() > durableSegmentId) {
                s.file().datasync();
            }
        }
        durableSegmentId = Math.max(durableSegmentId, through.id());
    }

    /**
     * Appends a DURABLE_MARK frame saying every segment up to {@code segmentId} is synced, and
     * writes it (the caller syncs the active segment).
     */
    private void writeDurableMark(long segmentId) throws IOException {
        if (stagedBytes + JournalFormat.MARK_FRAME_BYTES > staging.byteSize()) {
            flushStaging();
        }
        Segment active = segments.getLast();
        stagedBytes += JournalFormat.encodeDurableMark(staging, stagedBytes, active.salt(), segmentId, writeCrc);
        active.skipped(JournalFormat.MARK_FRAME_BYTES);
        flushStaging();
    }

    /**
     * Creates a segment: header written to a .tmp file and synced, renamed into place, the
     * directory synced. Only then may records go into it, and only then does its header's
     * record of the predecessor (endOffset, lastLsn) exist.
     */
    private Segment createSegment(long baseLsn, Segment prev) throws IOException {
        Path path = dir.resolve(SegmentFiles.name(baseLsn));
        Path tmp = dir.resolve(SegmentFiles.name(baseLsn) + SegmentFiles.TMP_SUFFIX);
        JournalFormat.SegmentHeader h = new JournalFormat.SegmentHeader(nextSegmentId, baseLsn, SALTS.nextInt(),
                prev == null ? 0 : prev.id(), prev == null ? 0 : Math.max(prev.lastLsn(), 0),
                prev == null ? 0 : prev.endOffset(), System.currentTimeMillis(), durableSegmentId);
        try (Arena a = Arena.ofConfined();
             IoFile f = io.open(tmp, OpenFlag.WRITE, OpenFlag.CREATE, OpenFlag.TRUNCATE)) {
            MemorySegment block = a.allocate(JournalFormat.HEADER_BLOCK_BYTES, 4096);
            JournalFormat.encodeHeader(block, h);
            f.write(0, block);
            if (preallocates()) {
                // reserved now, so appends fill allocated blocks instead of growing the file
                f.allocate(JournalFormat.HEADER_BLOCK_BYTES, options.segmentBytes() - JournalFormat.HEADER_BLOCK_BYTES);
            }
            f.datasync();
        }
        Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE);
        io.syncDirectory(dir);
        nextSegmentId++;
        if (prev != null) {
            reopenReadOnly(prev);
        }
        Segment s = new Segment(path, io.open(path, OpenFlag.READ, OpenFlag.WRITE), h, options.indexMode().newIndex());
        s.reserved(preallocates());
        segments.add(s);
        return s;
    }

    private void reopenReadOnly(Segment s) throws IOException {
        s.file(io.open(s.path(), OpenFlag.READ));
    }

    // ---------------------------------------------------------------- sync / close

    /** Makes every record appended so far durable. */
    public void sync() throws IOException {
        lock.lock();
        try {
            checkOpen();
            try {
                syncLocked();
            } catch (IOException e) {
                throw fail(e);
            }
        } finally {
            lock.unlock();
        }
    }

    private void syncLocked() throws IOException {
        if (segments.isEmpty()) {
            return;
        }
        flushStaging();
        if (segments.size() > 1) {
            Segment lastSealed = segments.get(segments.size() - 2);
            if (lastSealed.id() > durableSegmentId) {
                syncSealed(lastSealed);
                writeDurableMark(lastSealed.id());
            }
        }
        segments.getLast().file().datasync();
    }

    private boolean preallocates() {
        return options.preallocate() && io.supportsAllocate() && options.segmentBytes() > JournalFormat.HEADER_BLOCK_BYTES;
    }

    /** Writes and syncs what is staged, closes every file; idempotent. Later calls fail with {@link JournalClosedException}. */
    @Override
    public void close() throws IOException {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            IOException first = null;
            if (failure == null) { // after a failure nothing written since the last good sync can be trusted
                try {
                    syncLocked();
                } catch (IOException e) {
                    first = fail(e);
                }
            }
            for (Segment s : segments) {
                try {
                    s.close();
                } catch (IOException e) {
                    first = first == null ? e : first;
                }
            }
            arena.close();
            fileLock.release();
            lockChannel.close();
            if (first != null) {
                throw first;
            }
        } finally {
            lock.unlock();
        }
    }

    private void checkOpen() throws IOException {
        if (closed) {
            throw new JournalClosedException(dir);
        }
        if (failure != null) {
            throw new JournalFailedException(dir, failure);
        }
    }

    /** Records the first failure of a write, sync, truncation or deletion; returns it to throw. */
    private IOException fail(IOException e) {
        if (failure == null) {
            failure = e;
            LOG.log(System.Logger.Level.ERROR, "wal4j journal failed; every later call will be refused: dir=" + dir, e);
        }
        return e;
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
        if (stagedBytes > 0 && segment == segments.getLast()) {
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
            lock.lock();
            try {
                checkOpen();
                try {
                    flushStaging();
                } catch (IOException e) {
                    throw fail(e);
                }
                snapshot = new ArrayList<>(segments);
                ends = new long[snapshot.size()];
                for (int i = 0; i < ends.length; i++) {
                    ends[i] = snapshot.get(i).endOffset();
                }
            } finally {
                lock.unlock();
            }
        }

        /** Moves to the next record with LSN >= fromLsn; false at the snapshot's end. */
        boolean next() throws IOException {
            while (true) {
                if (segment == null && !nextSegment()) {
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
                if (d.lsn() >= fromLsn) {
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
     * are deleted (newest first, then the directory is synced) and the segment holding
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
            try {
                truncateBackLocked(lsn);
            } catch (IOException e) {
                throw fail(e);
            }
        } finally {
            lock.unlock();
        }
    }

    private void truncateBackLocked(long lsn) throws IOException {
        flushStaging();
        boolean deleted = false;
        while (segments.size() > 1 && segments.getLast().baseLsn() > lsn) {
            Segment s = segments.getLast();
            s.close();
            Files.delete(s.path());
            segments.removeLast();
            deleted = true;
        }
        if (deleted) {
            io.syncDirectory(dir);
        }
        if (segments.isEmpty()) {
            return;
        }
        Segment s = segments.getLast();
        s.file(io.open(s.path(), OpenFlag.READ, OpenFlag.WRITE));
        durableSegmentId = Math.min(durableSegmentId, s.id() - 1); // active again, so no longer sealed
        // one pass: rebuild the index over the records that stay (a sparse index cannot always
        // be cut in place) and find where the first record to remove starts
        s.index().clear();
        long[] kept = {0, -1, -1, -1}; // count, firstLsn, lastLsn, offset of the first removed record
        SegmentScanner.Result r = SegmentScanner.scan(s.file(), s.endOffset(), s.salt(), s.baseLsn(),
                (chunk, at, fileOffset, d) -> {
                    if (d.lsn() <= lsn) {
                        s.index().add(d.lsn(), fileOffset);
                        kept[1] = kept[0]++ == 0 ? d.lsn() : kept[1];
                        kept[2] = d.lsn();
                    } else if (kept[3] < 0) {
                        kept[3] = fileOffset;
                    }
                });
        if (r.endOffset() != s.endOffset()) {
            throw new CorruptionException(s.path(), r.endOffset(), kept[2], "frames end at " + r.endOffset()
                    + " but the journal knew them to end at " + s.endOffset() + " (" + r.end() + ": " + r.reason() + ")");
        }
        long newEnd = kept[3] >= 0 ? kept[3] : r.endOffset();
        s.scanned(newEnd, kept[1], kept[2], kept[0]);
        long fileBytes = s.file().size();
        if (fileBytes > newEnd) {
            s.file().truncate(newEnd);
            if (preallocates() && fileBytes <= options.segmentBytes()) {
                s.file().allocate(newEnd, fileBytes - newEnd); // removed frames read as zeros, space stays reserved
            }
        }
        if (durableSegmentId > s.header().durableSegmentId()) {
            writeDurableMark(durableSegmentId); // a mark that said so may have been cut off
        }
        s.file().datasync();
        lastLsn = Math.max(s.isEmpty() ? s.baseLsn() - 1 : s.lastLsn(), lsnBeforeSegments());
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
     * that segment goes. The active segment is never deleted. Returns the segments deleted.
     */
    public int truncateFront(long lsn) throws IOException {
        lock.lock();
        try {
            checkOpen();
            int deleted = 0;
            try {
                while (segments.size() > 1) {
                    Segment first = segments.getFirst();
                    if (!first.isEmpty() && first.lastLsn() >= lsn) {
                        break;
                    }
                    first.close();
                    Files.delete(first.path());
                    segments.removeFirst();
                    deleted++;
                }
                if (deleted > 0) {
                    io.syncDirectory(dir);
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
     * Removes every record: a new empty segment is started first (so that a crash at any
     * point leaves a valid journal that still knows the last LSN), then every older segment
     * is deleted, oldest first. The next auto-assigned LSN follows the last one: LSNs are
     * never reused.
     */
    public void reset() throws IOException {
        lock.lock();
        try {
            checkOpen();
            try {
                resetLocked();
            } catch (IOException e) {
                throw fail(e);
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
                syncLocked(); // its successor's header records where it ends
                durableSegmentId = active.id();
            }
            createSegment(nextLsn(), active);
        }
        int deleted = 0;
        while (segments.size() > 1) {
            Segment old = segments.getFirst();
            old.close();
            Files.delete(old.path());
            segments.removeFirst();
            deleted++;
        }
        if (deleted > 0) {
            io.syncDirectory(dir);
        }
    }

    @Override
    public String toString() {
        return "Journal[dir=" + dir + " segments=" + segments.size() + " lastLsn=" + lastLsn + "]";
    }
}

package org.wal4j;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.wal4j.io.ExclusiveLock;
import org.wal4j.io.IoBackend;
import org.wal4j.log.Segment;
import org.wal4j.log.SegmentFiles;

// Over 700 lines on purpose: it is the facade of the public API, and half of its lines are
// that API's Javadoc; every method delegates to the unit that does the work (docs/journal.md).
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
    private static final MemorySegment EMPTY = MemorySegment.ofArray(new byte[0]);

    // The units, wired here; one lock orders them all (see each unit's header for what it guards).
    private final ReentrantLock lock = new ReentrantLock();
    private final Arena arena = Arena.ofShared();
    private final Path dir;
    private final IoBackend io;
    private final Lifecycle lifecycle;
    private final SegmentSet segments;
    private final SegmentWriter writer;
    private final Committer committer;
    private final Reader reader;
    private final Truncation truncation;
    /** The directory's lock ({@link SegmentFiles#LOCK_FILE}): held from before recovery until close. */
    private final ExclusiveLock ownerLock;
    private final RecoveryReport recoveryReport;
    private final JournalMetrics metrics = new JournalMetrics();
    /** Lock held: {@link #close()} has released everything. */
    private boolean released;
    /** Signalled when {@link #close()} has finished (a concurrent close waits for it). */
    private final Condition closeDone = lock.newCondition();

    private Journal(Path dir, JournalOptions options, IoBackend io, ExclusiveLock ownerLock, int writeAlignment)
            throws IOException {
        this.dir = dir;
        this.io = io;
        this.ownerLock = ownerLock;
        this.lifecycle = new Lifecycle(dir);
        this.segments = new SegmentSet(dir, options, io, lock, lifecycle, writeAlignment, metrics);
        try {
            this.writer = new SegmentWriter(io, segments, writeAlignment, options.writeBufferBytes(), arena);
            this.committer = new Committer(lifecycle, options, lock, segments, writer, metrics);
            this.reader = new Reader(lock, lifecycle, segments, committer, arena);
            this.truncation = new Truncation(options, io, lock, lifecycle, segments, writer, committer, reader);
            JournalEvents.Recovery event = new JournalEvents.Recovery();
            event.begin();
            Recovery.Result recovered = Recovery.run(dir, options, io);
            this.recoveryReport = recovered.report();
            if (event.shouldCommit()) {
                event.dir = dir.toString();
                event.segments = recoveryReport.segments();
                event.records = recoveryReport.recordsScanned();
                event.droppedTailBytes = recoveryReport.droppedTailBytes();
                event.droppedSegments = recoveryReport.droppedSegments();
                event.tailReason = recoveryReport.tailReason();
                event.commit();
            }
            lock.lock();
            try {
                segments.adopt(recovered.segments(), recovered.durableSegmentId());
                committer.recovered(recovered.lastLsn());
                Segment active = segments.active();
                if (active != null) {
                    writer.activate(active);
                    if (recovered.markDurable()) {
                        writer.writeDurableMark(recovered.durableSegmentId());
                        active.writer().datasync();
                    }
                }
                committer.awaitDurableLocked(committer.lastLsn()); // what a crashed process wrote may be only in the page cache
                segments.startPreparer();
                committer.updateSyncer();
            } finally {
                lock.unlock();
            }
        } catch (IOException | RuntimeException | Error e) { // whatever ended the open, nothing stays held
            Thread preparer; // started just before the sync thread: if starting that one failed, it must end first
            lock.lock();
            try {
                lifecycle.closed();
                preparer = segments.stopPreparer();
            } finally {
                lock.unlock();
            }
            if (preparer != null) {
                joinUninterruptibly(preparer);
            }
            IOException suppressed = segments.closeFiles();
            if (suppressed != null) {
                e.addSuppressed(suppressed);
            }
            arena.close();
            throw e;
        }
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
     * @param dir the journal's directory
     * @param options the journal's settings ({@link JournalOptions#defaults()} for the usual)
     * @return the open journal; close it when done
     * @throws NullPointerException if {@code dir} or {@code options} is null
     * @throws NotAJournalException if {@code dir} holds files but no segment
     * @throws java.nio.file.NoSuchFileException if there is no journal in {@code dir} and
     *     {@link JournalOptions.Builder#createIfMissing} is false
     * @throws java.nio.file.FileAlreadyExistsException if there is one and
     *     {@link JournalOptions.Builder#errorIfExists} is true
     * @throws CorruptionException if a sealed segment's durable data is damaged (see {@link RecoveryMode})
     * @throws AlreadyOpenException if the journal is open in this process (the message says so and
     *     names the directory) or in another one (the message names the lock file)
     * @throws IOException if I/O fails
     */
    public static Journal open(Path dir, JournalOptions options) throws IOException {
        nonNull(dir, "dir");
        String backend = nonNull(options, "options").ioBackend();
        // "auto" lets the operator's -Dwal4j.io decide, as it does for inspect and the ports
        return open(dir, options, backend.equals("auto") ? IoBackend.select() : IoBackend.select(backend));
    }

    /** As {@link #open(Path, JournalOptions)} on a given backend (tests inject failures this way). */
    static Journal open(Path dir, JournalOptions options, IoBackend io) throws IOException {
        JournalDirectory.checkExistence(dir, options);
        JournalDirectory.create(dir, io, options.fileMode());
        SegmentFiles.Listing listing = SegmentFiles.list(dir);
        if (listing.segments().isEmpty() && !listing.foreign().isEmpty()) {
            // checked before the lock file is created: a directory that is not a journal is never touched
            throw new NotAJournalException(dir, "no segment files, but " + listing.foreign().size()
                    + " other file(s), e.g. " + listing.foreign().get(0).getFileName());
        }
        ExclusiveLock lock;
        try {
            lock = ExclusiveLock.acquire(io, dir.resolve(SegmentFiles.LOCK_FILE), options.fileMode(),
                    "journal dir=" + dir);
        } catch (ExclusiveLock.Held held) {
            throw new AlreadyOpenException(held.getMessage(), held.lockFile(), held.inThisProcess());
        }
        try {
            return new Journal(dir, options, io, lock, JournalDirectory.directAlignment(dir, options, io));
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
     * Reads the journal in {@code dir} as {@link #open} would, with {@link RecoveryMode#FAIL}
     * and every segment scanned ({@link JournalOptions.Builder#verifyOnOpen}), and changes
     * nothing: files are opened read-only, no lock is taken, nothing is written, deleted or
     * synced. What an open would cut or delete is in {@link JournalInspection#recovery()}.
     * Works on a journal another process has open: a frame being written as it is read ends
     * the frames there, as a torn tail would.
     *
     * @param dir the journal's directory
     * @return what was read; close it when done (it holds the segment files open)
     * @throws NullPointerException if {@code dir} is null
     * @throws NotAJournalException if {@code dir} holds files but no segment, or is not a directory
     * @throws CorruptionException where an open would refuse the journal: damage to durable data
     * @throws java.nio.file.NoSuchFileException if {@code dir} does not exist
     * @throws IOException if I/O fails
     */
    public static JournalInspection inspect(Path dir) throws IOException {
        return inspect(nonNull(dir, "dir"), IoBackend.select());
    }

    /** As {@link #inspect(Path)} on a given backend. */
    static JournalInspection inspect(Path dir, IoBackend io) throws IOException {
        return JournalInspection.read(dir, io);
    }

    /**
     * The journal's directory.
     *
     * @return the directory this journal was opened on, as given to {@link #open}
     */
    public Path dir() {
        return dir;
    }

    /**
     * A snapshot of this journal's counters and gauges: appends, bytes, sync rounds and the
     * records they made durable, round fdatasync latencies, the durable lag, rollovers,
     * segments and their bytes on disk. Holds the journal's lock only to copy the counters
     * (the segment files' sizes are read after it is released).
     * Works on a closed or failed journal too (its last figures).
     *
     * @return the snapshot
     */
    public JournalStats stats() {
        return metrics.stats(lock, committer, segments);
    }

    // ---------------------------------------------------------------- append

    /**
     * Appends {@code value} with the next LSN, timestamp 0 and an empty key; returns the LSN
     * (in ALWAYS mode once the record is durable).
     *
     * @param value the record's value, copied; at most {@link JournalOptions#maxValueBytes()}
     * @return the LSN assigned: 1 for a new journal, else one above the highest ever appended
     * @throws NullPointerException if {@code value} is null
     * @throws IllegalArgumentException if the value exceeds the limits (the values are in the message)
     * @throws JournalClosedException if the journal is closed
     * @throws JournalFailedException if the journal failed before
     * @throws OutcomeUnknownException if a write or sync failed: the record may or may not be
     *     durable, and the journal has failed
     */
    public long append(byte[] value) throws IOException {
        return committer.append(MemorySegment.ofArray(nonNull(value, "value")));
    }

    /**
     * Appends {@code value} with the next LSN, timestamp 0 and an empty key, as
     * {@link #append(byte[])} does.
     *
     * @param value the record's value, copied; at most {@link JournalOptions#maxValueBytes()}
     * @return the LSN assigned
     * @throws IOException as {@link #append(byte[])} does
     */
    public long append(MemorySegment value) throws IOException {
        return committer.append(nonNull(value, "value"));
    }

    /**
     * Appends a record with the caller's LSN, which must be greater than the last (in ALWAYS
     * mode, returns once it is durable).
     *
     * @param lsn the record's LSN, greater than every LSN appended before (gaps allowed)
     * @param timestamp the record's timestamp, 0 or more (gohacks: Unix seconds); stored as given
     * @param key the record's key, copied; empty allowed, at most {@link JournalOptions#maxKeyBytes()}
     * @param value the record's value, copied; at most {@link JournalOptions#maxValueBytes()},
     *     and key and value together at most {@link JournalOptions#maxRecordBytes()}
     * @throws NullPointerException if {@code key} or {@code value} is null
     * @throws JournalClosedException if the journal is closed
     * @throws JournalFailedException if the journal failed before
     * @throws IllegalArgumentException if lsn is 0, negative or not greater than the last,
     *     timestamp is negative, or key, value or record exceed the limits (the values are in
     *     the message)
     * @throws OutcomeUnknownException if a write or sync failed: the record may or may not be
     *     durable, and the journal has failed
     */
    public void append(long lsn, long timestamp, byte[] key, byte[] value) throws IOException {
        committer.append(lsn, timestamp, MemorySegment.ofArray(nonNull(key, "key")), MemorySegment.ofArray(nonNull(value, "value")));
    }

    /**
     * Appends a record with the caller's LSN, as {@link #append(long, long, byte[], byte[])}
     * does, from memory segments.
     *
     * @param lsn the record's LSN, greater than every LSN appended before
     * @param timestamp the record's timestamp, 0 or more
     * @param key the record's key, copied; empty allowed
     * @param value the record's value, copied
     * @throws IOException as {@link #append(long, long, byte[], byte[])} does
     */
    public void append(long lsn, long timestamp, MemorySegment key, MemorySegment value) throws IOException {
        committer.append(lsn, timestamp, nonNull(key, "key"), nonNull(value, "value"));
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
     * @param value the record's value, copied; at most {@link JournalOptions#maxValueBytes()}
     * @return a future completed with the record's LSN once it is durable
     * @throws NullPointerException if {@code value} is null
     * @throws IllegalArgumentException if the value exceeds the limits (thrown, not completed)
     */
    public CompletableFuture<Long> appendAsync(byte[] value) {
        return committer.appendAsync(MemorySegment.ofArray(nonNull(value, "value")));
    }

    /**
     * Appends {@code value} with the next LSN and returns at once, as
     * {@link #appendAsync(byte[])} does.
     *
     * @param value the record's value, copied
     * @return a future completed with the record's LSN once it is durable
     */
    public CompletableFuture<Long> appendAsync(MemorySegment value) {
        return committer.appendAsync(nonNull(value, "value"));
    }

    /**
     * As {@link #appendAsync(byte[])} with the caller's LSN, timestamp and key (the rules of
     * {@link #append(long, long, byte[], byte[])}); the future completes with {@code lsn}.
     *
     * @param lsn the record's LSN, greater than every LSN appended before
     * @param timestamp the record's timestamp, 0 or more
     * @param key the record's key, copied; empty allowed
     * @param value the record's value, copied
     * @return a future completed with {@code lsn} once the record is durable
     * @throws IllegalArgumentException if the LSN, timestamp or sizes break those rules (thrown,
     *     not completed)
     */
    public CompletableFuture<Long> appendAsync(long lsn, long timestamp, byte[] key, byte[] value) {
        return committer.appendAsync(lsn, timestamp, MemorySegment.ofArray(nonNull(key, "key")),
                MemorySegment.ofArray(nonNull(value, "value")));
    }

    /**
     * Appends the values with consecutive LSNs, timestamp 0 and empty keys, as one write (and
     * one sync in ALWAYS mode). Every value is checked against the limits before any is
     * appended.
     *
     * @param values the records' values, copied; at least one
     * @return the LSNs the values got, the first to the last
     * @throws NullPointerException if {@code values} or one of them is null
     * @throws IllegalArgumentException if there is no value, or one exceeds the limits
     * @throws JournalClosedException if the journal is closed
     * @throws JournalFailedException if the journal failed before
     * @throws OutcomeUnknownException if a write or sync failed: the records may or may not be
     *     durable, and the journal has failed
     */
    public LsnRange appendBatch(byte[]... values) throws IOException {
        nonNull(values, "values");
        for (int i = 0; i < values.length; i++) {
            if (values[i] == null) {
                throw new NullPointerException("values[" + i + "]");
            }
        }
        return committer.appendMany(0, values.length, new IndexedRecords() {
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
     * ALWAYS mode). The batch is left as it was (reset it to reuse it). Every record is
     * checked against the limits before any is appended.
     *
     * @param batch the records, at least one
     * @return the LSNs the records got, the first to the last
     * @throws NullPointerException if {@code batch} is null
     * @throws IllegalArgumentException if the batch is empty, or a record has a negative
     *     timestamp or exceeds the limits
     * @throws IOException as {@link #appendBatch(byte[]...)} does
     */
    public LsnRange appendBatch(Batch batch) throws IOException {
        return committer.appendMany(0, nonNull(batch, "batch").size(), batch);
    }

    /**
     * Appends the batch's records with the caller's consecutive LSNs {@code firstLsn},
     * {@code firstLsn + 1}, ..., as one write (and one sync in ALWAYS mode: it returns once
     * every one of them is durable). The rules of {@link #append(long, long, byte[], byte[])}
     * apply to the first: it must be greater than the last LSN (a gap is allowed). For a log
     * whose positions are the caller's, such as a Raft log's indexes.
     *
     * @param firstLsn the first record's LSN, greater than every LSN appended before
     * @param batch the records, at least one
     * @return the LSNs the records got: {@code firstLsn} to {@code firstLsn + batch.size() - 1}
     * @throws NullPointerException if {@code batch} is null
     * @throws IllegalArgumentException if {@code firstLsn} is 0, negative, not greater than the
     *     last LSN or too close to {@code Long.MAX_VALUE} for the batch, the batch is empty, or a
     *     record has a negative timestamp or exceeds the limits (the values are in the message)
     * @throws IOException as {@link #appendBatch(byte[]...)} does
     */
    public LsnRange appendBatch(long firstLsn, Batch batch) throws IOException {
        if (firstLsn <= 0) {
            throw new IllegalArgumentException("firstLsn=" + firstLsn + " must be > 0");
        }
        return committer.appendMany(firstLsn, nonNull(batch, "batch").size(), batch);
    }

    /** {@code o}, or a NullPointerException naming the parameter (a programming error, thrown before anything is appended). */
    private static <T> T nonNull(T o, String parameter) {
        if (o == null) {
            throw new NullPointerException(parameter);
        }
        return o;
    }

    // ---------------------------------------------------------------- durability

    /**
     * The durable watermark: every record with an LSN up to it is durable (its write and an
     * fdatasync after it returned 0); -1 before the first. Never ahead of {@link #lastLsn()};
     * lowered by {@link #truncateBack}. Read without the lock.
     *
     * @return the highest LSN up to which every record is durable, or -1 if none is
     */
    public long durableLsn() {
        return committer.durableLsn();
    }

    /**
     * The sync policy in force.
     *
     * @return the policy given at open or by the last {@link #setPolicy}
     */
    public SyncPolicy policy() {
        lock.lock();
        try {
            return committer.policy();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Changes the sync policy at run time. INTERVAL starts the background sync thread;
     * leaving INTERVAL stops it once no asynchronous append waits on it. Records appended
     * before keep the promise they were appended under (an ALWAYS append has returned
     * durable; others become durable at the next sync).
     *
     * @param newPolicy the policy from now on
     * @throws NullPointerException if {@code newPolicy} is null
     * @throws IOException if the journal is closed ({@link JournalClosedException}) or failed
     *     before ({@link JournalFailedException})
     */
    public void setPolicy(SyncPolicy newPolicy) throws IOException {
        java.util.Objects.requireNonNull(newPolicy, "newPolicy");
        lock.lock();
        try {
            lifecycle.checkOpen();
            committer.policy(newPolicy);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Makes every record appended so far durable (joins a sync round in progress, or leads
     * one); returns once they are.
     *
     * @throws JournalClosedException if the journal is closed
     * @throws JournalFailedException if the journal failed before
     * @throws OutcomeUnknownException if the write or sync failed: the records not yet durable
     *     may or may not be, and the journal has failed
     * @throws IOException if I/O fails
     */
    public void sync() throws IOException {
        lock.lock();
        try {
            lifecycle.checkOpen();
            committer.awaitDurableLocked(committer.lastLsn());
        } finally {
            lock.unlock();
        }
    }

    /**
     * Whether writes go through O_DIRECT.
     *
     * @return true if they do; false if {@link JournalOptions.Builder#direct} was not asked
     *     for, or was and the file system refused it (the journal fell back to buffered writes)
     */
    public boolean isDirect() {
        return writer.isDirect();
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
            if (lifecycle.isClosing()) {
                while (!released) {
                    closeDone.awaitUninterruptibly();
                }
                return;
            }
            committer.closing(); // no append starts from here on: lastLsn stays where it is
        } finally {
            lock.unlock();
        }
        IOException first = null;
        try {
            first = committer.makeAppendedDurable();
        } finally { // whatever ended the sync (an Error too), everything is released
            IOException releaseFailure = release();
            if (first == null) {
                first = releaseFailure;
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** Close, second part: stops the threads, closes the files, deletes the spares, releases the lock; returns the first error. */
    private IOException release() {
        List<Thread> threads = new ArrayList<>();
        lock.lock();
        try {
            committer.awaitNoRound();
            lifecycle.closed();
            for (Thread t : new Thread[] {committer.stopSyncer(), segments.stopPreparer()}) {
                if (t != null) {
                    threads.add(t);
                }
            }
        } finally {
            lock.unlock();
        }
        for (Thread t : threads) {
            joinUninterruptibly(t);
        }
        lock.lock();
        try {
            IOException first = segments.close();
            arena.close();
            try {
                ownerLock.close();
            } catch (IOException e) {
                first = first == null ? e : first;
            }
            return first;
        } finally {
            released = true;
            closeDone.signalAll();
            lock.unlock();
        }
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

    // ---------------------------------------------------------------- read

    /**
     * The first record the journal holds.
     *
     * @return the first record's LSN, or -1 if the journal is empty
     * @throws JournalClosedException if the journal is closed
     * @throws JournalFailedException if the journal failed before
     * @throws CorruptionException if the first segment holding records, scanned now because
     *     open did not, is damaged
     * @throws IOException if that scan fails
     */
    public long firstLsn() throws IOException {
        lock.lock();
        try {
            lifecycle.checkOpen();
            return segments.firstRecordLsn();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The last record the journal holds.
     *
     * @return the last record's LSN, or -1 if the journal is empty (also after {@link #reset()},
     *     though the next auto-assigned LSN follows the last one ever appended)
     * @throws JournalClosedException if the journal is closed
     * @throws JournalFailedException if the journal failed before
     */
    public long lastLsn() throws IOException {
        lock.lock();
        try {
            lifecycle.checkOpen();
            return segments.lastRecordLsn();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The LSN the next auto-assigned append gets: one above the highest LSN ever appended
     * (also across {@link #reset()} and {@link #truncateFront}), the LSN after the last kept
     * by {@link #truncateBack}, or what {@link #reset(long)} set; 1 for a new journal. A caller
     * choosing its own LSNs may append any LSN from it up.
     *
     * @return the next LSN, 1 or more
     * @throws JournalClosedException if the journal is closed
     * @throws JournalFailedException if the journal failed before
     */
    public long nextLsn() throws IOException {
        lock.lock();
        try {
            lifecycle.checkOpen();
            return committer.nextLsn();
        } finally {
            lock.unlock();
        }
    }

    /**
     * What {@link #open} found and did.
     *
     * @return the report: segments and records scanned, the torn tail cut, segments deleted
     */
    public RecoveryReport recoveryReport() {
        return recoveryReport;
    }

    /**
     * The I/O backend in use ({@link JournalOptions.Builder#ioBackend}).
     *
     * @return {@code "posix"} or {@code "java"}
     */
    public String ioBackend() {
        return io.name();
    }

    /**
     * Reads the record {@code lsn}, copying it onto the heap. A record just appended is
     * readable at once, durable or not.
     *
     * @param lsn the record's LSN, greater than 0
     * @return the record
     * @throws JournalClosedException if the journal is closed
     * @throws JournalFailedException if the journal failed before
     * @throws CorruptionException if the record's segment is damaged
     * @throws IllegalArgumentException if {@code lsn <= 0}
     * @throws LsnNotFoundException if there is no such record
     */
    public JournalRecord read(long lsn) throws IOException {
        return reader.read(lsn);
    }

    /**
     * Copies the value of record {@code lsn} into {@code dst} and returns its length; no
     * allocation. The value goes to {@code dst}'s start.
     *
     * @param lsn the record's LSN, greater than 0
     * @param dst where the value goes; at least the value's length
     * @return the value's length in bytes (what was copied)
     * @throws NullPointerException if {@code dst} is null
     * @throws IllegalArgumentException if dst is smaller than the value (both lengths named),
     *     or {@code lsn <= 0}
     * @throws LsnNotFoundException if there is no such record
     * @throws IOException as {@link #read(long)} does
     */
    public long readInto(long lsn, MemorySegment dst) throws IOException {
        return reader.readInto(lsn, nonNull(dst, "dst"));
    }

    /**
     * Copies the value of record {@code lsn} to the start of {@code dst}, as
     * {@link #readInto(long, MemorySegment)} does.
     *
     * @param lsn the record's LSN, greater than 0
     * @param dst where the value goes; at least the value's length
     * @return the value's length in bytes (what was copied)
     * @throws IOException as {@link #readInto(long, MemorySegment)} does
     */
    public int readInto(long lsn, byte[] dst) throws IOException {
        return (int) reader.readInto(lsn, MemorySegment.ofArray(nonNull(dst, "dst")));
    }

    /**
     * Calls {@code callback} for every record with LSN >= {@code fromLsn}, in LSN order, up to
     * the last record appended when the replay started. Reads in 1 MiB sequential chunks.
     * Appends may run meanwhile; they are not seen. A truncation that removes records this
     * replay still has to deliver ends it with an {@link IOException} saying so. Returns the
     * number of records replayed.
     *
     * @param <E> what {@code callback} may throw; nothing checked for a lambda that throws nothing
     * @param fromLsn the lowest LSN to deliver; 0 or 1 for every record
     * @param callback receives each record; the view is valid during the call only
     * @return the number of records replayed (0 if none is at or above {@code fromLsn})
     * @throws NullPointerException if {@code callback} is null
     * @throws IOException if a truncation removed records still to be delivered, the journal
     *     is closed or failed, a segment is damaged ({@link CorruptionException}), or a read fails
     * @throws E what the callback threw, which ends the replay
     */
    public <E extends Exception> long replay(long fromLsn, ReplayCallback<E> callback) throws IOException, E {
        return reader.replay(fromLsn, nonNull(callback, "callback"));
    }

    /**
     * An iterator over the records with LSN >= {@code fromLsn}, up to the last record appended
     * when it was created; the same snapshot, chunked reads and truncation rule as
     * {@link #replay}. Each record is copied onto the heap. I/O errors surface as
     * {@link java.io.UncheckedIOException}. Close it when done with it before its end.
     *
     * @param fromLsn the lowest LSN to deliver; 0 or 1 for every record
     * @return the iterator
     * @throws JournalClosedException if the journal is closed
     * @throws JournalFailedException if the journal failed before
     * @throws IOException if staged records cannot be written for the read
     */
    public JournalIterator iterator(long fromLsn) throws IOException {
        return reader.iterator(fromLsn);
    }

    /**
     * A reader that follows the journal from {@code fromLsn}: it delivers each record once it
     * is durable, waiting for the next one (with a timeout if asked), for replication and
     * change-data capture. See {@link TailReader} for what truncations do to it. Close it when
     * done.
     *
     * @param fromLsn the lowest LSN to deliver; 0 or 1 for every record, {@link #lastLsn()} + 1
     *     for only those appended from now on
     * @return the reader
     * @throws JournalClosedException if the journal is closed
     * @throws JournalFailedException if the journal failed before
     */
    public TailReader tail(long fromLsn) throws IOException {
        return reader.tail(fromLsn);
    }

    // ---------------------------------------------------------------- truncation

    /**
     * Keeps the records with {@code LSN <= lsn} and removes the rest, durably: later segments
     * are deleted (newest first, the directory synced after each) and the segment holding
     * {@code lsn} is cut after it and synced. LSNs of removed records may be appended again.
     * An {@code lsn} at or above the last LSN removes nothing; 0 removes every record.
     * Readers, iterators and tail readers that still had removed records to deliver end with an
     * {@link IOException}.
     *
     * @param lsn the last LSN to keep, 0 or more
     * @throws IllegalArgumentException if {@code lsn} is negative
     * @throws JournalClosedException if the journal is closed
     * @throws JournalFailedException if the journal failed before
     * @throws CorruptionException if the segment to cut is damaged
     * @throws IOException if a delete, write or sync fails; the journal has then failed
     */
    public void truncateBack(long lsn) throws IOException {
        truncation.truncateBack(lsn);
    }

    /**
     * Drops records with {@code LSN < lsn} (after a checkpoint) by deleting every segment
     * whose records all lie below it, then syncing the directory. Whole segments only: records
     * below {@code lsn} that share a segment with records at or above it stay readable until
     * that segment goes. The active segment is never deleted. Waits for a sync round that is
     * running (it may be syncing a segment about to go). Returns the segments deleted.
     *
     * @param lsn the lowest LSN that must stay readable
     * @return the number of segment files deleted (0 if none lies wholly below {@code lsn})
     * @throws JournalClosedException if the journal is closed
     * @throws JournalFailedException if the journal failed before
     * @throws IOException if a delete or the directory sync fails; the journal has then failed
     */
    public int truncateFront(long lsn) throws IOException {
        return truncation.truncateFront(lsn);
    }

    /**
     * Removes every record: a new empty segment is started first (so that a crash at any
     * point leaves a valid journal that still knows the last LSN), then every older segment
     * is deleted, oldest first. The next auto-assigned LSN follows the last one: LSNs are
     * never reused.
     *
     * @throws JournalClosedException if the journal is closed
     * @throws JournalFailedException if the journal failed before
     * @throws IOException if creating the segment, a delete or a sync fails; the journal has
     *     then failed
     */
    public void reset() throws IOException {
        truncation.reset();
    }

    /**
     * Removes every record, as {@link #reset()} does, and makes {@code nextLsn} the next LSN:
     * the next auto-assigned append gets it, and a caller's LSN must be at least it. Unlike
     * {@link #reset()}, {@code nextLsn} may be lower than LSNs appended before, which are then
     * appended again: for a log whose positions are the caller's, such as a Raft log reset to
     * the index after a snapshot. Durable when it returns, and atomic: a crash leaves either
     * the records as they were or none at {@code nextLsn} (the new segment's header says the
     * journal starts there, and an open after a crash finishes the reset). Readers end as after
     * {@link #reset()}.
     *
     * @param nextLsn the LSN the next record gets, 1 or more
     * @throws IllegalArgumentException if {@code nextLsn} is 0 or negative
     * @throws JournalClosedException if the journal is closed
     * @throws JournalFailedException if the journal failed before
     * @throws IOException if creating a segment, a delete or a sync fails; the journal has
     *     then failed
     */
    public void reset(long nextLsn) throws IOException {
        if (nextLsn <= 0) {
            throw new IllegalArgumentException("reset nextLsn=" + nextLsn + " must be > 0");
        }
        truncation.reset(nextLsn);
    }

    @Override
    public String toString() {
        return "Journal[dir=" + dir + " segments=" + segments.size() + " lastLsn=" + committer.lastLsn() + "]";
    }
}

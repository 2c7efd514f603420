package org.wal4j;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.wal4j.format.JournalFormat;
import org.wal4j.io.IoFile;
import org.wal4j.log.FailStop;
import org.wal4j.log.Segment;

// Over 700 lines on purpose: appends, rounds, the watermark, the parked appenders and the
// append gate are one protocol over the same few fields under one lock; split apart, each
// part would need every field of the others. The background sync thread is its own unit.
/**
 * Group commit: appends (LSNs, limits, rollover), sync rounds, the durable watermark, the
 * appenders waiting on it, the gate that holds appends out while a truncation runs, and the
 * fail-stop wake-up. The background sync thread is {@link BackgroundSync}.
 *
 * <p>A round: the first appender that needs durability and finds no round running leads one
 * for everything appended so far; the others wait (parked, woken by the leader, see
 * {@link #awaitDurableAppend}); the records appended meanwhile form the next round, led by
 * one of their appenders. No timer: a round closes when its leader starts it.
 *
 * <p>Guarded by the journal's lock: every field; {@link #durableLsn} is also read without it.
 * A round's write and fdatasync run outside the lock ({@link #syncing} is set meanwhile).
 *
 * <p>Invariants: {@link #durableLsn} never passes what a returned fdatasync covered, never
 * exceeds {@link #lastLsn}, and moves only up except at a truncation; at most one fdatasync of
 * the active segment runs at a time ({@link #awaitRoundSync}); a sealed segment's
 * DURABLE_MARK is written only after its fdatasync returned 0; after a failure no round's
 * success is trusted and no later sync is attempted.
 */
final class Committer {
    private static final System.Logger LOG = System.getLogger("org.wal4j");
    private static final MemorySegment EMPTY = MemorySegment.ofArray(new byte[0]);

    private final Path dir;
    private final JournalOptions options;
    private final ReentrantLock lock;
    private final Lifecycle lifecycle;
    private final FailStop failStop;
    private final SegmentSet segments;
    private final SegmentWriter writer;
    private final JournalMetrics metrics;
    private final long followerSpinNanos;
    private volatile SyncPolicy policy;
    /** The highest LSN ever appended (kept across reset and truncation), -1 if none. */
    private long lastLsn = -1;
    private volatile long durableLsn = -1;
    /** Wakes tail readers when {@link #durableLsn} moves, or the journal fails or closes. */
    private final DurableWatch durableWatch = new DurableWatch();
    /** A sync round's fdatasync is running outside the lock. */
    private boolean syncing;
    /** The running (or last) round's fdatasync (see {@link #awaitRoundSync}). */
    private RoundSync roundSync = RoundSync.NONE;
    /** Signalled when a sync round ends (or the journal fails). */
    private final Condition roundDone;
    /** Appenders parked until a round makes their record durable (see {@link #awaitDurableAppend}). */
    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
    /** The background sync thread, and the asynchronous appends it completes. */
    private final BackgroundSync background;
    /**
     * Counts truncations that removed records. A truncation runs only once every appended
     * record is durable, so a wait for durability that sees this change is over: its records
     * were durable when the truncation ran (and may have been removed by it since).
     */
    private long truncations;
    /**
     * Operations that need every appended record durable and no append in between
     * (truncateBack, reset) and are waiting for it or running: while this is above 0, new
     * appends wait at {@link #awaitAppendGate} (so a steady stream of appenders cannot starve
     * them).
     */
    private int quiescing;
    /** Signalled when {@link #quiescing} drops to 0. */
    private final Condition appendGate;

    Committer(Lifecycle lifecycle, JournalOptions options, ReentrantLock lock, SegmentSet segments, SegmentWriter writer,
            JournalMetrics metrics) {
        this.dir = lifecycle.dir();
        this.metrics = metrics;
        this.options = options;
        this.lock = lock;
        this.lifecycle = lifecycle;
        this.failStop = lifecycle.failStop();
        this.segments = segments;
        this.writer = writer;
        this.policy = options.syncPolicy();
        this.followerSpinNanos = options.followerSpin().toNanos();
        this.roundDone = lock.newCondition();
        this.appendGate = lock.newCondition();
        this.background = new BackgroundSync(lifecycle, lock, this);
    }

    // ---------------------------------------------------------------- appends

    long append(MemorySegment value) throws IOException {
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

    void append(long lsn, long timestamp, MemorySegment key, MemorySegment value) throws IOException {
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

    CompletableFuture<Long> appendAsync(MemorySegment value) {
        checkSizes(0, value.byteSize());
        return appendPending(true, 0, 0, EMPTY, value);
    }

    CompletableFuture<Long> appendAsync(long lsn, long timestamp, MemorySegment key, MemorySegment value) {
        return appendPending(false, lsn, timestamp, key, value);
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
            background.queue(lsn, future);
        } catch (IOException e) {
            future.completeExceptionally(e);
        } finally {
            lock.unlock();
        }
        return future;
    }

    /**
     * Every record is checked against the limits, and {@code firstLsn} against the last LSN,
     * before any is appended. {@code firstLsn} 0: the next auto-assigned LSN.
     */
    LsnRange appendMany(long firstLsn, int count, IndexedRecords records) throws IOException {
        if (count == 0) {
            throw new IllegalArgumentException("appendBatch needs at least one record");
        }
        if (firstLsn < 0 || firstLsn > Long.MAX_VALUE - count) {
            throw new IllegalArgumentException("firstLsn=" + firstLsn + " must be > 0 and leave room for "
                    + count + " records");
        }
        lock.lock();
        try {
            awaitAppendGate();
            if (firstLsn != 0 && firstLsn <= lastLsn) {
                throw new IllegalArgumentException("firstLsn=" + firstLsn + " must be greater than the last lsn=" + lastLsn);
            }
            for (int i = 0; i < count; i++) {
                checkTimestamp(records.timestamp(i));
                checkSizes(records.key(i).byteSize(), records.value(i).byteSize());
            }
            long first = firstLsn != 0 ? firstLsn : nextLsn();
            for (int i = 0; i < count; i++) {
                appendOrFail(first + i, records.timestamp(i), records.key(i), records.value(i));
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

    /** Lock held: the LSN the next auto-assigned record gets. */
    long nextLsn() {
        return lastLsn < 0 ? 1 : lastLsn + 1;
    }

    /** Lock held: the highest LSN ever appended (kept across reset and truncation), -1 if none. */
    long lastLsn() {
        return lastLsn;
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
        Segment active = segments.active();
        if (active == null) {
            active = startSegment(lsn, null);
        } else if (active.endOffset() + frameBytes > options.segmentBytes() && !active.isEmpty()) {
            active = rollover(lsn);
        }
        writer.stageRecord(active, lsn, timestamp, key, value, frameBytes);
        active.appended(lsn, frameBytes);
        metrics.appended(frameBytes);
        lastLsn = lsn;
        background.appended(frameBytes);
    }

    // ---------------------------------------------------------------- segments

    /** Lock held: creates the segment after {@code prev} at {@code baseLsn} and makes it active. */
    Segment startSegment(long baseLsn, Segment prev) throws IOException {
        return startSegment(baseLsn, prev, 0);
    }

    /** Lock held: as {@link #startSegment(long, Segment)}, with header flags. */
    Segment startSegment(long baseLsn, Segment prev, int flags) throws IOException {
        Segment s = segments.create(baseLsn, prev, flags);
        writer.activate(s);
        segments.startPreparer();
        return s;
    }

    /**
     * Seals the active segment and starts the next one at {@code baseLsn}. Only in ALWAYS
     * mode are the sealed frames synced now (so the next header records them durable); in the
     * other modes the next sync round does it and records it with a DURABLE_MARK.
     */
    private Segment rollover(long baseLsn) throws IOException {
        writer.flush();
        Segment sealed = segments.active();
        if (policy.mode() == SyncMode.ALWAYS) {
            syncSealed(sealed);
        }
        return startSegment(baseLsn, sealed);
    }

    /**
     * Syncs every sealed segment not yet synced, up to and including {@code through}, through
     * the descriptor that wrote it (a writeback error is reported to the descriptors open when
     * it happened), then closes its O_DIRECT descriptor.
     */
    void syncSealed(Segment through) throws IOException {
        awaitRoundSync();
        for (Segment s : segments) {
            if (s.id() > through.id()) {
                break;
            }
            if (s.id() > segments.durableThrough()) {
                s.writer().datasync();
            }
            if (s != segments.active()) {
                s.directWriter(null);
            }
        }
        segments.durableThrough(Math.max(segments.durableThrough(), through.id()));
    }

    // ---------------------------------------------------------------- the durable watermark

    /**
     * The durable watermark: every record with an LSN up to it is durable (its write and an
     * fdatasync after it returned 0); -1 before the first. Read without the lock.
     */
    long durableLsn() {
        return durableLsn;
    }

    SyncPolicy policy() {
        return policy;
    }

    /** What tail readers wait on. */
    DurableWatch durableWatch() {
        return durableWatch;
    }

    /** Lock held. */
    void policy(SyncPolicy newPolicy) {
        policy = newPolicy;
        background.update();
    }

    /**
     * Lock held. Returns once every record up to {@code lsn} is durable, leading a round if
     * none runs, else waiting for the running one; or once a truncation ran meanwhile (it ran
     * with everything durable).
     */
    void awaitDurableLocked(long lsn) throws IOException {
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

    // ---------------------------------------------------------------- rounds

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
        long roundEnd;
        long roundActivation;
        SegmentWriter.RoundWrite write = null;
        try {
            if (segments.isEmpty()) {
                durableLsn = Math.max(durableLsn, target);
                durableWatch.advanced();
                wakeWaiters();
                return;
            }
            if (segments.size() > 1) {
                Segment lastSealed = segments.get(segments.size() - 2);
                if (lastSealed.id() > segments.durableThrough()) {
                    syncSealed(lastSealed);
                    writer.writeDurableMark(lastSealed.id());
                }
            }
            writer.awaitRoundWrite();
            Segment roundSegment = segments.active();
            activeWriter = roundSegment.writer();
            if (writer.hasStaged()) {
                writer.stageSyncMark(roundSegment);
                write = writer.seal();
            }
            roundEnd = roundSegment.endOffset();
            roundActivation = writer.activations();
        } catch (IOException e) {
            throw failed(e, target);
        } catch (RuntimeException | Error unexpected) {
            fail(new IOException("sync round ended by " + unexpected, unexpected)); // wakes the appenders waiting for this round
            throw unexpected;
        }
        syncing = true;
        RoundSync synced = new RoundSync(1);
        roundSync = synced;
        background.resetUnsynced();
        long durableBefore = durableLsn;
        long coveredBytes = metrics.roundStarts();
        JournalEvents.SyncRound event = new JournalEvents.SyncRound();
        event.begin();
        long started = System.nanoTime();
        long written = started;
        long returned = started;
        IOException error = null;
        lock.unlock();
        try {
            if (write == null || write.run()) {
                written = System.nanoTime();
                activeWriter.datasync();
                returned = System.nanoTime();
            } else {
                error = write.error();
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
            writer.roundEnded(write);
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
            durableWatch.advanced();
        }
        writer.synced(roundActivation, roundEnd);
        wakeWaiters();
        background.roundEnded();
        long records = metrics.roundEnded(durableBefore, target, coveredBytes, written - started, returned - written);
        if (event.shouldCommit()) {
            event.dir = dir.toString();
            event.records = records;
            event.bytes = write != null ? write.bytes() : 0;
            event.writeNanos = written - started;
            event.syncNanos = returned - written;
            event.durableLsn = durableLsn;
            event.commit();
        }
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
    void awaitRoundSync() throws IOException {
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
    static void awaitUninterruptibly(CountDownLatch latch) {
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

    /** Lock held: returns once no sync round runs. */
    void awaitNoRound() {
        while (syncing) {
            roundDone.awaitUninterruptibly();
        }
    }

    // ---------------------------------------------------------------- quiet points, truncations, close

    /**
     * Lock held, at the start of an append: waits while a truncation or reset waits for the
     * journal to be quiet or runs, then checks the journal is open.
     */
    private void awaitAppendGate() throws IOException {
        while (quiescing > 0 && !lifecycle.isClosing() && !failStop.hasFailed()) {
            appendGate.awaitUninterruptibly();
        }
        lifecycle.checkOpen();
    }

    /**
     * Lock held: holds new appends out ({@link #awaitAppendGate}) and returns once every
     * record appended is durable and no sync round runs, with the lock held; the caller then
     * changes the segments and calls {@link #endQuiet}. Records staged meanwhile by appenders
     * that passed the gate before are made durable here too, so none is left staged in a
     * segment about to be cut or sealed.
     */
    void beginQuiet() throws IOException {
        quiescing++;
        try {
            awaitAllDurableAndNoRound();
            lifecycle.checkOpen();
        } catch (IOException | RuntimeException | Error e) {
            endQuiet();
            throw e;
        }
    }

    /** Lock held: returns once every record appended is durable and no round runs (leading the rounds it takes). */
    private void awaitAllDurableAndNoRound() throws IOException {
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
    }

    /** Lock held: lets appends in again after {@link #beginQuiet}. */
    void endQuiet() {
        if (--quiescing == 0) {
            appendGate.signalAll();
        }
    }

    /** Lock held, quiet: a truncation that removes records starts; waits for durability that began before it are over. */
    void truncationStarts() {
        truncations++;
    }

    /**
     * Lock held, quiet: a truncation left {@code last} as the last record (or the LSN before
     * the segments); LSNs above it will be new records.
     */
    void truncatedTo(long last) {
        lastLsn = last;
        durableLsn = Math.min(durableLsn, lastLsn);
        background.resetUnsynced(); // nothing unsynced is left
    }

    /** Lock held: {@code Journal.close} starts; appends waiting at the gate learn it, and tail readers. */
    void closing() {
        lifecycle.closing();
        appendGate.signalAll();
        durableWatch.advanced();
    }

    /**
     * Close, first part: makes every record appended so far durable (those of appenders staged
     * before close began too); returns what failed, or the failure the journal had.
     */
    IOException makeAppendedDurable() {
        lock.lock();
        try {
            if (failStop.hasFailed()) { // nothing written since the last good sync can be trusted: no sync now
                return new JournalFailedException(dir, failStop.failure());
            }
            awaitAllDurableAndNoRound();
            return null;
        } catch (IOException e) {
            return e;
        } finally {
            lock.unlock();
        }
    }

    /** Lock held: starts the background sync thread if INTERVAL or an asynchronous append needs it, and wakes it. */
    void updateSyncer() {
        background.update();
    }

    /** Lock held, the journal closed: wakes the sync thread to end; returns it to be joined (null if none runs). */
    Thread stopSyncer() {
        return background.stop();
    }

    /** Lock held, after recovery: the records it kept end at {@code last}. */
    void recovered(long last) {
        lastLsn = last;
        metrics.opened(nextLsn() - 1); // an empty journal (last -1) starts at LSN 1
    }

    // ---------------------------------------------------------------- fail-stop

    /**
     * Lock held: records the first failure of a write, sync, truncation or deletion, and wakes
     * every thread that waits on the journal, to learn it; returns {@code e} to throw.
     */
    IOException fail(IOException e) {
        if (failStop.fail(e)) {
            JournalEvents.FailStop event = new JournalEvents.FailStop();
            if (event.shouldCommit()) {
                event.dir = dir.toString();
                event.failure = e.toString();
                event.commit();
            }
            roundDone.signalAll();
            background.wakeAll();
            appendGate.signalAll();
            wakeWaiters();
            durableWatch.advanced();
        }
        return e;
    }

    /**
     * Fails the journal on {@code e} and returns what the caller whose records up to
     * {@code lsn} were in flight is told: their outcome is unknown.
     */
    OutcomeUnknownException failed(IOException e, long lsn) {
        fail(e);
        return new OutcomeUnknownException(dir, durableLsn + 1, Math.max(lsn, durableLsn + 1), e);
    }

    /** Lock held: writes what is staged (read-your-writes: staged frames go to the page cache first), failing the journal if that fails. */
    void flushForRead() throws IOException {
        if (!writer.hasUnwritten()) {
            return;
        }
        try {
            writer.flush();
        } catch (IOException e) {
            throw fail(e);
        }
    }
}

package org.wal4j;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.wal4j.log.FailStop;

/**
 * The {@code wal4j-sync} thread: completes asynchronous appends once their records are
 * durable (leading the sync rounds they need), and in INTERVAL mode syncs when a bound (bytes
 * or time since the first unsynced append) is reached. It runs only while INTERVAL or a
 * pending future needs it, and ends itself otherwise, and at close.
 *
 * <p>Guarded by the journal's lock: every field. Futures are completed outside the lock, so
 * their callbacks may call the journal (close included).
 *
 * <p>Invariants: a future completes with its LSN only once {@link Committer#durableLsn()}
 * reached it, and exceptionally only once the journal has failed; futures complete in LSN
 * order.
 */
final class BackgroundSync {
    private static final System.Logger LOG = System.getLogger("org.wal4j");
    /** The thread's name: this, then the journal's directory. */
    static final String THREAD_PREFIX = "wal4j-sync ";

    private final Path dir;
    private final Lifecycle lifecycle;
    private final FailStop failStop;
    private final ReentrantLock lock;
    private final Committer committer;
    /** Wakes the thread: an asynchronous append, a bound reached, a new policy, close. */
    private final Condition wake;
    /** Asynchronous appends not completed yet, in LSN order. */
    private final ArrayDeque<PendingAppend> pending = new ArrayDeque<>();
    private Thread thread;
    /** Frame bytes appended since the last sync round started (INTERVAL's byte bound). */
    private long unsyncedBytes;
    /** When the first of those bytes was appended (INTERVAL's time bound). */
    private long unsyncedSinceNanos;

    private record PendingAppend(long lsn, CompletableFuture<Long> future) {}

    BackgroundSync(Lifecycle lifecycle, ReentrantLock lock, Committer committer) {
        this.dir = lifecycle.dir();
        this.lifecycle = lifecycle;
        this.failStop = lifecycle.failStop();
        this.lock = lock;
        this.committer = committer;
        this.wake = lock.newCondition();
    }

    /** Lock held: {@code frameBytes} of a record were appended; starts the time bound, or says the byte bound is reached. */
    void appended(long frameBytes) {
        SyncPolicy policy = committer.policy();
        if (unsyncedBytes == 0) {
            unsyncedSinceNanos = System.nanoTime();
            if (policy.mode() == SyncMode.INTERVAL) {
                wake.signal(); // starts the time bound
            }
        }
        unsyncedBytes += frameBytes;
        if (policy.everyBytes() > 0 && unsyncedBytes >= policy.everyBytes() && unsyncedBytes - frameBytes < policy.everyBytes()) {
            wake.signal();
        }
    }

    /** Lock held: a round takes everything appended so far (or a truncation left nothing unsynced). */
    void resetUnsynced() {
        unsyncedBytes = 0;
    }

    /** Lock held: queues the future of the asynchronous append of {@code lsn}. */
    void queue(long lsn, CompletableFuture<Long> future) {
        pending.add(new PendingAppend(lsn, future));
        update();
    }

    /** Lock held, a round has ended: futures may be due. */
    void roundEnded() {
        if (!pending.isEmpty()) {
            wake.signal();
        }
    }

    /** Lock held, the journal failed: the thread completes the pending futures exceptionally. */
    void wakeAll() {
        wake.signalAll();
    }

    /** Lock held: starts the thread if INTERVAL or an asynchronous append needs it, and wakes it. */
    void update() {
        boolean wanted = committer.policy().mode() == SyncMode.INTERVAL || !pending.isEmpty();
        if (wanted && thread == null && !lifecycle.isClosed()) {
            thread = Thread.ofPlatform().name(THREAD_PREFIX + dir).daemon(true).unstarted(this::run);
            thread.start();
        }
        wake.signal();
    }

    /** Lock held, the journal closed: wakes the thread to end; returns it to be joined (null if none runs). */
    Thread stop() {
        wake.signalAll();
        return thread;
    }

    private void run() {
        List<PendingAppend> done = new ArrayList<>();
        lock.lock();
        try {
            while (true) {
                while (!pending.isEmpty() && (failStop.hasFailed() || pending.peekFirst().lsn() <= committer.durableLsn())) {
                    done.add(pending.pollFirst());
                }
                if (!done.isEmpty()) {
                    IOException f = failStop.failure();
                    long durable = committer.durableLsn();
                    lock.unlock();
                    try {
                        complete(done, durable, f);
                    } finally {
                        lock.lock();
                    }
                    done.clear();
                    continue;
                }
                long lastLsn = committer.lastLsn();
                if (!failStop.hasFailed() && lastLsn > committer.durableLsn() && (!pending.isEmpty() || syncDue())) {
                    try {
                        committer.awaitDurableLocked(lastLsn);
                    } catch (IOException e) {
                        // the journal has failed; the pending appends learn it above
                    }
                    continue;
                }
                if (lifecycle.isClosed() || failStop.hasFailed()
                        || (committer.policy().mode() != SyncMode.INTERVAL && pending.isEmpty())) {
                    return;
                }
                long waitNanos = nanosUntilDue();
                try {
                    if (waitNanos == Long.MAX_VALUE) {
                        wake.await();
                    } else {
                        wake.awaitNanos(waitNanos);
                    }
                } catch (InterruptedException e) {
                    LOG.log(System.Logger.Level.WARNING, "{0} was interrupted; it goes on (close() stops it)",
                            Thread.currentThread().getName());
                }
            }
        } finally {
            thread = null;
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
        return committer.policy().mode() == SyncMode.INTERVAL && unsyncedBytes > 0 && nanosUntilDue() <= 0;
    }

    /** Lock held: how long until an INTERVAL bound is reached; MAX_VALUE when nothing is unsynced or no time bound is set. */
    private long nanosUntilDue() {
        SyncPolicy policy = committer.policy();
        if (unsyncedBytes == 0 || committer.lastLsn() <= committer.durableLsn()) {
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
}

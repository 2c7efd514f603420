package org.wal4j;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * Lets tail readers wait for the durable watermark to move without the journal's lock, so a
 * reader that waits never holds up an appender or a round.
 *
 * <p>Guarded by its own lock, which is never held while the journal's lock is taken (a
 * caller of {@link #advanced} may hold the journal's lock; a waiter holds only this one).
 *
 * <p>Invariant: no wake-up is lost. A waiter counts itself in {@link #waiting} before it reads
 * the state it waits for, and the committer writes that state (volatile) before it reads
 * {@link #waiting}: one of the two sees the other's write, so either the waiter sees the new
 * state or {@link #advanced} signals it, under this lock, which the waiter holds from its check
 * to its await. When nobody waits, {@link #advanced} is one volatile read.
 */
final class DurableWatch {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition moved = lock.newCondition();
    private final AtomicInteger waiting = new AtomicInteger();

    /** The watermark moved, records were truncated, or the journal closed or failed: wakes every waiter. */
    void advanced() {
        if (waiting.get() > 0) {
            lock.lock();
            try {
                moved.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * Waits until {@code ready} is true or {@code timeoutNanos} passed ({@code Long.MAX_VALUE}:
     * no limit); returns {@code ready}'s last value. {@code ready} reads volatile state only.
     */
    boolean await(BooleanSupplier ready, long timeoutNanos) throws InterruptedException {
        waiting.incrementAndGet();
        lock.lock();
        try {
            long left = timeoutNanos;
            while (!ready.getAsBoolean()) {
                if (timeoutNanos == Long.MAX_VALUE) {
                    moved.await();
                } else {
                    if (left <= 0) {
                        return false;
                    }
                    left = moved.awaitNanos(left);
                }
            }
            return true;
        } finally {
            lock.unlock();
            waiting.decrementAndGet();
        }
    }

    /** A timeout in nanoseconds; one too long to count is no limit. */
    static long nanos(java.time.Duration d) {
        try {
            return Math.max(0, d.toNanos());
        } catch (ArithmeticException tooLong) {
            return Long.MAX_VALUE;
        }
    }
}

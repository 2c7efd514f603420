package org.wal4j.compat.gohacks;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * One daemon thread that runs a task every interval until {@link #stop()} or until the task
 * returns false. stop() returns only when the thread has ended, so a log leaves no thread
 * behind.
 *
 * <p>stop() signals a condition and never interrupts the thread: an interrupt that lands
 * inside a FileChannel call closes the channel (JavaIo), which would break the log's file.
 */
final class IntervalSyncer {
    private static final System.Logger LOG = System.getLogger(IntervalSyncer.class.getPackageName());

    private final long intervalNanos;
    private final BooleanSupplier task;
    private final Thread thread;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition stopRequested = lock.newCondition();
    private boolean stopping;

    IntervalSyncer(String threadName, Duration interval, BooleanSupplier task) {
        this.intervalNanos = interval.toNanos();
        this.task = task;
        this.thread = Thread.ofPlatform().name(threadName).daemon(true).unstarted(this::run);
    }

    void start() {
        thread.start();
    }

    /** Stops the thread and waits for it to end (a sync in progress finishes first). */
    void stop() {
        lock.lock();
        try {
            stopping = true;
            stopRequested.signalAll();
        } finally {
            lock.unlock();
        }
        if (Thread.currentThread() == thread) {
            return;
        }
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    Thread thread() {
        return thread;
    }

    private void run() {
        long next = System.nanoTime() + intervalNanos;
        while (true) {
            lock.lock();
            try {
                long waitNanos;
                while (!stopping && (waitNanos = next - System.nanoTime()) > 0) {
                    stopRequested.awaitNanos(Math.min(waitNanos, TimeUnit.DAYS.toNanos(1)));
                }
                if (stopping) {
                    return;
                }
            } catch (InterruptedException e) {
                LOG.log(System.Logger.Level.WARNING, "{0} was interrupted; time-based syncing stops",
                        Thread.currentThread().getName());
                return;
            } finally {
                lock.unlock();
            }
            if (!task.getAsBoolean()) {
                return;
            }
            // Fixed delay after a slow sync rather than a burst of catch-up syncs.
            long now = System.nanoTime();
            next = next + intervalNanos - now > 0 ? next + intervalNanos : now + intervalNanos;
        }
    }
}

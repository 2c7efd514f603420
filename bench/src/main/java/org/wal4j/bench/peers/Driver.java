package org.wal4j.bench.peers;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * Runs a fixed number of operations on T threads (platform or virtual) that start together,
 * each timing every operation into its own histogram; the wall time runs from the first
 * thread's start to the end of the last operation, both read on the threads themselves (a
 * coordinator's clock would start late when the threads keep every CPU busy). Latency is from
 * an operation's call to its return: a virtual thread waiting for a carrier before the call
 * is in the wall time, not in the latency.
 */
final class Driver {
    static final long HIGHEST_NANOS = TimeUnit.SECONDS.toNanos(60);

    /** One operation of one thread; {@code i} counts that thread's operations from 0. */
    @FunctionalInterface
    interface Op {
        void run(int thread, long i) throws Exception;
    }

    /** What a run measured. */
    record Run(long ops, double seconds, Histogram latencyNanos) {
        double opsPerSecond() {
            return ops / seconds;
        }
    }

    private Driver() {}

    /**
     * {@code ops} operations split evenly over {@code threads} threads (the remainder
     * dropped), virtual threads if {@code virtual}.
     */
    static Run run(int threads, boolean virtual, long ops, Op op) throws Exception {
        long each = ops / threads;
        CyclicBarrier start = new CyclicBarrier(threads + 1);
        CountDownLatch done = new CountDownLatch(threads);
        List<Histogram> hs = new ArrayList<>();
        AtomicLong firstStart = new AtomicLong(Long.MAX_VALUE);
        AtomicLong lastEnd = new AtomicLong();
        Throwable[] error = new Throwable[1];
        for (int t = 0; t < threads; t++) {
            Histogram h = new Histogram(HIGHEST_NANOS, 3);
            hs.add(h);
            int thread = t;
            Runnable body = () -> {
                try {
                    start.await();
                    firstStart.accumulateAndGet(System.nanoTime(), Math::min);
                    for (long i = 0; i < each; i++) {
                        long t0 = System.nanoTime();
                        op.run(thread, i);
                        h.recordValue(Math.min(System.nanoTime() - t0, HIGHEST_NANOS));
                    }
                    lastEnd.accumulateAndGet(System.nanoTime(), Math::max);
                } catch (Throwable e) {
                    synchronized (error) {
                        if (error[0] == null) {
                            error[0] = e;
                        }
                    }
                } finally {
                    done.countDown();
                }
            };
            if (virtual) {
                Thread.ofVirtual().name("peer-v" + t).start(body);
            } else {
                Thread.ofPlatform().name("peer-" + t).daemon().start(body);
            }
        }
        start.await();
        if (!done.await(30, TimeUnit.MINUTES)) {
            throw new IllegalStateException("the threads did not finish in 30 minutes");
        }
        synchronized (error) {
            if (error[0] != null) {
                throw error[0] instanceof Exception e ? e : new IllegalStateException(error[0]);
            }
        }
        Histogram all = new Histogram(HIGHEST_NANOS, 3);
        hs.forEach(all::add);
        return new Run(each * threads, (lastEnd.get() - firstStart.get()) / 1e9, all);
    }
}

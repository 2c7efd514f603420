package org.wal4j.bench;

import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Not a JMH benchmark: how many blocked threads this machine can wake per second, with no
 * I/O at all. It is the ceiling of durable appends/s for N threads each blocked in ALWAYS
 * mode, because each such append ends with its thread parked and woken once. One leader and
 * N workers play group commit with an ideal batch: in each round the leader wakes all N
 * workers and waits until every one has come back and parked again (the journal's leader
 * may not wait like that), so every round carries N "appends". Prints wakeups/s and the
 * process CPU time per wakeup.
 * {@code java -cp bench/target/wal4j-bench.jar org.wal4j.bench.WakeupProbe <threads> [seconds]}
 */
public final class WakeupProbe {
    private WakeupProbe() {}

    public static void main(String[] args) throws InterruptedException {
        int n = Integer.parseInt(args[0]);
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 4;
        Thread leader = Thread.currentThread();
        AtomicInteger arrived = new AtomicInteger();
        AtomicLong round = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        Thread[] workers = new Thread[n];
        for (int i = 0; i < n; i++) {
            workers[i] = Thread.ofPlatform().daemon(true).start(() -> {
                long seen = 0;
                while (true) {
                    while (round.get() == seen && !stop.get()) {
                        LockSupport.park();
                    }
                    if (stop.get()) {
                        return;
                    }
                    seen = round.get();
                    if (arrived.incrementAndGet() == n) {
                        LockSupport.unpark(leader);
                    }
                }
            });
        }
        rounds(workers, arrived, round, 1.0); // warm-up (JIT)
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long cpu0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        long rounds = rounds(workers, arrived, round, seconds);
        double secs = (System.nanoTime() - t0) / 1e9;
        double cpuSecs = (os.getProcessCpuTime() - cpu0) / 1e9;
        stop.set(true);
        for (Thread w : workers) {
            LockSupport.unpark(w);
            w.join();
        }
        int cores = Runtime.getRuntime().availableProcessors();
        System.out.printf("threads=%d: %.0f wakeups/s (%.0f rounds/s), process CPU %.0f%% of %d cores, %.1f us CPU per wakeup%n",
                n, rounds * n / secs, rounds / secs, 100.0 * cpuSecs / secs / cores, cores, cpuSecs * 1e6 / (rounds * (double) n));
    }

    private static long rounds(Thread[] workers, AtomicInteger arrived, AtomicLong round, double seconds) {
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        long rounds = 0;
        while (System.nanoTime() < deadline) {
            arrived.set(0);
            round.incrementAndGet();
            for (Thread w : workers) {
                LockSupport.unpark(w);
            }
            while (arrived.get() < workers.length) {
                LockSupport.park();
            }
            rounds++;
        }
        return rounds;
    }
}

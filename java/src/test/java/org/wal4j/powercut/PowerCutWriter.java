package org.wal4j.powercut;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.wal4j.Journal;
import org.wal4j.SyncMode;

/**
 * The child JVM of {@link PowerCutTest}: {@code <dir> <config> <run> <seed>}. Opens the
 * journal and appends until the power is cut, printing one line per acknowledged record
 * and one before and after each truncation, each line written and flushed before the next
 * step:
 *
 * <pre>
 * open FIRST LAST .                 after open
 * ack LSN RUN THREAD SEQ LEN CRC .  the record is acknowledged durable (see below)
 * tb? K .  /  tb K .                truncateBack(K) called / returned
 * tf? K .  /  tf K DELETED .        truncateFront(K) called / returned
 * reset? .  /  reset .              reset() called / returned (the journal, the gohacks port)
 * </pre>
 *
 * <p>What acknowledged means follows the sync mode: ALWAYS, {@code append} returned;
 * NONE (the control, which must lose records), also {@code append} returned;
 * the gohacks port, a {@code sync()} called after the append returned; the go-wally port
 * ({@code noSync=false}), {@code append} returned;
 * INTERVAL, a {@code sync()} called after the append returned, or {@code durableLsn()}
 * read after it was at or above the LSN. Truncations hold a write lock that the appenders
 * hold for reading around append-and-print, so that no ack line of a record a truncateBack
 * removed can follow that truncation's line.
 */
public final class PowerCutWriter {
    private static final PrintStream OUT = System.out;

    private PowerCutWriter() {}

    private static void say(String line) {
        synchronized (OUT) {
            OUT.println(line);
            OUT.flush();
        }
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Config config = Config.parse(args[1]);
        int run = Integer.parseInt(args[2]);
        long seed = Long.parseLong(args[3]);
        switch (config.engine()) {
            case GOHACKS -> {
                gohacks(dir, run, new SplittableRandom(seed));
                return;
            }
            case WALLY -> {
                wally(dir, run, new SplittableRandom(seed));
                return;
            }
            case JOURNAL -> { }
        }
        Journal j = Journal.open(dir, config.options());
        say("open " + j.firstLsn() + " " + j.lastLsn() + " .");
        ReentrantReadWriteLock rw = new ReentrantReadWriteLock();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < config.threads(); t++) {
            int thread = t;
            SplittableRandom random = new SplittableRandom(seed + 7919L * t);
            threads.add(Thread.ofPlatform().name("writer-" + t).start(() -> {
                try {
                    if (config.mode() == SyncMode.INTERVAL) {
                        interval(j, run, thread, random, rw);
                    } else {
                        always(j, run, thread, random, rw);
                    }
                } catch (Throwable e) {
                    System.err.println("writer-" + thread + ": " + e); // expected once the power is cut
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        Thread.sleep(Long.MAX_VALUE); // the parent kills this process
    }

    private static void always(Journal j, int run, int thread, SplittableRandom random, ReentrantReadWriteLock rw)
            throws Exception {
        for (int seq = 0; ; seq++) {
            if (thread == 0) {
                maybeTruncate(j, random, rw, null);
            }
            byte[] value = new Payload(run, thread, seq).bytes();
            rw.readLock().lock();
            try {
                long lsn = j.append(value);
                say(ack(lsn, run, thread, seq, value));
            } finally {
                rw.readLock().unlock();
            }
        }
    }

    private record Pending(long lsn, String line) {}

    private static void interval(Journal j, int run, int thread, SplittableRandom random, ReentrantReadWriteLock rw)
            throws Exception {
        ArrayDeque<Pending> pending = new ArrayDeque<>();
        int untilSync = 1 + random.nextInt(64);
        for (int seq = 0; ; seq++) {
            maybeTruncate(j, random, rw, pending);
            byte[] value = new Payload(run, thread, seq).bytes();
            long lsn = j.append(value);
            pending.add(new Pending(lsn, ack(lsn, run, thread, seq, value)));
            if (--untilSync == 0) {
                untilSync = 1 + random.nextInt(64);
                j.sync();
                acknowledge(pending, Long.MAX_VALUE);
            } else {
                acknowledge(pending, j.durableLsn());
            }
        }
    }

    /** Prints the acks of the pending records up to {@code durable}, in one write. */
    private static void acknowledge(ArrayDeque<Pending> pending, long durable) {
        StringBuilder lines = new StringBuilder();
        while (!pending.isEmpty() && pending.peekFirst().lsn() <= durable) {
            lines.append(pending.pollFirst().line()).append('\n');
        }
        if (!lines.isEmpty()) {
            synchronized (OUT) {
                OUT.print(lines);
                OUT.flush();
            }
        }
    }

    private static void maybeTruncate(Journal j, SplittableRandom random, ReentrantReadWriteLock rw,
                                      ArrayDeque<Pending> pending) throws Exception {
        int dice = random.nextInt(1000);
        if (dice >= 12) {
            return;
        }
        rw.writeLock().lock();
        try {
            long first = j.firstLsn();
            long last = j.lastLsn();
            if (last < 0) {
                return;
            }
            if (dice == 0) { // about every 1000: start again (LSNs go on from the last)
                say("reset? .");
                j.reset();
                if (pending != null) {
                    pending.clear();
                }
                say("reset .");
            } else if (dice < 4) { // about every 330 appends: cut a few records off the end
                long k = Math.max(first, last - random.nextInt(40));
                say("tb? " + k + " .");
                j.truncateBack(k);
                if (pending != null) {
                    pending.removeIf(p -> p.lsn() > k); // gone: never to be acknowledged
                }
                say("tb " + k + " .");
            } else { // about every 125: a checkpoint that keeps the last ~150 records
                long k = last - 150;
                if (k <= first) {
                    return;
                }
                say("tf? " + k + " .");
                int deleted = j.truncateFront(k);
                say("tf " + k + " " + deleted + " .");
            }
        } finally {
            rw.writeLock().unlock();
        }
    }

    /** The gohacks port: LSNs 1, 2, ... chosen here; acks after sync(); a reset() once the file passes 4 MiB. */
    private static void gohacks(Path dir, int run, SplittableRandom random) throws Exception {
        java.nio.file.Files.createDirectories(dir);
        try (var wal = org.wal4j.compat.gohacks.WriteAheadLog.open(dir.resolve("gohacks.wal"),
                Config.GOHACKS_SYNC.gohacksPolicy())) {
            say("open - " + wal.lastLsn() + " .");
            ArrayDeque<Pending> pending = new ArrayDeque<>();
            int untilSync = 1 + random.nextInt(32);
            for (int seq = 0; ; seq++) {
                if (wal.sizeBytes() > 4 << 20) {
                    say("reset? .");
                    wal.reset();
                    pending.clear(); // reset removed them, durably
                    say("reset .");
                }
                byte[] value = new Payload(run, 0, seq).bytes();
                long lsn = wal.lastLsn() + 1;
                wal.append(lsn, 1, new byte[0], value);
                pending.add(new Pending(lsn, ack(lsn, run, 0, seq, value)));
                if (--untilSync == 0) {
                    untilSync = 1 + random.nextInt(32);
                    wal.sync();
                    acknowledge(pending, Long.MAX_VALUE);
                }
            }
        } catch (Throwable e) {
            System.err.println("gohacks writer: " + e); // expected once the power is cut
            Thread.sleep(Long.MAX_VALUE);
        }
    }

    /** The go-wally port with noSync=false: indexes 1, 2, ...; acks after append; truncateBack now and then. */
    private static void wally(Path dir, int run, SplittableRandom random) throws Exception {
        java.nio.file.Files.createDirectories(dir);
        try (var log = org.wal4j.compat.wally.Log.open(dir.resolve("wally.log"), org.wal4j.compat.wally.Options.defaults())) {
            say("open 1 " + log.lastIndex() + " .");
            for (int seq = 0; ; seq++) {
                long last = log.lastIndex();
                if (random.nextInt(250) == 0 && last > 0) {
                    long k = Math.max(1, last - random.nextInt(40));
                    say("tb? " + k + " .");
                    log.truncateBack(k);
                    say("tb " + k + " .");
                }
                byte[] value = new Payload(run, 0, seq).bytes();
                long index = log.append(value);
                say(ack(index, run, 0, seq, value));
            }
        } catch (Throwable e) {
            System.err.println("wally writer: " + e); // expected once the power is cut
            Thread.sleep(Long.MAX_VALUE);
        }
    }

    private static String ack(long lsn, int run, int thread, int seq, byte[] value) {
        return "ack " + lsn + " " + run + " " + thread + " " + seq + " " + value.length + " " + Payload.crc(value) + " .";
    }
}

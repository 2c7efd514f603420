package org.wal4j.io;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * A test {@link IoBackend} over a real one that counts calls and fails chosen ones: the Nth
 * write, datasync, fsync or directory sync (counted from when the rule is set) fails with the
 * given errno, as the kernel would report it, after which calls pass through again (a journal
 * must not have gone on); {@link #gateNth} holds one call until the test lets it go. {@link #interruptingPosix} instead makes PosixIo's own pwrite and
 * sync loops meet EINTR and short writes, which must be invisible above the backend.
 */
public final class FaultInjectingIo implements IoBackend {

    /** The calls that can be counted and failed. */
    public enum Call {
        /** {@code write} and {@code writeDsync}. */
        WRITE,
        DATASYNC,
        SYNC,
        SYNC_DIRECTORY
    }

    private final IoBackend delegate;
    private final Map<Call, AtomicLong> counts = new EnumMap<>(Call.class);
    private final Map<Call, long[]> failAt = new EnumMap<>(Call.class); // {call number, errno}
    private final Map<Call, Gate> gates = new EnumMap<>(Call.class);
    private volatile Predicate<Path> pathFilter = p -> true;

    private FaultInjectingIo(IoBackend delegate) {
        this.delegate = delegate;
        for (Call c : Call.values()) {
            counts.put(c, new AtomicLong());
        }
    }

    /** Counts and fails calls of {@code delegate}. */
    public static FaultInjectingIo over(IoBackend delegate) {
        return new FaultInjectingIo(delegate);
    }

    /**
     * PosixIo whose pwrite returns short counts (a random 1..n bytes) and whose pwrite and
     * syncs fail with EINTR, each about one time in {@code oneIn}; seeded by the caller's
     * ThreadLocalRandom. Requires PosixIo.
     */
    public static FaultInjectingIo interruptingPosix(int oneIn, AtomicLong injected) {
        return new FaultInjectingIo(PosixIo.withSyscallFaults(new PosixIo.SyscallFaults() {
            @Override
            public long pwrite(long length) {
                ThreadLocalRandom r = ThreadLocalRandom.current();
                if (r.nextInt(oneIn) == 0) {
                    injected.incrementAndGet();
                    return -Errno.EINTR;
                }
                if (length > 1 && r.nextInt(oneIn) == 0) {
                    injected.incrementAndGet();
                    return 1 + r.nextLong(length - 1);
                }
                return length;
            }

            @Override
            public int sync() {
                if (ThreadLocalRandom.current().nextInt(oneIn) == 0) {
                    injected.incrementAndGet();
                    return -Errno.EINTR;
                }
                return 0;
            }
        }));
    }

    /** Fails the {@code nth} {@code call} from now (1 = the next) with {@code errno}; only that one. */
    public FaultInjectingIo failNth(Call call, long nth, int errno) {
        synchronized (failAt) {
            failAt.put(call, new long[] {counts.get(call).get() + nth, errno});
        }
        return this;
    }

    /**
     * Holds the {@code nth} {@code call} from now at a gate until the test opens it (then a
     * {@link #failNth} rule for the same call still applies): to see what the journal does
     * while that call is in flight.
     */
    public Gate gateNth(Call call, long nth) {
        Gate g = new Gate(counts.get(call).get() + nth);
        synchronized (failAt) {
            gates.put(call, g);
        }
        return g;
    }

    /** See {@link #gateNth}. */
    public static final class Gate {
        private final long at;
        private final java.util.concurrent.CountDownLatch reached = new java.util.concurrent.CountDownLatch(1);
        private final java.util.concurrent.CountDownLatch opened = new java.util.concurrent.CountDownLatch(1);

        private Gate(long at) {
            this.at = at;
        }

        /** Waits until the call is held at the gate; false after 10 s. */
        public boolean awaitReached() throws InterruptedException {
            return reached.await(10, java.util.concurrent.TimeUnit.SECONDS);
        }

        /** Lets the held call go on. */
        public void open() {
            opened.countDown();
        }

        private void pass() {
            reached.countDown();
            boolean interrupted = false;
            while (true) {
                try {
                    opened.await();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Counts and fails only calls on paths {@code filter} accepts (default: all). */
    public FaultInjectingIo onlyPaths(Predicate<Path> filter) {
        this.pathFilter = filter;
        return this;
    }

    /** How many {@code call}s were made (on accepted paths), failed ones included. */
    public long count(Call call) {
        return counts.get(call).get();
    }

    private void enter(Call call, String name, Path path) throws IoCallException {
        if (!pathFilter.test(path)) {
            return;
        }
        long n = counts.get(call).incrementAndGet();
        Gate gate;
        synchronized (failAt) {
            gate = gates.get(call);
            if (gate != null && gate.at == n) {
                gates.remove(call);
            } else {
                gate = null;
            }
        }
        if (gate != null) {
            gate.pass();
        }
        synchronized (failAt) {
            long[] rule = failAt.get(call);
            if (rule != null && rule[0] == n) {
                failAt.remove(call);
                throw new IoCallException(name, path, (int) rule[1], "(injected)", null);
            }
        }
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public boolean supportsAllocate() {
        return delegate.supportsAllocate();
    }

    /** The real backend's lock: a lock file is no simulated state. */
    @Override
    public LockedFile tryLockExclusive(Path file, int createMode) throws IOException {
        return delegate.tryLockExclusive(file, createMode);
    }

    @Override
    public void syncDirectory(Path dir) throws IOException {
        enter(Call.SYNC_DIRECTORY, "fsync", dir);
        delegate.syncDirectory(dir);
    }

    @Override
    public IoFile open(Path path, OpenFlag... flags) throws IOException {
        return new Faulty(delegate.open(path, flags));
    }

    private final class Faulty extends ForwardingIoFile {
        Faulty(IoFile f) {
            super(f);
        }

        @Override
        public void write(long offset, MemorySegment src) throws IOException {
            enter(Call.WRITE, "pwrite", f.path());
            f.write(offset, src);
        }

        @Override
        public void writeDsync(long offset, MemorySegment src) throws IOException {
            enter(Call.WRITE, "pwritev2", f.path());
            f.writeDsync(offset, src);
        }

        @Override
        public void datasync() throws IOException {
            enter(Call.DATASYNC, "fdatasync", f.path());
            f.datasync();
        }

        @Override
        public void sync() throws IOException {
            enter(Call.SYNC, "fsync", f.path());
            f.sync();
        }

        @Override
        public void zeroFill(long offset, long length) throws IOException {
            f.zeroFill(offset, length); // its writes are the delegate's, not counted
        }
    }
}

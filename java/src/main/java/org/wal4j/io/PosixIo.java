package org.wal4j.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.EnumSet;
import org.wal4j.bindings.libc.Libc;

/**
 * The I/O backend that calls libc directly through FFM: {@code open}, {@code pwrite},
 * {@code pwritev2(RWF_DSYNC)}, {@code pread}, {@code fdatasync}, {@code fsync},
 * {@code fallocate}, {@code ftruncate}, {@code statx}, with errno captured per call.
 *
 * <p>Buffers should be native {@link MemorySegment}s (off-heap); a heap segment is copied
 * through a temporary native buffer. Available when the OS is Linux on x86-64 (the
 * architecture the bindings were generated for), native access is enabled for this code
 * ({@code --enable-native-access=ALL-UNNAMED}, or {@code Enable-Native-Access} in an
 * executable jar's manifest) and the libc symbols resolve; {@link #unavailableReason()}
 * says which of these failed.
 */
public final class PosixIo implements IoBackend {
    private static final System.Logger LOG = System.getLogger("org.wal4j.io");
    private static final String UNAVAILABLE_REASON = probe();
    private static final PosixIo INSTANCE = new PosixIo(null);

    /** Null except in tests: see {@link SyscallFaults}. */
    private final SyscallFaults faults;

    private PosixIo(SyscallFaults faults) {
        this.faults = faults;
    }

    /**
     * Test seam: makes pwrite and the syncs meet EINTR and short writes before the kernel
     * does, so that the retry loops are exercised. Package-private; production code never
     * sets one.
     */
    interface SyscallFaults {
        /** The byte count to pass to pwrite instead of {@code length} (1 to length), or -EINTR to fail it unrun. */
        long pwrite(long length);

        /** 0 to run fdatasync/fsync, or -EINTR to fail it unrun. */
        int sync();
    }

    /** A PosixIo whose files consult {@code faults} before every pwrite and sync (tests only). */
    static PosixIo withSyscallFaults(SyscallFaults faults) {
        instance();
        return new PosixIo(java.util.Objects.requireNonNull(faults));
    }

    /** Whether this backend can be used in this JVM. */
    public static boolean isAvailable() {
        return UNAVAILABLE_REASON == null;
    }

    /** Why {@link #isAvailable()} is false, or null when it is true. */
    public static String unavailableReason() {
        return UNAVAILABLE_REASON;
    }

    /**
     * The backend.
     *
     * @throws IllegalStateException with {@link #unavailableReason()} if it is unavailable
     */
    public static PosixIo instance() {
        if (UNAVAILABLE_REASON != null) {
            throw new IllegalStateException("PosixIo is unavailable: " + UNAVAILABLE_REASON);
        }
        return INSTANCE;
    }

    /** The instance if available, else null (no exception). */
    static PosixIo instanceOrNull() {
        return UNAVAILABLE_REASON == null ? INSTANCE : null;
    }

    private static String probe() {
        String reason = unavailability();
        if (reason != null) {
            LOG.log(System.Logger.Level.INFO, "wal4j PosixIo unavailable, JavaIo is the fallback: {0}", reason);
        }
        return reason;
    }

    private static String unavailability() {
        String os = System.getProperty("os.name", "");
        if (!os.equals("Linux")) {
            return "os.name=" + os + " (PosixIo is for Linux)";
        }
        String arch = System.getProperty("os.arch", "");
        if (!arch.equals("amd64") && !arch.equals("x86_64")) {
            return "os.arch=" + arch + " (the bindings were generated for linux-x86_64;"
                    + " constants such as O_DIRECT differ on other architectures)";
        }
        Module module = PosixIo.class.getModule();
        if (!module.isNativeAccessEnabled()) {
            String who = module.isNamed() ? module.getName() : "ALL-UNNAMED";
            return "native access is not enabled (run java with --enable-native-access=" + who
                    + ", or put 'Enable-Native-Access: ALL-UNNAMED' in an executable jar's manifest)";
        }
        try {
            int rc = Syscalls.fdatasync(-1);
            if (rc != -Errno.EBADF) {
                return "libc probe fdatasync(-1) returned " + rc + ", expected -EBADF";
            }
        } catch (Throwable t) {
            return "libc symbols did not link: " + t;
        }
        return null;
    }

    @Override
    public String name() {
        return "posix";
    }

    @Override
    public boolean supportsAllocate() {
        return true;
    }

    @Override
    public IoFile open(Path path, OpenFlag... flags) throws IOException {
        return open(path, 0644, flags);
    }

    @Override
    public IoFile open(Path path, int createMode, OpenFlag... flags) throws IOException {
        EnumSet<OpenFlag> set = flagSet(flags);
        int oflags = Libc.O_CLOEXEC();
        boolean read = set.contains(OpenFlag.READ);
        boolean write = set.contains(OpenFlag.WRITE);
        if (read && write) {
            oflags |= Libc.O_RDWR();
        } else if (write) {
            oflags |= Libc.O_WRONLY();
        } else if (read) {
            oflags |= Libc.O_RDONLY();
        } else {
            throw new IllegalArgumentException("open needs READ or WRITE: flags=" + set + " path=" + path);
        }
        if (set.contains(OpenFlag.CREATE_NEW)) {
            oflags |= Libc.O_CREAT() | Libc.O_EXCL();
        } else if (set.contains(OpenFlag.CREATE)) {
            oflags |= Libc.O_CREAT();
        }
        if (set.contains(OpenFlag.TRUNCATE)) {
            oflags |= Libc.O_TRUNC();
        }
        if (set.contains(OpenFlag.DIRECT)) {
            oflags |= Libc.O_DIRECT();
        }
        if (set.contains(OpenFlag.DSYNC)) {
            oflags |= Libc.O_DSYNC();
        }
        int fd = openRetrying(path, oflags, createMode, "flags=" + set);
        boolean direct = set.contains(OpenFlag.DIRECT);
        int alignment = 1;
        if (direct) {
            int[] err = new int[1];
            Syscalls.FileStat st = Syscalls.fstat(fd, err);
            if (st == null) {
                Syscalls.close(fd);
                throw new IoCallException("statx", path, err[0], "", null);
            }
            if (st.dioKnown() && st.dioOffsetAlign() == 0) {
                Syscalls.close(fd);
                throw new IoCallException("open", path, Errno.EINVAL,
                        "(statx says this file does not support O_DIRECT: STATX_DIOALIGN is 0)", null);
            }
            alignment = directAlignment(st);
        }
        return new PosixFile(path, fd, direct, alignment, faults);
    }

    /**
     * O_DIRECT alignment of a file: statx's DIO alignment (Linux 6.1+, the larger of memory and
     * offset alignment), else 4096, which every common logical block size divides (stx_blksize
     * is the preferred I/O size, up to MiBs on some filesystems: too strict to use here).
     */
    private static int directAlignment(Syscalls.FileStat st) {
        if (st.dioKnown() && st.dioOffsetAlign() > 0) {
            return Math.max(st.dioOffsetAlign(), st.dioMemAlign());
        }
        return DirectAlignment.DEFAULT;
    }

    private static int openRetrying(Path path, int oflags, int mode, String detail) throws IoCallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cPath = arena.allocateFrom(path.toAbsolutePath().toString());
            for (;;) {
                int fd = Syscalls.open(cPath, oflags, mode);
                if (fd >= 0) {
                    return fd;
                }
                if (fd != -Errno.EINTR) {
                    throw new IoCallException("open", path, -fd, detail, null);
                }
            }
        }
    }

    @Override
    public void syncDirectory(Path dir) throws IOException {
        int fd = openRetrying(dir, Libc.O_RDONLY() | Libc.O_DIRECTORY() | Libc.O_CLOEXEC(), 0, "(directory)");
        try {
            int rc;
            do {
                rc = Syscalls.fsync(fd);
            } while (rc == -Errno.EINTR);
            if (rc < 0) {
                throw new IoCallException("fsync", dir, -rc, "(directory)", null);
            }
        } finally {
            Syscalls.close(fd);
        }
    }

    /**
     * An open file description lock ({@code F_OFD_SETLK}, Linux 3.15+): it belongs to this
     * descriptor, so no other descriptor of the file can release it, in this process or any.
     * A kernel without OFD locks (EINVAL) gets the POSIX record lock of the default instead.
     */
    @Override
    public LockedFile tryLockExclusive(Path file, int createMode) throws IOException {
        int fd = openRetrying(file, Libc.O_RDWR() | Libc.O_CREAT() | Libc.O_CLOEXEC(), createMode, "(lock file)");
        int rc;
        do {
            rc = Syscalls.fcntlLock(fd, Libc.F_OFD_SETLK(), Libc.F_WRLCK());
        } while (rc == -Errno.EINTR);
        if (rc == 0) {
            return new OfdLock(file, fd);
        }
        Syscalls.close(fd); // it holds no lock: closing it releases nothing
        if (rc == -Errno.EAGAIN || rc == -Errno.EACCES) {
            return null;
        }
        if (rc == -Errno.EINVAL) {
            return ChannelLock.tryLock(file, createMode);
        }
        throw new IoCallException("fcntl", file, -rc, "(F_OFD_SETLK)", null);
    }

    /** A descriptor holding an open file description lock on its file. */
    private static final class OfdLock implements LockedFile {
        private final Path path;
        private final int fd;
        private boolean closed;

        OfdLock(Path path, int fd) {
            this.path = path;
            this.fd = fd;
        }

        @Override
        public Path path() {
            return path;
        }

        @Override
        public boolean ownedByDescriptor() {
            return true;
        }

        @Override
        public synchronized void close() throws IOException {
            if (closed) {
                return;
            }
            closed = true;
            int rc = Syscalls.close(fd); // the description's last descriptor: the lock goes with it
            if (rc < 0 && rc != -Errno.EINTR) {
                throw new IoCallException("close", path, -rc, "(lock file)", null);
            }
        }
    }

    static EnumSet<OpenFlag> flagSet(OpenFlag... flags) {
        EnumSet<OpenFlag> set = EnumSet.noneOf(OpenFlag.class);
        for (OpenFlag f : flags) {
            set.add(f);
        }
        return set;
    }

    @Override
    public String toString() {
        return "PosixIo";
    }

    /** An open file descriptor. */
    static final class PosixFile implements IoFile {
        private final Path path;
        private final int fd;
        private final boolean direct;
        private final int alignment;
        private final CloseGuard guard;
        private final SyscallFaults faults;

        PosixFile(Path path, int fd, boolean direct, int alignment, SyscallFaults faults) {
            this.path = path;
            this.fd = fd;
            this.direct = direct;
            this.alignment = alignment;
            this.guard = new CloseGuard(path);
            this.faults = faults;
        }

        @Override
        public Path path() {
            return path;
        }

        @Override
        public boolean isDirect() {
            return direct;
        }

        @Override
        public int directAlignment() {
            return alignment;
        }

        /**
         * The descriptor, for the C reference loops; valid only between
         * {@link #acquire(String)} and {@link #release()}.
         */
        int fd() {
            return fd;
        }

        void acquire(String call) throws IoCallException {
            guard.acquire(call);
        }

        void release() {
            if (guard.release()) {
                closeDeferred();
            }
        }

        /** The last call in flight after close() releases the fd; its error can only be logged. */
        private void closeDeferred() {
            int rc = Syscalls.close(fd);
            if (rc < 0) {
                LOG.log(System.Logger.Level.WARNING, "close failed: {0} (errno={1}) path={2}",
                        Errno.name(-rc), -rc, path);
            }
        }

        @Override
        public void write(long offset, MemorySegment src) throws IOException {
            writeAll("pwrite", offset, src, 0);
        }

        @Override
        public void writeDsync(long offset, MemorySegment src) throws IOException {
            writeAll("pwritev2", offset, src, Libc.RWF_DSYNC());
        }

        @Override
        public boolean supportsWriteDsync() {
            return true;
        }

        /** pwrite (rwfFlags == 0) or pwritev2 with rwfFlags, until all of src is written. */
        private void writeAll(String call, long offset, MemorySegment src, int rwfFlags) throws IOException {
            checkOffset(call, offset);
            long length = src.byteSize();
            try (Arena bounce = src.isNative() ? null : Arena.ofConfined()) {
                MemorySegment buf = bounce == null ? src : copyToNative(bounce, src);
                if (direct) {
                    DirectAlignment.check(call, path, alignment, offset, buf);
                }
                acquire(call);
                try {
                    long done = 0;
                    while (done < length) {
                        MemorySegment rest = done == 0 ? buf : buf.asSlice(done);
                        long ask = faults == null ? length - done : faults.pwrite(length - done);
                        long n = ask < 0 ? ask
                                : rwfFlags == 0
                                ? Syscalls.pwrite(fd, rest, ask, offset + done)
                                : Syscalls.pwritev2(fd, rest, ask, offset + done, rwfFlags);
                        if (n > 0) {
                            done += n;
                        } else if (n == 0) {
                            throw new IoCallException(call, path, Errno.EIO,
                                    "(wrote 0 bytes) offset=" + (offset + done) + " length=" + (length - done), null);
                        } else if (n != -Errno.EINTR) {
                            throw new IoCallException(call, path, (int) -n,
                                    "offset=" + (offset + done) + " length=" + (length - done) + " written=" + done, null);
                        }
                    }
                } finally {
                    release();
                }
            }
        }

        private MemorySegment copyToNative(Arena arena, MemorySegment src) {
            MemorySegment buf = arena.allocate(Math.max(src.byteSize(), 1), Math.max(alignment, 8));
            return buf.asSlice(0, src.byteSize()).copyFrom(src);
        }

        @Override
        public long read(long offset, MemorySegment dst) throws IOException {
            checkOffset("pread", offset);
            long length = dst.byteSize();
            try (Arena bounce = dst.isNative() ? null : Arena.ofConfined()) {
                MemorySegment buf = bounce == null ? dst
                        : bounce.allocate(Math.max(length, 1), Math.max(alignment, 8)).asSlice(0, length);
                if (direct) {
                    DirectAlignment.check("pread", path, alignment, offset, buf);
                }
                long done = 0;
                acquire("pread");
                try {
                    while (done < length) {
                        MemorySegment rest = done == 0 ? buf : buf.asSlice(done);
                        long n = Syscalls.pread(fd, rest, length - done, offset + done);
                        if (n > 0) {
                            done += n;
                        } else if (n == 0) {
                            break;
                        } else if (n != -Errno.EINTR) {
                            throw new IoCallException("pread", path, (int) -n,
                                    "offset=" + (offset + done) + " length=" + (length - done), null);
                        }
                    }
                } finally {
                    release();
                }
                if (bounce != null) {
                    dst.asSlice(0, done).copyFrom(buf.asSlice(0, done));
                }
                return done;
            }
        }

        @Override
        public void datasync() throws IOException {
            syncRetrying("fdatasync", false);
        }

        @Override
        public void sync() throws IOException {
            syncRetrying("fsync", true);
        }

        // EINTR means the sync did not run to completion, not that writeback failed, so
        // it is retried; any other error is reported at once and never retried here.
        private void syncRetrying(String call, boolean full) throws IOException {
            acquire(call);
            try {
                int rc;
                do {
                    rc = faults != null && faults.sync() < 0 ? -Errno.EINTR
                            : full ? Syscalls.fsync(fd) : Syscalls.fdatasync(fd);
                } while (rc == -Errno.EINTR);
                if (rc < 0) {
                    throw new IoCallException(call, path, -rc, "", null);
                }
            } finally {
                release();
            }
        }

        @Override
        public void allocate(long offset, long length) throws IOException {
            checkOffset("fallocate", offset);
            if (length <= 0) {
                throw new IllegalArgumentException("fallocate length=" + length + " must be > 0 path=" + path);
            }
            acquire("fallocate");
            try {
                int rc;
                do {
                    rc = Syscalls.fallocate(fd, 0, offset, length);
                } while (rc == -Errno.EINTR);
                if (rc < 0) {
                    throw new IoCallException("fallocate", path, -rc, "offset=" + offset + " length=" + length, null);
                }
            } finally {
                release();
            }
        }

        @Override
        public void truncate(long size) throws IOException {
            long current = size();
            if (size < 0 || size > current) {
                throw new IllegalArgumentException(
                        "truncate size=" + size + " must be in [0, " + current + "] path=" + path);
            }
            acquire("ftruncate");
            try {
                int rc;
                do {
                    rc = Syscalls.ftruncate(fd, size);
                } while (rc == -Errno.EINTR);
                if (rc < 0) {
                    throw new IoCallException("ftruncate", path, -rc, "size=" + size, null);
                }
            } finally {
                release();
            }
        }

        @Override
        public long size() throws IOException {
            acquire("statx");
            try {
                int[] err = new int[1];
                Syscalls.FileStat st = Syscalls.fstat(fd, err);
                if (st == null) {
                    throw new IoCallException("statx", path, err[0], "", null);
                }
                return st.size();
            } finally {
                release();
            }
        }

        @Override
        public void close() throws IoCallException {
            if (guard.close()) {
                // never retried: Linux releases the fd even when close reports an error (EINTR, EIO)
                int rc = Syscalls.close(fd);
                if (rc < 0) {
                    throw new IoCallException("close", path, -rc, "", null);
                }
            }
        }

        private void checkOffset(String call, long offset) {
            if (offset < 0) {
                throw new IllegalArgumentException(call + " offset=" + offset + " must be >= 0 path=" + path);
            }
        }

        @Override
        public String toString() {
            return "PosixFile[path=" + path + " fd=" + fd + (direct ? " O_DIRECT align=" + alignment : "") + "]";
        }
    }
}

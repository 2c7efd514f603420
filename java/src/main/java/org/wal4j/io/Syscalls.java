package org.wal4j.io;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import org.wal4j.bindings.libc.Libc;
import org.wal4j.bindings.libc.flock;
import org.wal4j.bindings.libc.iovec;
import org.wal4j.bindings.libc.statx;

/**
 * The libc calls PosixIo makes, with errno.
 *
 * <p>This is the one hand-written class over the jextract bindings, because jextract cannot
 * express errno: by the time a generated downcall returns to Java, the JVM may have run code
 * that overwrote errno. Each handle here is the generated function's address and descriptor
 * linked again with {@code Linker.Option.captureCallState("errno")}, which copies errno into
 * a segment passed with the call. That segment is per thread (never one shared by all
 * threads), so concurrent calls cannot see each other's errno. {@code open} and {@code fcntl}
 * are variadic, so their descriptors are written here with {@code firstVariadicArg}.
 *
 * <p>Every wrapper returns the call's result, or {@code -errno} when it failed. None is
 * linked as {@code critical}: these calls block.
 *
 * <p>Initializing this class links native code: only PosixIo touches it, and only once it
 * knows native access is enabled.
 */
final class Syscalls {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    private static final MethodHandle OPEN = LINKER.downcallHandle(
            Libc.open.address(),
            FunctionDescriptor.of(Libc.C_INT, Libc.C_POINTER, Libc.C_INT, Libc.C_INT),
            Linker.Option.firstVariadicArg(2), CAPTURE_ERRNO);
    private static final MethodHandle FCNTL_LOCK = LINKER.downcallHandle(
            Libc.fcntl.address(),
            FunctionDescriptor.of(Libc.C_INT, Libc.C_INT, Libc.C_INT, Libc.C_POINTER),
            Linker.Option.firstVariadicArg(2), CAPTURE_ERRNO);
    private static final MethodHandle CLOSE = capturing(Libc.close$address(), Libc.close$descriptor());
    private static final MethodHandle PREAD = capturing(Libc.pread$address(), Libc.pread$descriptor());
    private static final MethodHandle PWRITE = capturing(Libc.pwrite$address(), Libc.pwrite$descriptor());
    private static final MethodHandle PWRITEV2 = capturing(Libc.pwritev2$address(), Libc.pwritev2$descriptor());
    private static final MethodHandle FDATASYNC = capturing(Libc.fdatasync$address(), Libc.fdatasync$descriptor());
    private static final MethodHandle FSYNC = capturing(Libc.fsync$address(), Libc.fsync$descriptor());
    private static final MethodHandle FALLOCATE = capturing(Libc.fallocate$address(), Libc.fallocate$descriptor());
    private static final MethodHandle FTRUNCATE = capturing(Libc.ftruncate$address(), Libc.ftruncate$descriptor());
    private static final MethodHandle STATX = capturing(Libc.statx$address(), Libc.statx$descriptor());

    private static final MemorySegment EMPTY_PATH = Arena.global().allocateFrom("");

    /** Per-thread argument space: the errno capture, one iovec, one struct statx. */
    private static final class Scratch {
        final MemorySegment capture;
        final MemorySegment iov;
        final MemorySegment statxBuf;
        final MemorySegment lock;

        Scratch() {
            Arena arena = Arena.ofAuto();
            capture = arena.allocate(CAPTURE_LAYOUT);
            iov = arena.allocate(iovec.layout());
            statxBuf = arena.allocate(statx.layout());
            lock = arena.allocate(flock.layout());
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private Syscalls() {}

    private static MethodHandle capturing(MemorySegment address, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(address, descriptor, CAPTURE_ERRNO);
    }

    private static int errno(MemorySegment capture) {
        return (int) ERRNO.get(capture, 0L);
    }

    static int open(MemorySegment cPath, int flags, int mode) {
        MemorySegment capture = SCRATCH.get().capture;
        try {
            int r = (int) OPEN.invokeExact(capture, cPath, flags, mode);
            return r < 0 ? -errno(capture) : r;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * {@code fcntl(fd, cmd, &lock)} with a {@code struct flock} of {@code type} over the whole
     * file ({@code F_OFD_SETLK} / {@code F_SETLK} with {@code F_WRLCK} or {@code F_UNLCK}).
     */
    static int fcntlLock(int fd, int cmd, int type) {
        Scratch scratch = SCRATCH.get();
        MemorySegment lock = scratch.lock;
        lock.fill((byte) 0); // l_start = l_len = 0: the whole file; l_pid must be 0 for OFD locks
        flock.l_type(lock, (short) type);
        flock.l_whence(lock, (short) Libc.SEEK_SET());
        try {
            int r = (int) FCNTL_LOCK.invokeExact(scratch.capture, fd, cmd, lock);
            return r < 0 ? -errno(scratch.capture) : r;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static int close(int fd) {
        MemorySegment capture = SCRATCH.get().capture;
        try {
            int r = (int) CLOSE.invokeExact(capture, fd);
            return r < 0 ? -errno(capture) : r;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static long pread(int fd, MemorySegment buf, long length, long offset) {
        MemorySegment capture = SCRATCH.get().capture;
        try {
            long r = (long) PREAD.invokeExact(capture, fd, buf, length, offset);
            return r < 0 ? -errno(capture) : r;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static long pwrite(int fd, MemorySegment buf, long length, long offset) {
        MemorySegment capture = SCRATCH.get().capture;
        try {
            long r = (long) PWRITE.invokeExact(capture, fd, buf, length, offset);
            return r < 0 ? -errno(capture) : r;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** pwritev2 of one buffer with {@code flags} (RWF_DSYNC). */
    static long pwritev2(int fd, MemorySegment buf, long length, long offset, int flags) {
        Scratch scratch = SCRATCH.get();
        iovec.iov_base(scratch.iov, buf);
        iovec.iov_len(scratch.iov, length);
        try {
            long r = (long) PWRITEV2.invokeExact(scratch.capture, fd, scratch.iov, 1, offset, flags);
            return r < 0 ? -errno(scratch.capture) : r;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static int fdatasync(int fd) {
        MemorySegment capture = SCRATCH.get().capture;
        try {
            int r = (int) FDATASYNC.invokeExact(capture, fd);
            return r < 0 ? -errno(capture) : r;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static int fsync(int fd) {
        MemorySegment capture = SCRATCH.get().capture;
        try {
            int r = (int) FSYNC.invokeExact(capture, fd);
            return r < 0 ? -errno(capture) : r;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static int fallocate(int fd, int mode, long offset, long length) {
        MemorySegment capture = SCRATCH.get().capture;
        try {
            int r = (int) FALLOCATE.invokeExact(capture, fd, mode, offset, length);
            return r < 0 ? -errno(capture) : r;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static int ftruncate(int fd, long length) {
        MemorySegment capture = SCRATCH.get().capture;
        try {
            int r = (int) FTRUNCATE.invokeExact(capture, fd, length);
            return r < 0 ? -errno(capture) : r;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** What statx(fd, "", AT_EMPTY_PATH, ...) says about an open file. */
    record FileStat(long size, int blockSize, int dioMemAlign, int dioOffsetAlign, boolean dioKnown) {}

    /** statx on an open fd; returns null and stores -errno in {@code errOut[0]} on failure. */
    static FileStat fstat(int fd, int[] errOut) {
        Scratch scratch = SCRATCH.get();
        int mask = Libc.STATX_SIZE() | Libc.STATX_DIOALIGN();
        try {
            int r = (int) STATX.invokeExact(scratch.capture, fd, EMPTY_PATH, Libc.AT_EMPTY_PATH(), mask, scratch.statxBuf);
            if (r < 0) {
                errOut[0] = -errno(scratch.capture);
                return null;
            }
        } catch (Throwable t) {
            throw unexpected(t);
        }
        MemorySegment s = scratch.statxBuf;
        boolean dioKnown = (statx.stx_mask(s) & Libc.STATX_DIOALIGN()) != 0;
        return new FileStat(statx.stx_size(s), statx.stx_blksize(s),
                statx.stx_dio_mem_align(s), statx.stx_dio_offset_align(s), dioKnown);
    }

    // strerrorname_np and strerrordesc_np exist since glibc 2.32: looked up optionally (the
    // generated bindings would throw on an older glibc), so a message can always be built.
    private static final MethodHandle ERRNO_NAME = optional("strerrorname_np");
    private static final MethodHandle ERRNO_DESC = optional("strerrordesc_np");

    private static MethodHandle optional(String symbol) {
        return LINKER.defaultLookup().find(symbol)
                .map(address -> LINKER.downcallHandle(address, FunctionDescriptor.of(Libc.C_POINTER, Libc.C_INT)))
                .orElse(null);
    }

    /** glibc's name for errno ("EIO"), or null if it has none or is older than 2.32. */
    static String errnoName(int errno) {
        return cString(ERRNO_NAME, errno);
    }

    /** glibc's description of errno ("Input/output error"), or null. */
    static String errnoDescription(int errno) {
        return cString(ERRNO_DESC, errno);
    }

    private static String cString(MethodHandle handle, int errno) {
        if (handle == null) {
            return null;
        }
        try {
            MemorySegment p = (MemorySegment) handle.invokeExact(errno);
            return p.equals(MemorySegment.NULL) ? null : p.reinterpret(Long.MAX_VALUE).getString(0);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static AssertionError unexpected(Throwable t) {
        if (t instanceof Error e) {
            throw e;
        }
        if (t instanceof RuntimeException e) {
            throw e;
        }
        return new AssertionError("downcall threw a checked exception", t);
    }
}

package org.wal4j.io;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.function.IntSupplier;
import org.wal4j.bindings.wal4j.Wal4j;

/**
 * The C reference loops of libwal4j: write-and-sync operations run and timed in C, the
 * baseline that {@code wal4j fsync-test} and the benchmarks compare the Java paths against.
 * See {@code native/include/wal4j.h} for the exact contract.
 */
public final class CReferenceLoop {

    /** What each operation of the loop does. How the file was opened is part of the method. */
    public enum Method {
        /** pwrite, then fdatasync. */
        PWRITE_FDATASYNC(Wal4j::WAL4J_LOOP_PWRITE_FDATASYNC),
        /** pwrite, then fsync. */
        PWRITE_FSYNC(Wal4j::WAL4J_LOOP_PWRITE_FSYNC),
        /** pwrite alone, for a file opened with O_DSYNC. */
        PWRITE(Wal4j::WAL4J_LOOP_PWRITE),
        /** pwritev2 with RWF_DSYNC. */
        PWRITEV2_DSYNC(Wal4j::WAL4J_LOOP_PWRITEV2_DSYNC),
        /** memcpy into a shared mapping of [0, wrapBytes), then msync(MS_SYNC) of the pages written. */
        MMAP_MSYNC(Wal4j::WAL4J_LOOP_MMAP_MSYNC);

        // Looked up only when a loop runs: initializing the bindings class needs native
        // access, and the enum must be usable (listed, parsed) without it.
        final IntSupplier code;

        Method(IntSupplier code) {
            this.code = code;
        }
    }

    private CReferenceLoop() {}

    /** Whether libwal4j is loaded (it needs PosixIo, and the library in the jar). */
    public static boolean isAvailable() {
        return NativeLibrary.isAvailable();
    }

    /** Why {@link #isAvailable()} is false, or null. */
    public static String unavailableReason() {
        return NativeLibrary.unavailableReason();
    }

    /**
     * Runs up to {@code maxOps} operations {@code firstOp, firstOp + 1, ...}; operation k
     * writes {@code buf} at {@code (k * buf.byteSize()) % wrapBytes}, or at
     * {@code k * buf.byteSize()} when {@code wrapBytes <= 0}; one that would cross
     * {@code wrapBytes} writes at 0 instead. Stops before an operation that
     * would start at or after {@code deadlineNanos} ({@link System#nanoTime()}'s clock).
     *
     * @param file a file opened by {@link PosixIo}
     * @param buf a native segment; aligned if the file is O_DIRECT
     * @param latenciesNanos receives each operation's latency, as longs; at least
     *     {@code maxOps * 8} bytes
     * @return the number of operations done
     * @throws IoCallException if a call failed (errno and method in the message)
     * @throws IllegalStateException if libwal4j is unavailable
     */
    public static long run(IoFile file, Method method, MemorySegment buf, long firstOp, long wrapBytes,
                           long maxOps, long deadlineNanos, MemorySegment latenciesNanos) throws IOException {
        if (!isAvailable()) {
            throw new IllegalStateException("libwal4j is unavailable: " + unavailableReason());
        }
        if (!(file instanceof PosixIo.PosixFile posixFile)) {
            throw new IllegalArgumentException("the C loop needs a PosixIo file, got " + file);
        }
        if (!buf.isNative() || !latenciesNanos.isNative()) {
            throw new IllegalArgumentException("the C loop needs native segments: buf=" + buf + " latencies=" + latenciesNanos);
        }
        if (maxOps < 0 || latenciesNanos.byteSize() < maxOps * Long.BYTES) {
            throw new IllegalArgumentException("maxOps=" + maxOps + " latencies bytes=" + latenciesNanos.byteSize());
        }
        if (file.isDirect()) {
            DirectAlignment.check("wal4j_fsync_loop", file.path(), file.directAlignment(), 0, buf);
        }
        posixFile.acquire("wal4j_fsync_loop");
        try {
            if (method == Method.MMAP_MSYNC && (wrapBytes <= 0 || file.size() < wrapBytes)) {
                // a mapping touched past the end of the file would kill the JVM with SIGBUS
                throw new IllegalArgumentException("MMAP_MSYNC needs 0 < wrapBytes <= file size: wrapBytes=" + wrapBytes
                        + " fileBytes=" + file.size() + " path=" + file.path());
            }
            long r = Wal4j.wal4j_fsync_loop(posixFile.fd(), method.code.getAsInt(), buf, buf.byteSize(), firstOp, wrapBytes,
                    maxOps, deadlineNanos, latenciesNanos);
            if (r < 0) {
                throw new IoCallException("wal4j_fsync_loop", file.path(), (int) -r,
                        "method=" + method + " length=" + buf.byteSize(), null);
            }
            return r;
        } finally {
            posixFile.release();
        }
    }
}

package org.wal4j.cli;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import org.HdrHistogram.Histogram;
import org.wal4j.io.CReferenceLoop;
import org.wal4j.io.IoFile;

/**
 * Runs operations k = firstOp, firstOp + 1, ... of one method on one path and records each
 * one's latency. Operation k writes at {@link #offsetOf}, the same rule as the C loop's
 * (native/include/wal4j.h), so all paths do the same I/O.
 */
interface OpLoop extends AutoCloseable {

    /**
     * Runs up to {@code maxOps} operations, stopping before one that would start at or after
     * {@code deadlineNanos}; returns how many ran.
     */
    long run(long firstOp, long maxOps, long deadlineNanos, Histogram latencyNanos) throws IOException;

    @Override
    void close() throws IOException;

    static long offsetOf(long k, long length, long wrapBytes) {
        if (wrapBytes <= 0) {
            return k * length;
        }
        long offset = (k * length) % wrapBytes;
        return offset + length > wrapBytes ? 0 : offset;
    }

    /** The FFM and Java paths: IoFile calls timed with System.nanoTime. */
    final class IoFileLoop implements OpLoop {
        private final IoFile file;
        private final FsyncMethod.Op op;
        private final MemorySegment buf;
        private final long wrapBytes;

        IoFileLoop(IoFile file, FsyncMethod.Op op, MemorySegment buf, long wrapBytes) {
            this.file = file;
            this.op = op;
            this.buf = buf;
            this.wrapBytes = wrapBytes;
        }

        @Override
        public long run(long firstOp, long maxOps, long deadlineNanos, Histogram latencyNanos) throws IOException {
            long length = buf.byteSize();
            long done = 0;
            for (; done < maxOps; done++) {
                long t0 = System.nanoTime();
                if (t0 >= deadlineNanos) {
                    break;
                }
                long offset = offsetOf(firstOp + done, length, wrapBytes);
                switch (op) {
                    case WRITE_DATASYNC -> {
                        file.write(offset, buf);
                        file.datasync();
                    }
                    case WRITE_SYNC -> {
                        file.write(offset, buf);
                        file.sync();
                    }
                    case WRITE -> file.write(offset, buf);
                    case WRITE_DSYNC -> file.writeDsync(offset, buf);
                    case MAPPED_FORCE -> throw new IllegalStateException("mmap runs in MappedLoop");
                }
                latencyNanos.recordValue(System.nanoTime() - t0);
            }
            return done;
        }

        @Override
        public void close() throws IOException {
            file.close();
        }
    }

    /** The C path: libwal4j's loop, in chunks, its own latencies copied into the histogram. */
    final class CLoop implements OpLoop {
        private static final int CHUNK_OPS = 4096;
        private final IoFile file;
        private final CReferenceLoop.Method method;
        private final MemorySegment buf;
        private final long wrapBytes;
        // shared: the loop is opened on one thread and run on a --threads writer
        private final Arena arena = Arena.ofShared();
        private final MemorySegment latencies = arena.allocate(CHUNK_OPS * (long) Long.BYTES, Long.BYTES);

        CLoop(IoFile file, CReferenceLoop.Method method, MemorySegment buf, long wrapBytes) {
            this.file = file;
            this.method = method;
            this.buf = buf;
            this.wrapBytes = wrapBytes;
        }

        @Override
        public long run(long firstOp, long maxOps, long deadlineNanos, Histogram latencyNanos) throws IOException {
            long done = 0;
            while (done < maxOps) {
                long chunk = Math.min(CHUNK_OPS, maxOps - done);
                long n = CReferenceLoop.run(file, method, buf, firstOp + done, wrapBytes, chunk, deadlineNanos, latencies);
                for (long i = 0; i < n; i++) {
                    latencyNanos.recordValue(latencies.getAtIndex(java.lang.foreign.ValueLayout.JAVA_LONG, i));
                }
                done += n;
                if (n < chunk) {
                    break;
                }
            }
            return done;
        }

        @Override
        public void close() throws IOException {
            arena.close();
            file.close();
        }
    }

    /** The Java mmap path: copy into a mapped MemorySegment, then force() (msync) the slice. */
    final class MappedLoop implements OpLoop {
        private final FileChannel channel;
        private final Arena arena = Arena.ofShared();
        private final MemorySegment mapped;
        private final MemorySegment buf;
        private final long wrapBytes;

        MappedLoop(FileChannel channel, MemorySegment buf, long wrapBytes) throws IOException {
            this.channel = channel;
            this.buf = buf;
            this.wrapBytes = wrapBytes;
            this.mapped = channel.map(FileChannel.MapMode.READ_WRITE, 0, wrapBytes, arena);
        }

        @Override
        public long run(long firstOp, long maxOps, long deadlineNanos, Histogram latencyNanos) {
            long length = buf.byteSize();
            long done = 0;
            for (; done < maxOps; done++) {
                long t0 = System.nanoTime();
                if (t0 >= deadlineNanos) {
                    break;
                }
                MemorySegment target = mapped.asSlice(offsetOf(firstOp + done, length, wrapBytes), length);
                target.copyFrom(buf);
                target.force();
                latencyNanos.recordValue(System.nanoTime() - t0);
            }
            return done;
        }

        @Override
        public void close() throws IOException {
            arena.close();
            channel.close();
        }
    }
}

package org.wal4j.compat.wally;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.wal4j.io.Errno;
import org.wal4j.io.IoBackend;
import org.wal4j.io.ForwardingIoFile;
import org.wal4j.io.IoCallException;
import org.wal4j.io.IoFile;
import org.wal4j.io.OpenFlag;

/**
 * The selected backend, with its calls counted and failures injectable: lets tests observe
 * that a durable append writes once and fdatasyncs once, and that a failed sync is never
 * retried.
 */
final class CountingIo implements IoBackend {
    private final IoBackend delegate = IoBackend.select();

    final AtomicInteger writes = new AtomicInteger();
    final AtomicInteger datasyncs = new AtomicInteger();
    final AtomicInteger truncates = new AtomicInteger();
    final AtomicInteger reads = new AtomicInteger();
    final AtomicInteger directorySyncs = new AtomicInteger();
    /** When set, the next datasync (or write) fails with EIO, once. */
    volatile boolean failNextDatasync;
    volatile boolean failNextWrite;
    /** When set, a datasync counts this down, then waits for {@link #datasyncRelease}. */
    volatile CountDownLatch datasyncEntered;
    volatile CountDownLatch datasyncRelease;

    void reset() {
        writes.set(0);
        datasyncs.set(0);
        truncates.set(0);
        reads.set(0);
        directorySyncs.set(0);
    }

    @Override
    public String name() {
        return "counting-" + delegate.name();
    }

    @Override
    public IoFile open(Path path, OpenFlag... flags) throws IOException {
        return new CountingFile(delegate.open(path, flags));
    }

    @Override
    public void syncDirectory(Path dir) throws IOException {
        directorySyncs.incrementAndGet();
        delegate.syncDirectory(dir);
    }

    @Override
    public boolean supportsAllocate() {
        return delegate.supportsAllocate();
    }

    private final class CountingFile extends ForwardingIoFile {
        CountingFile(IoFile file) {
            super(file);
        }

        @Override
        public void write(long offset, MemorySegment src) throws IOException {
            writes.incrementAndGet();
            if (failNextWrite) {
                failNextWrite = false;
                throw new IoCallException("pwrite", path(), Errno.EIO, "(injected) offset=" + offset, null);
            }
            f.write(offset, src);
        }

        @Override
        public void writeDsync(long offset, MemorySegment src) throws IOException {
            writes.incrementAndGet();
            f.writeDsync(offset, src);
        }

        @Override
        public long read(long offset, MemorySegment dst) throws IOException {
            reads.incrementAndGet();
            return f.read(offset, dst);
        }

        @Override
        public void datasync() throws IOException {
            datasyncs.incrementAndGet();
            CountDownLatch entered = datasyncEntered;
            if (entered != null) {
                entered.countDown();
                try {
                    datasyncRelease.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IoCallException("fdatasync", path(), Errno.EINTR, "(test interrupted)", e);
                }
            }
            if (failNextDatasync) {
                failNextDatasync = false;
                throw new IoCallException("fdatasync", path(), Errno.EIO, "(injected)", null);
            }
            f.datasync();
        }

        @Override
        public void sync() throws IOException {
            datasyncs.incrementAndGet();
            f.sync();
        }

        @Override
        public void truncate(long size) throws IOException {
            truncates.incrementAndGet();
            f.truncate(size);
        }
    }
}

package org.wal4j.compat.gohacks;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.wal4j.io.Errno;
import org.wal4j.io.IoBackend;
import org.wal4j.io.ForwardingIoFile;
import org.wal4j.io.IoCallException;
import org.wal4j.io.IoFile;
import org.wal4j.io.OpenFlag;

/**
 * The selected backend, with the calls the log makes counted (attempts, failed ones
 * included), and failures injected on demand (EIO from the next write, datasync or truncate,
 * or from every one of them).
 */
final class CountingIo implements IoBackend {
    enum Call { WRITE, DATASYNC, TRUNCATE }

    final IoBackend delegate = IoBackend.select();
    final AtomicInteger writes = new AtomicInteger();
    final AtomicInteger reads = new AtomicInteger();
    final AtomicInteger datasyncs = new AtomicInteger();
    final AtomicInteger truncates = new AtomicInteger();
    final AtomicInteger directorySyncs = new AtomicInteger();
    private final AtomicReference<Call> failNext = new AtomicReference<>();
    private volatile Call failAlways;

    /** The next call of this kind fails with EIO (without reaching the file). */
    void failNext(Call call) {
        failNext.set(call);
    }

    /** Every call of this kind fails with EIO from now on (null: none). */
    void failAlways(Call call) {
        failAlways = call;
    }

    @Override
    public String name() {
        return delegate.name();
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

    private void maybeFail(Call call, String name, Path path) throws IoCallException {
        if (failAlways == call || failNext.compareAndSet(call, null)) {
            throw new IoCallException(name, path, Errno.EIO, "(injected by the test)", null);
        }
    }

    private final class CountingFile extends ForwardingIoFile {
        CountingFile(IoFile file) {
            super(file);
        }

        @Override
        public void write(long offset, MemorySegment src) throws IOException {
            writes.incrementAndGet();
            maybeFail(Call.WRITE, "pwrite", f.path());
            f.write(offset, src);
        }

        @Override
        public void writeDsync(long offset, MemorySegment src) throws IOException {
            writes.incrementAndGet();
            maybeFail(Call.WRITE, "pwritev2", f.path());
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
            maybeFail(Call.DATASYNC, "fdatasync", f.path());
            f.datasync();
        }

        @Override
        public void sync() throws IOException {
            maybeFail(Call.DATASYNC, "fsync", f.path());
            f.sync();
        }

        @Override
        public void truncate(long size) throws IOException {
            truncates.incrementAndGet();
            maybeFail(Call.TRUNCATE, "ftruncate", f.path());
            f.truncate(size);
        }
    }
}

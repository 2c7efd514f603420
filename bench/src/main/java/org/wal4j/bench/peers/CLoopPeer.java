package org.wal4j.bench.peers;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.locks.ReentrantLock;
import org.wal4j.io.CReferenceLoop;
import org.wal4j.io.IoFile;
import org.wal4j.io.OpenFlag;
import org.wal4j.io.PosixIo;

/**
 * The floor: libwal4j's C reference loop ({@link CReferenceLoop}, what {@code wal4j
 * fsync-test} measures), one {@code pwrite} + {@code fdatasync} in C per append, over a file
 * zero-filled and synced beforehand, as a ring for timing (not a log to read back). Concurrent
 * callers take one lock: no group commit. A batch is one write of its records, then one
 * fdatasync. Needs native access (libwal4j); without it the peer says why.
 */
final class CLoopPeer implements Peer {
    private final IoFile file;
    private final Arena arena = Arena.ofShared();
    private final ReentrantLock lock = new ReentrantLock();
    private final MemorySegment latency;
    private final long ringBytes;
    private MemorySegment buf;
    private long op;

    private CLoopPeer(IoFile file, long ringBytes) {
        this.file = file;
        this.ringBytes = ringBytes;
        this.latency = arena.allocate(Long.BYTES, Long.BYTES);
    }

    static PeerKind kind() {
        return new PeerKind("c-loop", true, "durable: pwrite + fdatasync in C per record over a zero-filled file, one lock",
                (dir, recordBytes) -> open(dir, Peers.PREZEROED_BYTES));
    }

    static Peer open(Path dir, long ringBytes) throws IOException {
        if (!CReferenceLoop.isAvailable()) {
            throw new UnsupportedOperationException("libwal4j is unavailable: " + CReferenceLoop.unavailableReason());
        }
        Files.createDirectories(dir);
        Path path = dir.resolve("c-loop.dat");
        if (Files.exists(path)) {
            throw new UnsupportedOperationException("a pre-zeroed ring for timing durable appends, not reopened");
        }
        try (IoFile f = PosixIo.instance().open(path, OpenFlag.WRITE, OpenFlag.CREATE, OpenFlag.TRUNCATE)) {
            f.zeroFill(0, ringBytes);
            f.sync();
        }
        PosixIo.instance().syncDirectory(dir);
        return new CLoopPeer(PosixIo.instance().open(path, OpenFlag.WRITE), ringBytes);
    }

    @Override
    public void append(byte[] record) throws IOException {
        lock.lock();
        try {
            MemorySegment b = buffer(record.length);
            MemorySegment.copy(MemorySegment.ofArray(record), 0, b, 0, record.length);
            writeAndSync(b);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void appendBatch(byte[][] records) throws IOException {
        lock.lock();
        try {
            long total = 0;
            for (byte[] r : records) {
                total += r.length;
            }
            MemorySegment b = buffer(total);
            long at = 0;
            for (byte[] r : records) {
                MemorySegment.copy(MemorySegment.ofArray(r), 0, b, at, r.length);
                at += r.length;
            }
            writeAndSync(b);
        } finally {
            lock.unlock();
        }
    }

    /** The operation's offset is op * buf size in the ring, as the C loop places it. */
    private void writeAndSync(MemorySegment b) throws IOException {
        CReferenceLoop.run(file, CReferenceLoop.Method.PWRITE_FDATASYNC, b, op++, ringBytes, 1, Long.MAX_VALUE, latency);
    }

    private MemorySegment buffer(long bytes) {
        if (buf == null || buf.byteSize() != bytes) {
            buf = arena.allocate(bytes, 4096);
        }
        return buf;
    }

    @Override
    public void sync() throws IOException {
        file.sync();
    }

    @Override
    public byte[] read(long index) {
        throw new UnsupportedOperationException("a pre-zeroed ring for timing durable appends, not read back");
    }

    @Override
    public long replay() {
        throw new UnsupportedOperationException("a pre-zeroed ring for timing durable appends, not read back");
    }

    @Override
    public void close() throws IOException {
        file.close();
        arena.close();
    }
}

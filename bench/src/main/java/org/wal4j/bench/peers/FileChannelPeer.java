package org.wal4j.bench.peers;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A plain {@link FileChannel} log: records of one fixed size written back to back, no
 * framing, no checksum, record i at offset (i - 1) * size. What a user writes by hand.
 * Concurrent appenders take one lock around the write and its force: the naive way to make
 * a FileChannel log thread-safe, with no group commit.
 */
final class FileChannelPeer implements Peer {
    /** How the file is written. */
    enum Mode {
        /** Appends that grow the file, each followed by {@code force(false)}. */
        GROWING_FORCE,
        /**
         * Writes over a file zero-filled and synced beforehand, each followed by
         * {@code force(false)}; at the file's end the writes start again at its start (a ring:
         * for timing durable appends only, not a log to read back).
         */
        PREZEROED_FORCE,
        /** Appends that grow the file, never forced (page cache only). */
        GROWING_NO_FORCE
    }

    private static final int ZERO_CHUNK = 1 << 20;

    private final FileChannel channel;
    private final Mode mode;
    private final int recordBytes;
    private final ReentrantLock lock = new ReentrantLock();
    private long position;
    private final long capacity;

    private FileChannelPeer(FileChannel channel, Mode mode, int recordBytes, long capacity) {
        this.channel = channel;
        this.mode = mode;
        this.recordBytes = recordBytes;
        this.capacity = capacity;
    }

    /**
     * @param capacityBytes for {@link Mode#PREZEROED_FORCE}, how much to zero-fill before the
     *     first append; ignored otherwise
     */
    static Peer open(Path dir, int recordBytes, Mode mode, long capacityBytes) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve("log.bin");
        boolean existed = Files.exists(file);
        if (existed && mode == Mode.PREZEROED_FORCE) {
            throw new UnsupportedOperationException("a pre-zeroed file without framing cannot tell where its records end");
        }
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        long capacity = Long.MAX_VALUE;
        if (mode == Mode.PREZEROED_FORCE) {
            ByteBuffer zeros = ByteBuffer.allocateDirect(ZERO_CHUNK);
            for (long at = 0; at < capacityBytes; at += ZERO_CHUNK) {
                zeros.clear();
                while (zeros.hasRemaining()) {
                    ch.write(zeros, at + zeros.position());
                }
            }
            ch.force(true);
            capacity = capacityBytes;
        }
        FileChannelPeer peer = new FileChannelPeer(ch, mode, recordBytes, capacity);
        if (existed) {
            peer.position = ch.size() / recordBytes * recordBytes;
        }
        return peer;
    }

    @Override
    public void append(byte[] record) throws IOException {
        write(ByteBuffer.wrap(record));
    }

    @Override
    public void appendBatch(byte[][] records) throws IOException {
        int total = 0;
        for (byte[] r : records) {
            total += r.length;
        }
        ByteBuffer all = ByteBuffer.allocate(total);
        for (byte[] r : records) {
            all.put(r);
        }
        write(all.flip());
    }

    private void write(ByteBuffer bytes) throws IOException {
        lock.lock();
        try {
            if (position + bytes.remaining() > capacity) {
                position = 0;
            }
            while (bytes.hasRemaining()) {
                position += channel.write(bytes, position);
            }
            if (mode != Mode.GROWING_NO_FORCE) {
                channel.force(false);
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void sync() throws IOException {
        channel.force(false);
    }

    @Override
    public byte[] read(long index) throws IOException {
        ringOnly();
        ByteBuffer into = ByteBuffer.allocate(recordBytes);
        long at = (index - 1) * recordBytes;
        while (into.hasRemaining()) {
            int n = channel.read(into, at + into.position());
            if (n < 0) {
                throw new IOException("no record " + index + " (the file ends before it)");
            }
        }
        return into.array();
    }

    @Override
    public long replay() throws IOException {
        ringOnly();
        ByteBuffer chunk = ByteBuffer.allocate(Math.max(ZERO_CHUNK / recordBytes, 1) * recordBytes);
        long end;
        lock.lock();
        try {
            end = position;
        } finally {
            lock.unlock();
        }
        long read = 0;
        int firsts = 0;
        byte[] bytes = chunk.array();
        while (read < end) {
            chunk.clear().limit((int) Math.min(chunk.capacity(), end - read));
            while (chunk.hasRemaining()) {
                if (channel.read(chunk, read + chunk.position()) < 0) {
                    throw new IOException("the file ends at " + (read + chunk.position()) + " before " + end);
                }
            }
            for (int at = 0; at < chunk.limit(); at += recordBytes) {
                firsts += bytes[at]; // each record is a slice of the chunk: no framing to parse
            }
            read += chunk.limit();
        }
        Peers.consume(firsts);
        return read;
    }

    private void ringOnly() {
        if (mode == Mode.PREZEROED_FORCE) {
            throw new UnsupportedOperationException("a pre-zeroed ring for timing durable appends, not read back");
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}

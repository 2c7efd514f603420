package org.wal4j.bench.peers;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import org.wal4j.Journal;
import org.wal4j.JournalOptions;
import org.wal4j.SyncMode;

/** wal4j's {@link Journal}, with the default options but for the sync mode, O_DIRECT and preallocation. */
final class Wal4jPeer implements Peer {
    private final Journal journal;
    private final int recordBytes;

    private Wal4jPeer(Journal journal, int recordBytes) {
        this.journal = journal;
        this.recordBytes = recordBytes;
    }

    static Peer open(Path dir, int recordBytes, SyncMode mode, boolean direct) throws IOException {
        return open(dir, recordBytes, mode, direct, true);
    }

    static Peer open(Path dir, int recordBytes, SyncMode mode, boolean direct, boolean preallocate) throws IOException {
        return new Wal4jPeer(Journal.open(dir, JournalOptions.builder()
                .syncPolicy(mode)
                .direct(direct)
                .preallocate(preallocate)
                .maxValueBytes(Math.max(recordBytes, 1 << 20))
                .build()), recordBytes);
    }

    @Override
    public void append(byte[] record) throws IOException {
        journal.append(record);
    }

    @Override
    public void appendBatch(byte[][] records) throws IOException {
        journal.appendBatch(records);
    }

    @Override
    public void sync() throws IOException {
        journal.sync();
    }

    @Override
    public byte[] read(long index) throws IOException {
        byte[] into = new byte[recordBytes];
        int n = journal.readInto(index, into);
        return n == into.length ? into : java.util.Arrays.copyOf(into, n);
    }

    @Override
    public long replay() throws IOException {
        long[] bytes = {0};
        int[] firsts = {0};
        journal.replay(1, view -> {
            MemorySegment value = view.value();
            if (value.byteSize() > 0) {
                firsts[0] += value.get(ValueLayout.JAVA_BYTE, 0);
            }
            bytes[0] += value.byteSize();
        });
        Peers.consume(firsts[0]);
        return bytes[0];
    }

    @Override
    public void close() throws IOException {
        journal.close();
    }
}

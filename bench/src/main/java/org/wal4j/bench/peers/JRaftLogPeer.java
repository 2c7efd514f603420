package org.wal4j.bench.peers;

import com.alipay.sofa.jraft.conf.ConfigurationManager;
import com.alipay.sofa.jraft.entity.EnumOutter;
import com.alipay.sofa.jraft.entity.LogEntry;
import com.alipay.sofa.jraft.entity.LogId;
import com.alipay.sofa.jraft.entity.codec.v2.LogEntryV2CodecFactory;
import com.alipay.sofa.jraft.option.LogStorageOptions;
import com.alipay.sofa.jraft.option.RaftOptions;
import com.alipay.sofa.jraft.storage.LogStorage;
import com.alipay.sofa.jraft.storage.impl.RocksDBLogStorage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * JRaft's default log storage, {@link RocksDBLogStorage} (jraft-core, on the RocksDB of
 * bench's pom, with JRaft's own RocksDB options), initialised as a node's LogManager does,
 * with {@code RaftOptions.setSync(true)}. A record is the data of one ENTRY_TYPE_DATA entry,
 * term 1, record i at log index i. A LogStorage takes consecutive indexes in order, so
 * appenders take one lock around choosing the index and {@code appendEntries}: concurrent
 * appenders serialise, as behind JRaft's single log-manager thread. On reopen, the numbering
 * resumes after the last log index.
 *
 * <p>Acknowledged: {@code appendEntries} (one entry, or the batch's entries) has returned; it
 * writes one RocksDB {@code WriteBatch} with {@code sync=true}, so the WAL was fsync'd.
 */
final class JRaftLogPeer implements Peer {
    private static final long TERM = 1;

    private final LogStorage log;
    private final ReentrantLock lock = new ReentrantLock();
    private long last;

    private JRaftLogPeer(LogStorage log) {
        this.log = log;
        this.last = log.getLastLogIndex();
    }

    static PeerKind durable() {
        return new PeerKind("jraft-rocksdb", true,
                "durable: RocksDBLogStorage.appendEntries with RaftOptions sync=true (one WriteBatch, WAL fsync'd)",
                (dir, recordBytes) -> open(dir));
    }

    static Peer open(Path dir) throws IOException {
        Files.createDirectories(dir);
        RaftOptions raftOptions = new RaftOptions();
        raftOptions.setSync(true);
        LogStorage log = new RocksDBLogStorage(dir.toString(), raftOptions);
        LogStorageOptions opts = new LogStorageOptions();
        opts.setGroupId("peer");
        opts.setConfigurationManager(new ConfigurationManager());
        opts.setLogEntryCodecFactory(LogEntryV2CodecFactory.getInstance());
        if (!log.init(opts)) {
            throw new IOException("RocksDBLogStorage did not init at " + dir + " (JRaft logged why)");
        }
        return new JRaftLogPeer(log);
    }

    private static LogEntry entry(long index, byte[] record) {
        LogEntry e = new LogEntry(EnumOutter.EntryType.ENTRY_TYPE_DATA);
        e.setId(new LogId(index, TERM));
        e.setData(ByteBuffer.wrap(record));
        return e;
    }

    @Override
    public void append(byte[] record) throws IOException {
        lock.lock();
        try {
            write(List.of(entry(last + 1, record)));
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void appendBatch(byte[][] records) throws IOException {
        lock.lock();
        try {
            List<LogEntry> entries = new ArrayList<>(records.length);
            for (int i = 0; i < records.length; i++) {
                entries.add(entry(last + 1 + i, records[i]));
            }
            write(entries);
        } finally {
            lock.unlock();
        }
    }

    // JRaft reports a failed write by a short count (and a log line), not an exception
    private void write(List<LogEntry> entries) throws IOException {
        int n = log.appendEntries(entries);
        if (n != entries.size()) {
            throw new IOException("appendEntries wrote " + n + " of " + entries.size() + " entries at " + (last + 1));
        }
        last += n;
    }

    @Override
    public void sync() {}

    @Override
    public byte[] read(long index) {
        LogEntry e = log.getEntry(index);
        if (e == null) {
            throw new NoSuchElementException("no record " + index);
        }
        ByteBuffer data = e.getData();
        byte[] into = new byte[data.remaining()];
        data.get(into);
        return into;
    }

    @Override
    public long replay() {
        long first = log.getFirstLogIndex();
        long end = log.getLastLogIndex();
        long bytes = 0;
        for (long i = first; i <= end; i++) {
            LogEntry e = log.getEntry(i);
            if (e == null) {
                throw new NoSuchElementException("no entry " + i + " in [" + first + ", " + end + "]");
            }
            bytes += e.getData().remaining();
        }
        return bytes;
    }

    @Override
    public void close() {
        log.shutdown();
    }
}

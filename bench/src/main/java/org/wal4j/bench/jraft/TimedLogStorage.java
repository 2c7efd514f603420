package org.wal4j.bench.jraft;

import com.alipay.sofa.jraft.JRaftServiceFactory;
import com.alipay.sofa.jraft.entity.LogEntry;
import com.alipay.sofa.jraft.entity.codec.LogEntryCodecFactory;
import com.alipay.sofa.jraft.option.LogStorageOptions;
import com.alipay.sofa.jraft.option.NodeOptions;
import com.alipay.sofa.jraft.option.RaftOptions;
import com.alipay.sofa.jraft.storage.LogStorage;
import com.alipay.sofa.jraft.storage.RaftMetaStorage;
import com.alipay.sofa.jraft.storage.SnapshotStorage;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * A log storage that counts and times the appendEntries calls of the one it wraps, into
 * counters that every node of a cluster turn shares: how many syncs a commit costs
 * (with sync on, one per call), how many entries JRaft puts in a call, and how long the
 * call takes inside the log.
 */
final class TimedLogStorage implements LogStorage {
    /** Counters summed over the storages that share them. */
    static final class Counters {
        final LongAdder calls = new LongAdder();
        final LongAdder entries = new LongAdder();
        final LongAdder nanos = new LongAdder();

        void reset() {
            calls.reset();
            entries.reset();
            nanos.reset();
        }
    }

    private final LogStorage log;
    private final Counters counters;

    TimedLogStorage(LogStorage log, Counters counters) {
        this.log = log;
        this.counters = counters;
    }

    /** {@code factory}, with each log storage it makes wrapped to count into {@code counters}. */
    static JRaftServiceFactory timing(JRaftServiceFactory factory, Counters counters) {
        return new JRaftServiceFactory() {
            @Override
            public LogStorage createLogStorage(String uri, RaftOptions raftOptions) {
                return new TimedLogStorage(factory.createLogStorage(uri, raftOptions), counters);
            }

            @Override
            public SnapshotStorage createSnapshotStorage(NodeOptions nodeOptions) {
                return factory.createSnapshotStorage(nodeOptions);
            }

            @Override
            public RaftMetaStorage createRaftMetaStorage(String uri, RaftOptions raftOptions) {
                return factory.createRaftMetaStorage(uri, raftOptions);
            }

            @Override
            public LogEntryCodecFactory createLogEntryCodecFactory() {
                return factory.createLogEntryCodecFactory();
            }
        };
    }

    @Override
    public int appendEntries(List<LogEntry> batch) {
        long t0 = System.nanoTime();
        int n = log.appendEntries(batch);
        counters.nanos.add(System.nanoTime() - t0);
        counters.calls.increment();
        counters.entries.add(n);
        return n;
    }

    @Override
    public boolean appendEntry(LogEntry entry) {
        return appendEntries(List.of(entry)) == 1;
    }

    @Override
    public boolean init(LogStorageOptions opts) {
        return log.init(opts);
    }

    @Override
    public void shutdown() {
        log.shutdown();
    }

    @Override
    public long getFirstLogIndex() {
        return log.getFirstLogIndex();
    }

    @Override
    public long getLastLogIndex() {
        return log.getLastLogIndex();
    }

    @Override
    public LogEntry getEntry(long index) {
        return log.getEntry(index);
    }

    @Override
    public long getTerm(long index) {
        return log.getTerm(index);
    }

    @Override
    public boolean truncatePrefix(long firstIndexKept) {
        return log.truncatePrefix(firstIndexKept);
    }

    @Override
    public boolean truncateSuffix(long lastIndexKept) {
        return log.truncateSuffix(lastIndexKept);
    }

    @Override
    public boolean reset(long nextLogIndex) {
        return log.reset(nextLogIndex);
    }
}

package org.wal4j.bench.jraft;

import com.alipay.sofa.jraft.entity.EnumOutter.EntryType;
import com.alipay.sofa.jraft.entity.LogEntry;
import com.alipay.sofa.jraft.entity.LogId;
import com.alipay.sofa.jraft.option.LogStorageOptions;
import com.alipay.sofa.jraft.storage.LogStorage;
import java.util.List;
import java.util.TreeMap;

/**
 * A log storage that keeps the entries in memory and writes nothing: not a storage anyone
 * should run, but the cluster benchmark's ceiling. What a cluster commits on it is what
 * JRaft's own path (replication, RPC, disruptors, the state machine) allows with a log that
 * costs nothing, so it bounds what any real storage can gain over another. Entries are kept
 * as given; a fresh log only (nothing to load at init).
 */
final class MemoryLogStorage implements LogStorage {
    private final TreeMap<Long, LogEntry> entries = new TreeMap<>();
    private long firstIndex = 1;

    @Override
    public synchronized boolean init(LogStorageOptions opts) {
        return true;
    }

    @Override
    public synchronized void shutdown() {
        entries.clear();
    }

    @Override
    public synchronized long getFirstLogIndex() {
        return entries.isEmpty() ? firstIndex : entries.firstKey();
    }

    @Override
    public synchronized long getLastLogIndex() {
        return entries.isEmpty() ? firstIndex - 1 : entries.lastKey();
    }

    @Override
    public synchronized LogEntry getEntry(long index) {
        return entries.get(index);
    }

    @Override
    public synchronized long getTerm(long index) {
        LogEntry e = entries.get(index);
        return e == null ? 0 : e.getId().getTerm();
    }

    @Override
    public boolean appendEntry(LogEntry entry) {
        return appendEntries(List.of(entry)) == 1;
    }

    @Override
    public synchronized int appendEntries(List<LogEntry> batch) {
        if (batch == null) {
            return 0;
        }
        for (LogEntry e : batch) {
            entries.put(e.getId().getIndex(), e);
        }
        return batch.size();
    }

    @Override
    public synchronized boolean truncatePrefix(long firstIndexKept) {
        entries.headMap(firstIndexKept).clear();
        if (entries.isEmpty()) {
            firstIndex = firstIndexKept;
        }
        return true;
    }

    @Override
    public synchronized boolean truncateSuffix(long lastIndexKept) {
        entries.tailMap(lastIndexKept, false).clear();
        if (entries.isEmpty()) {
            firstIndex = Math.min(firstIndex, lastIndexKept + 1);
        }
        return true;
    }

    @Override
    public synchronized boolean reset(long nextLogIndex) {
        if (nextLogIndex <= 0) {
            throw new IllegalArgumentException("Invalid next log index: " + nextLogIndex);
        }
        LogEntry kept = entries.get(nextLogIndex);
        entries.clear();
        if (kept == null) {
            kept = new LogEntry(EntryType.ENTRY_TYPE_NO_OP);
            kept.setId(new LogId(nextLogIndex, 0));
        }
        entries.put(nextLogIndex, kept);
        return true;
    }
}

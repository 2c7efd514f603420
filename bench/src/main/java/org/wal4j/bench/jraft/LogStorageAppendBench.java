package org.wal4j.bench.jraft;

import com.alipay.sofa.jraft.entity.EnumOutter;
import com.alipay.sofa.jraft.entity.LogEntry;
import com.alipay.sofa.jraft.entity.LogId;
import com.alipay.sofa.jraft.option.RaftOptions;
import com.alipay.sofa.jraft.storage.LogStorage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A JRaft {@code LogStorage} on its own, as a node's LogManager drives it: wal4j-jraft's
 * Wal4jLogStorage against JRaft's RocksDBLogStorage, side by side in one run
 * ({@code -p storage=wal4j,rocksdb}).
 *
 * <p>{@code appendEntries}: one thread appends batches of {@code batch} ENTRY_TYPE_DATA
 * entries of {@code entryBytes} random bytes, term 1, consecutive indexes from 1, with
 * {@code RaftOptions.setSync(true)} (every call is durable when it returns). SampleTime gives
 * p50/p99 per call; entries/s = batch / mean. Each trial starts on a fresh, empty log.
 *
 * <p>{@code getEntry}: random reads of a log of 100 000 entries of 1 KiB, written with sync on,
 * closed and reopened (as after a restart), then read through once so that the page cache
 * holds it.
 *
 * <p>Logs live under {@code -Dwal4j.bench.dir} (default {@code ./target}); a trial's
 * directory is deleted at its end. JRaft on JDK 25 needs the two JVM flags of {@code @Fork}.
 * The whole run (18 append trials and 2 read trials, 2 forks each) takes about 6.5 minutes:
 *
 * <pre>
 * java --sun-misc-unsafe-memory-access=allow -jar bench/target/wal4j-bench.jar LogStorageAppendBench \
 *   -f 2 -wi 3 -w 1s -i 5 -r 1s -rf json -rff bench/results/jmh-jraft-logstorage-DATE.json
 * </pre>
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
    "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class LogStorageAppendBench {
    static final long TERM = 1;

    @State(Scope.Thread)
    public static class Appending {
        @Param({"1", "16", "128"})
        public int batch;

        @Param({"128", "1024", "4096"})
        public int entryBytes;

        @Param({Storages.WAL4J, Storages.ROCKSDB})
        public String storage;

        Path dir;
        LogStorage log;
        List<LogEntry> entries;
        long nextIndex;

        @Setup(Level.Trial)
        public void open() throws IOException {
            dir = Storages.freshDir("jraft-append-" + storage + "-");
            log = Storages.open(storage, dir.toString(), syncOptions());
            entries = dataEntries(batch, entryBytes, new Random(42));
            nextIndex = log.getLastLogIndex() + 1;
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            long expected = nextIndex - 1;
            long last = log.getLastLogIndex();
            log.shutdown();
            Storages.deleteTree(dir);
            if (last != expected) {
                throw new IllegalStateException(storage + ": last index " + last + ", appended up to " + expected);
            }
        }
    }

    /** One durable appendEntries of a batch; entries/s = batch / mean. */
    @Benchmark
    public int appendEntries(Appending s) {
        long index = s.nextIndex;
        List<LogEntry> entries = s.entries;
        for (int i = 0; i < entries.size(); i++) {
            entries.get(i).getId().setIndex(index + i);
        }
        int n = s.log.appendEntries(entries);
        if (n != entries.size()) {
            throw new IllegalStateException(s.storage + ": appendEntries wrote " + n + " of " + entries.size());
        }
        s.nextIndex = index + n;
        return n;
    }

    @State(Scope.Thread)
    public static class Reading {
        static final int ENTRIES = 100_000;
        static final int ENTRY_BYTES = 1024;

        @Param({Storages.WAL4J, Storages.ROCKSDB})
        public String storage;

        Path dir;
        LogStorage log;

        @Setup(Level.Trial)
        public void open() throws IOException {
            dir = Storages.freshDir("jraft-read-" + storage + "-");
            RaftOptions raftOptions = syncOptions();
            log = Storages.open(storage, dir.toString(), raftOptions);
            List<LogEntry> entries = dataEntries(128, ENTRY_BYTES, new Random(7));
            for (long first = 1; first <= ENTRIES; first += entries.size()) {
                List<LogEntry> chunk = entries.subList(0, (int) Math.min(entries.size(), ENTRIES - first + 1));
                for (int i = 0; i < chunk.size(); i++) {
                    chunk.get(i).getId().setIndex(first + i);
                }
                if (log.appendEntries(chunk) != chunk.size()) {
                    throw new IllegalStateException(storage + ": short append at " + first);
                }
            }
            log.shutdown();
            log = Storages.open(storage, dir.toString(), raftOptions);
            if (log.getFirstLogIndex() != 1 || log.getLastLogIndex() != ENTRIES) {
                throw new IllegalStateException(storage + ": reopened with [" + log.getFirstLogIndex() + ", "
                    + log.getLastLogIndex() + "]");
            }
            for (long i = 1; i <= ENTRIES; i++) {
                check(log.getEntry(i), i);
            }
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            for (int i = 0; i < 1000; i++) {
                long index = ThreadLocalRandom.current().nextLong(1, ENTRIES + 1);
                check(log.getEntry(index), index);
            }
            log.shutdown();
            Storages.deleteTree(dir);
        }

        private void check(LogEntry e, long index) {
            if (e == null || e.getId().getIndex() != index || e.getId().getTerm() != TERM
                || e.getType() != EnumOutter.EntryType.ENTRY_TYPE_DATA || e.getData().remaining() != ENTRY_BYTES) {
                throw new IllegalStateException(storage + ": entry " + index + " read back as " + e);
            }
        }
    }

    /** One getEntry of a random index of the 100 000. */
    @Benchmark
    public LogEntry getEntry(Reading s) {
        return s.log.getEntry(ThreadLocalRandom.current().nextLong(1, Reading.ENTRIES + 1));
    }

    static RaftOptions syncOptions() {
        RaftOptions raftOptions = new RaftOptions();
        raftOptions.setSync(true);
        return raftOptions;
    }

    /** {@code count} data entries of {@code bytes} random bytes each, term 1, index 0 (set per call). */
    static List<LogEntry> dataEntries(int count, int bytes, Random random) {
        List<LogEntry> entries = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            byte[] data = new byte[bytes];
            random.nextBytes(data);
            LogEntry e = new LogEntry(EnumOutter.EntryType.ENTRY_TYPE_DATA);
            e.setId(new LogId(0, TERM));
            e.setData(ByteBuffer.wrap(data));
            entries.add(e);
        }
        return entries;
    }
}

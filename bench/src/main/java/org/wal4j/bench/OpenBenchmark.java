package org.wal4j.bench;

import java.io.IOException;
import java.nio.file.Path;
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
import org.wal4j.Journal;
import org.wal4j.JournalOptions;
import org.wal4j.SyncMode;

/**
 * Opening and closing a journal whose one preallocated segment holds {@code recordMiB} of 4 KiB
 * records: the recovery of the active segment (its scan, the read of the tail after the last
 * frame, the open's fdatasync) with the page cache warm, as in a restart within the same boot.
 * Journals live under {@code -Dwal4j.bench.dir} (default {@code ./data}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@State(Scope.Benchmark)
public class OpenBenchmark {
    @Param({"64"})
    public int segmentMiB;

    @Param({"4"})
    public int recordMiB;

    @Param({"false"})
    public boolean direct;

    Path dir;
    JournalOptions options;

    @Setup(Level.Trial)
    public void create() throws IOException {
        dir = JournalBenchmark.benchDir("journal-open-");
        options = JournalOptions.builder().segmentBytes((long) segmentMiB << 20).syncPolicy(SyncMode.NONE).direct(direct).build();
        try (Journal j = Journal.open(dir, options)) {
            byte[] value = new byte[JournalBenchmark.RECORD_BYTES];
            for (long written = 0; written < (long) recordMiB << 20; written += value.length) {
                j.append(value);
            }
        }
    }

    @TearDown(Level.Trial)
    public void delete() throws IOException {
        JournalBenchmark.deleteTree(dir);
    }

    @Benchmark
    public long openAndClose() throws IOException {
        try (Journal j = Journal.open(dir, options)) {
            return j.lastLsn();
        }
    }
}

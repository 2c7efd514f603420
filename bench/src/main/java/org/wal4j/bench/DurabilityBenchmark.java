package org.wal4j.bench;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.wal4j.Journal;
import org.wal4j.JournalOptions;
import org.wal4j.SyncMode;
import org.wal4j.io.CReferenceLoop;
import org.wal4j.io.IoFile;
import org.wal4j.io.OpenFlag;
import org.wal4j.io.PosixIo;

/**
 * Durable appends (SyncMode.ALWAYS) by 1, 4, 16 and 64 threads sharing one journal (group
 * commit), against the C write+fdatasync loop of {@code wal4j fsync-test} in the same run:
 * one thread, one record-sized write of a zero-filled file per fdatasync, O_DIRECT when the
 * journal's is. SampleTime gives p50/p99/p99.9 per append; durable appends/s = threads / mean.
 * Parameters: {@code -p backend=posix,java -p direct=false,true -p recordBytes=128,4096,65536
 * -p segmentMiB=64 -p checkpointMiB=0}.
 * Journals and the C loop's file live under {@code -Dwal4j.bench.dir} (default {@code ./data}).
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class DurabilityBenchmark {
    /** Large enough that the C loop rarely wraps; zero-filled once per trial. */
    private static final long C_FILE_BYTES = 256L << 20;

    /** One ALWAYS journal shared by every thread of a benchmark. */
    @State(Scope.Benchmark)
    public static class Durable {
        @Param({"posix"})
        public String backend;

        @Param({"false"})
        public boolean direct;

        @Param({"4096"})
        public int recordBytes;

        /** JournalOptions.followerSpin, in microseconds. */
        @Param({"0"})
        public int spinMicros;

        /** Segment size; segments are zero-filled ahead by the journal's preparer thread. */
        @Param({"64"})
        public int segmentMiB;

        /**
         * Every this many MiB of records, a checkpoint: {@code truncateFront} drops what is older
         * than the last checkpointMiB, as a database does after flushing its tables; the
         * segments it removes are recycled (O_DIRECT). 0: never.
         */
        @Param({"0"})
        public int checkpointMiB;

        Journal journal;
        private long checkpointRecords;
        private Path dir;

        long append(byte[] value) throws IOException {
            long lsn = journal.append(value);
            if (checkpointRecords > 0 && lsn % checkpointRecords == 0) {
                journal.truncateFront(lsn - checkpointRecords);
            }
            return lsn;
        }

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            dir = JournalBenchmark.benchDir("journal-durable-");
            journal = Journal.open(dir, JournalOptions.builder()
                    .ioBackend(backend)
                    .direct(direct)
                    .syncPolicy(SyncMode.ALWAYS)
                    .maxValueBytes(Math.max(recordBytes, 1 << 20))
                    .segmentBytes((long) segmentMiB << 20)
                    .followerSpin(java.time.Duration.ofNanos(spinMicros * 1000L))
                    .build());
            journal.append(new byte[recordBytes]); // the first segment exists (zero-filled) before measuring
            checkpointRecords = ((long) checkpointMiB << 20) / recordBytes;
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            journal.close();
            JournalBenchmark.deleteTree(dir);
        }
    }

    /** Each thread's record (random bytes). */
    @State(Scope.Thread)
    public static class Record {
        byte[] value;

        @Setup(Level.Trial)
        public void setUp(Durable d) {
            value = new byte[d.recordBytes];
            new Random(Thread.currentThread().threadId()).nextBytes(value);
        }
    }

    @Benchmark
    @Threads(1)
    public long always1(Durable d, Record r) throws IOException {
        return d.append(r.value);
    }

    @Benchmark
    @Threads(4)
    public long always4(Durable d, Record r) throws IOException {
        return d.append(r.value);
    }

    @Benchmark
    @Threads(16)
    public long always16(Durable d, Record r) throws IOException {
        return d.append(r.value);
    }

    @Benchmark
    @Threads(64)
    public long always64(Durable d, Record r) throws IOException {
        return d.append(r.value);
    }

    /** The C loop: pwrite of recordBytes + fdatasync per operation, over a zero-filled file. */
    @State(Scope.Thread)
    public static class CLoop {
        @Param({"false"})
        public boolean direct;

        @Param({"4096"})
        public int recordBytes;

        IoFile file;
        MemorySegment buf;
        MemorySegment latency;
        long op;
        private Arena arena;
        private Path dir;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            if (!CReferenceLoop.isAvailable()) {
                throw new IllegalStateException("libwal4j is unavailable: " + CReferenceLoop.unavailableReason());
            }
            dir = JournalBenchmark.benchDir("c-loop-");
            Path path = dir.resolve("c-loop.dat");
            try (IoFile f = PosixIo.instance().open(path, OpenFlag.WRITE, OpenFlag.CREATE, OpenFlag.TRUNCATE)) {
                f.zeroFill(0, C_FILE_BYTES);
                f.sync();
            }
            PosixIo.instance().syncDirectory(dir);
            file = direct ? PosixIo.instance().open(path, OpenFlag.WRITE, OpenFlag.DIRECT)
                    : PosixIo.instance().open(path, OpenFlag.WRITE);
            arena = Arena.ofShared();
            buf = arena.allocate(recordBytes, 4096);
            Random random = new Random(42);
            for (long i = 0; i + 8 <= recordBytes; i += 8) {
                buf.set(ValueLayout.JAVA_LONG_UNALIGNED, i, random.nextLong());
            }
            latency = arena.allocate(Long.BYTES, Long.BYTES);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            file.close();
            arena.close();
            JournalBenchmark.deleteTree(dir);
        }
    }

    @Benchmark
    @Threads(1)
    public long cWriteFdatasync(CLoop c) throws IOException {
        return CReferenceLoop.run(c.file, CReferenceLoop.Method.PWRITE_FDATASYNC, c.buf, c.op++, C_FILE_BYTES, 1,
                Long.MAX_VALUE, c.latency);
    }

    static {
        // the bench directory must exist before a trial creates its subdirectory
        try {
            Files.createDirectories(Path.of(System.getProperty("wal4j.bench.dir", "data")));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}

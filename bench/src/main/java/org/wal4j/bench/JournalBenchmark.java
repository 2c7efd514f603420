package org.wal4j.bench;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.wal4j.Batch;
import org.wal4j.Journal;
import org.wal4j.JournalOptions;
import org.wal4j.LsnRange;
import org.wal4j.SyncMode;
import org.wal4j.io.IoBackend;
import org.wal4j.io.IoFile;
import org.wal4j.io.JavaIo;
import org.wal4j.io.OpenFlag;
import org.wal4j.io.PosixIo;

/**
 * The journal's NoSync paths, against go-wally's figures measured on the same machine:
 * Append NoSync 4 KiB 5.9 us/op (694 MB/s), AppendBatch 4 KiB x16 2.3 GB/s,
 * ReadInto 4 KiB 1.9 us/op with 0 allocs/op. Run with {@code -prof gc} for bytes per op.
 * Journals live under {@code -Dwal4j.bench.dir} (default {@code ./data}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class JournalBenchmark {
    static final int RECORD_BYTES = 4096;

    @State(Scope.Thread)
    public static class Appending {
        @Param({"posix", "java"})
        public String backend;

        Path dir;
        Journal journal;
        Arena arena;
        MemorySegment value;
        Batch batch64;

        @Setup(Level.Iteration)
        public void open() throws IOException {
            dir = benchDir("journal-append-");
            journal = Journal.open(dir, JournalOptions.builder().ioBackend(backend).syncPolicy(SyncMode.NONE).build());
            arena = Arena.ofShared();
            value = arena.allocate(RECORD_BYTES, 4096);
            value.fill((byte) 7);
            batch64 = new Batch();
            for (int i = 0; i < 64; i++) {
                batch64.add(value);
            }
        }

        @TearDown(Level.Iteration)
        public void close() throws IOException {
            journal.close();
            arena.close();
            deleteTree(dir);
        }
    }

    @Benchmark
    public long appendNoSync4k(Appending s) throws IOException {
        return s.journal.append(s.value);
    }

    @Benchmark
    @OperationsPerInvocation(64)
    public LsnRange appendBatchNoSync4kx64(Appending s) throws IOException {
        return s.journal.appendBatch(s.batch64);
    }

    /**
     * The ceiling the NoSync appends run against: the same I/O the journal does (1 MiB
     * pwrites into 64 MiB segment files, preallocated where the backend can) with no
     * encoding, no CRC and no index. Reported per 4 KiB.
     */
    @State(Scope.Thread)
    public static class RawWriting {
        @Param({"posix", "java"})
        public String backend;

        static final long FILE_BYTES = 64L << 20;
        static final int CHUNK_BYTES = 1 << 20;

        Path dir;
        IoBackend io;
        IoFile file;
        long offset;
        int files;
        Arena arena;
        MemorySegment chunk;

        @Setup(Level.Iteration)
        public void open() throws IOException {
            dir = benchDir("raw-write-");
            io = backend.equals("posix") ? PosixIo.instance() : JavaIo.instance();
            arena = Arena.ofShared();
            chunk = arena.allocate(CHUNK_BYTES, 4096);
            chunk.fill((byte) 7);
            nextFile();
        }

        void nextFile() throws IOException {
            if (file != null) {
                file.close();
            }
            file = io.open(dir.resolve("raw-" + files++), OpenFlag.READ, OpenFlag.WRITE, OpenFlag.CREATE);
            if (io.supportsAllocate()) {
                file.allocate(0, FILE_BYTES);
            }
            offset = 0;
        }

        @TearDown(Level.Iteration)
        public void close() throws IOException {
            file.close();
            file = null;
            arena.close();
            deleteTree(dir);
        }
    }

    @Benchmark
    @OperationsPerInvocation(CHUNK_RECORDS)
    public long pwriteCeiling4kx256(RawWriting s) throws IOException {
        if (s.offset == RawWriting.FILE_BYTES) {
            s.nextFile();
        }
        s.file.write(s.offset, s.chunk);
        s.offset += RawWriting.CHUNK_BYTES;
        return s.offset;
    }

    static final int CHUNK_RECORDS = RawWriting.CHUNK_BYTES / RECORD_BYTES;

    @State(Scope.Thread)
    public static class Reading {
        @Param({"posix", "java"})
        public String backend;

        /**
         * true: the default segments, read through a mapping (sealed and preallocated ones);
         * false: one growing, not preallocated segment, read with one pread of exactly the frame.
         */
        @Param({"true"})
        public boolean mapped;

        static final int RECORDS = 16384; // 64 MiB of 4 KiB records

        Path dir;
        Journal journal;
        Arena arena;
        MemorySegment dst;

        @Setup(Level.Trial)
        public void fill() throws IOException {
            dir = benchDir("journal-read-");
            JournalOptions.Builder options = JournalOptions.builder().ioBackend(backend);
            if (!mapped) {
                options.segmentBytes(128L << 20).preallocate(false);
            }
            journal = Journal.open(dir, options.build());
            arena = Arena.ofShared();
            MemorySegment v = arena.allocate(RECORD_BYTES);
            for (int i = 0; i < RECORDS; i++) {
                v.fill((byte) i);
                journal.append(v);
            }
            journal.sync();
            dst = arena.allocate(RECORD_BYTES, 4096);
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            journal.close();
            arena.close();
            deleteTree(dir);
        }
    }

    @Benchmark
    public long readInto4k(Reading s) throws IOException {
        long lsn = 1 + ThreadLocalRandom.current().nextInt(Reading.RECORDS);
        return s.journal.readInto(lsn, s.dst);
    }

    @State(Scope.Thread)
    public static class Replaying {
        @Param({"posix", "java"})
        public String backend;

        static final long JOURNAL_BYTES = 1L << 30;
        static final int RECORDS = (int) (JOURNAL_BYTES / RECORD_BYTES);

        Path dir;
        Journal journal;

        @Setup(Level.Trial)
        public void fill() throws IOException {
            dir = benchDir("journal-replay-");
            journal = Journal.open(dir, JournalOptions.builder().ioBackend(backend).build());
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment v = arena.allocate(RECORD_BYTES);
                Batch batch = new Batch();
                for (int i = 0; i < 64; i++) {
                    batch.add(v);
                }
                for (int i = 0; i < RECORDS / 64; i++) {
                    v.fill((byte) i);
                    journal.appendBatch(batch);
                }
            }
            journal.sync();
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            journal.close();
            deleteTree(dir);
        }
    }

    /**
     * Replays the whole 1 GiB journal (4 KiB values) from the page cache, reading one byte of
     * each value so that every record is really visited; time per replay (GB/s = 1.074 / s).
     */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public long replay1GiB(Replaying s) throws Exception {
        long[] sum = {0};
        long n = s.journal.replay(1, r -> sum[0] += r.value().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0));
        if (n != Replaying.RECORDS) {
            throw new IllegalStateException("replayed " + n + " records, expected " + Replaying.RECORDS);
        }
        return sum[0];
    }

    /** A new directory under {@code -Dwal4j.bench.dir} (default {@code ./data}). */
    static Path benchDir(String prefix) throws IOException {
        return Files.createTempDirectory(Path.of(System.getProperty("wal4j.bench.dir", "data")), prefix);
    }

    static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}

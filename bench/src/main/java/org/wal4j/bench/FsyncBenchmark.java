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
import org.openjdk.jmh.annotations.Warmup;
import org.wal4j.io.CReferenceLoop;
import org.wal4j.io.IoBackend;
import org.wal4j.io.IoFile;
import org.wal4j.io.JavaIo;
import org.wal4j.io.OpenFlag;
import org.wal4j.io.PosixIo;

/**
 * One durable 4 KiB write: pwrite + fdatasync through PosixIo (FFM), FileChannel.write +
 * force(false) through JavaIo, and the C loop of libwal4j doing one operation per call (so
 * its figure includes one FFM downcall, ~tens of ns). The file is zero-filled and synced
 * first, so every write is a pure overwrite, as in wal4j's segments. The directory is
 * {@code -Dwal4j.bench.dir} (default {@code ./data}), which must be on the disk to measure.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
public class FsyncBenchmark {
    private static final long FILE_BYTES = 64L << 20;

    @Param({"ffm", "java", "c"})
    public String path;

    @Param({"4096"})
    public int sizeBytes;

    private Arena arena;
    private Path file;
    private IoFile io;
    private MemorySegment buf;
    private MemorySegment latency;
    private long op;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        if (!PosixIo.isAvailable() || !CReferenceLoop.isAvailable()) {
            throw new IllegalStateException("the benchmark compares against PosixIo and libwal4j: "
                    + PosixIo.unavailableReason() + " / " + CReferenceLoop.unavailableReason());
        }
        Path dir = Path.of(System.getProperty("wal4j.bench.dir", "data"));
        Files.createDirectories(dir);
        file = dir.resolve("fsync-bench-" + path + ".dat");
        try (IoFile f = PosixIo.instance().open(file, OpenFlag.WRITE, OpenFlag.CREATE, OpenFlag.TRUNCATE)) {
            f.zeroFill(0, FILE_BYTES);
            f.sync();
        }
        PosixIo.instance().syncDirectory(dir);
        IoBackend backend = path.equals("java") ? JavaIo.instance() : PosixIo.instance();
        io = backend.open(file, OpenFlag.READ, OpenFlag.WRITE);
        arena = Arena.ofShared();
        buf = arena.allocate(sizeBytes, 4096);
        Random random = new Random(42);
        for (long i = 0; i < sizeBytes; i += 8) {
            buf.set(ValueLayout.JAVA_LONG_UNALIGNED, i, random.nextLong());
        }
        latency = arena.allocate(Long.BYTES, Long.BYTES);
    }

    @Benchmark
    public long writeFdatasync() throws IOException {
        long k = op++;
        if (path.equals("c")) {
            return CReferenceLoop.run(io, CReferenceLoop.Method.PWRITE_FDATASYNC, buf, k, FILE_BYTES, 1, Long.MAX_VALUE, latency);
        }
        io.write((k * sizeBytes) % FILE_BYTES, buf);
        io.datasync();
        return k;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        io.close();
        arena.close();
        Files.deleteIfExists(file);
    }
}

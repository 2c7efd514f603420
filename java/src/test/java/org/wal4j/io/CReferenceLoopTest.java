package org.wal4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.wal4j.io.BytePatterns.assertSameBytes;
import static org.wal4j.io.BytePatterns.fill;
import static org.wal4j.io.OpenFlag.CREATE;
import static org.wal4j.io.OpenFlag.DIRECT;
import static org.wal4j.io.OpenFlag.DSYNC;
import static org.wal4j.io.OpenFlag.READ;
import static org.wal4j.io.OpenFlag.WRITE;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.wal4j.io.CReferenceLoop.Method;

/**
 * The C reference loops of libwal4j: each method writes where {@code wal4j.h} says, times
 * every operation, and continues where the previous call stopped.
 */
class CReferenceLoopTest {
    private static final String EXPECTED = System.getProperty("wal4j.test.expectedBackend");

    @TempDir
    Path dir;

    Arena arena;

    @BeforeEach
    void openArena() {
        arena = Arena.ofConfined();
    }

    @AfterEach
    void closeArena() {
        arena.close();
    }

    private static void assumeLoopAvailable() {
        assumeTrue(CReferenceLoop.isAvailable(), () -> "libwal4j unavailable: " + CReferenceLoop.unavailableReason());
    }

    private static long farDeadline() {
        return System.nanoTime() + Duration.ofMinutes(10).toNanos();
    }

    /** Where wal4j.h says operation k writes. */
    private static long offsetOf(long k, long len, long wrapBytes) {
        return wrapBytes > 0 ? (k * len) % wrapBytes : k * len;
    }

    /**
     * Runs {@code method} twice, 3 operations each, with different buffers (ops 0-2 with
     * pattern A, then ops 3-5 with pattern B), and checks the return values, the latencies
     * and that the file holds exactly what those operations wrote at their offsets.
     */
    private void runTwiceAndVerify(Method method, long len, long wrapBytes, long presizeBytes, OpenFlag... extra)
            throws IOException {
        assumeLoopAvailable();
        List<OpenFlag> flags = new ArrayList<>(List.of(READ, WRITE, CREATE));
        flags.addAll(List.of(extra));
        long opsPerRun = 3;
        try (IoFile file = PosixIo.instance().open(dir.resolve("f"), flags.toArray(OpenFlag[]::new))) {
            if (presizeBytes > 0) {
                file.zeroFill(0, presizeBytes);
            }
            int alignment = Math.max(file.directAlignment(), 8);
            List<MemorySegment> bufs = List.of(
                    fill(arena.allocate(len, alignment), 1),
                    fill(arena.allocate(len, alignment), 2));

            long fileBytes = presizeBytes;
            for (int run = 0; run < 2; run++) {
                MemorySegment latencies = arena.allocate(ValueLayout.JAVA_LONG, opsPerRun);
                long firstOp = run * opsPerRun;
                long done = CReferenceLoop.run(file, method, bufs.get(run), firstOp, wrapBytes, opsPerRun,
                        farDeadline(), latencies);
                assertEquals(opsPerRun, done, method + " run " + run);
                for (long i = 0; i < opsPerRun; i++) {
                    long latency = latencies.getAtIndex(ValueLayout.JAVA_LONG, i);
                    assertTrue(latency > 0, method + " latency of op " + (firstOp + i) + " = " + latency);
                }
                for (long k = firstOp; k < firstOp + opsPerRun; k++) {
                    fileBytes = Math.max(fileBytes, offsetOf(k, len, wrapBytes) + len);
                }
            }

            MemorySegment expected = arena.allocate(fileBytes);
            for (long k = 0; k < 2 * opsPerRun; k++) {
                expected.asSlice(offsetOf(k, len, wrapBytes), len).copyFrom(bufs.get((int) (k / opsPerRun)));
            }
            assertEquals(fileBytes, file.size(), method + " file size");
            MemorySegment actual = arena.allocate(fileBytes, alignment);
            assertEquals(fileBytes, file.read(0, actual));
            assertSameBytes(expected, actual, method + " file content");
        }
    }

    @Test
    void pwriteFdatasyncAppendsEachOperationAfterTheLast() throws IOException {
        runTwiceAndVerify(Method.PWRITE_FDATASYNC, 4096, 0, 0);
    }

    @Test
    void pwriteFsyncWrapsAroundWithinWrapBytes() throws IOException {
        runTwiceAndVerify(Method.PWRITE_FSYNC, 4096, 4 * 4096, 0);
    }

    @Test
    void pwriteOnADsyncFileAppends() throws IOException {
        runTwiceAndVerify(Method.PWRITE, 1000, 0, 0, DSYNC);
    }

    @Test
    void pwritev2DsyncWrapsAroundWithinWrapBytes() throws IOException {
        runTwiceAndVerify(Method.PWRITEV2_DSYNC, 1000, 4000, 0);
    }

    @Test
    void mmapMsyncWritesThroughTheMappingOfAPresizedFile() throws IOException {
        // 1000-byte records: msync must cover writes that do not start on a page
        runTwiceAndVerify(Method.MMAP_MSYNC, 1000, 4000, 4000);
    }

    @Test
    void pwriteFdatasyncOnADirectFileWithAnAlignedBuffer() throws IOException {
        runTwiceAndVerify(Method.PWRITE_FDATASYNC, 8192, 4 * 8192, 0, DIRECT);
    }

    @Test
    void deadlineInThePastRunsNoOperation() throws IOException {
        assumeLoopAvailable();
        try (IoFile file = PosixIo.instance().open(dir.resolve("f"), READ, WRITE, CREATE)) {
            MemorySegment buf = fill(arena.allocate(4096), 3);
            MemorySegment latencies = arena.allocate(ValueLayout.JAVA_LONG, 5);
            long done = CReferenceLoop.run(file, Method.PWRITE_FDATASYNC, buf, 0, 0, 5, System.nanoTime() - 1, latencies);
            assertEquals(0, done);
            assertEquals(0, file.size(), "nothing written");
        }
    }

    @Test
    void javaIoFileIsIllegalArgument() throws IOException {
        assumeLoopAvailable();
        try (IoFile file = JavaIo.instance().open(dir.resolve("f"), READ, WRITE, CREATE)) {
            MemorySegment buf = arena.allocate(4096);
            MemorySegment latencies = arena.allocate(ValueLayout.JAVA_LONG, 1);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> CReferenceLoop.run(file, Method.PWRITE, buf, 0, 0, 1, farDeadline(), latencies));
            assertTrue(e.getMessage().contains("PosixIo"), e.getMessage());
            assertEquals(0, file.size());
        }
    }

    @Test
    void misalignedBufferOnADirectFileFailsWithEinvalBeforeTheLoopRuns() throws IOException {
        assumeLoopAvailable();
        try (IoFile file = PosixIo.instance().open(dir.resolve("f"), READ, WRITE, CREATE, DIRECT)) {
            int a = file.directAlignment();
            MemorySegment misaligned = arena.allocate(2L * a, a).asSlice(8, a);
            MemorySegment latencies = arena.allocate(ValueLayout.JAVA_LONG, 1);
            IoCallException e = assertThrows(IoCallException.class,
                    () -> CReferenceLoop.run(file, Method.PWRITE_FDATASYNC, misaligned, 0, 0, 1, farDeadline(), latencies));
            assertEquals(Errno.EINVAL, e.errno(), e.getMessage());
            assertTrue(e.getMessage().contains("0x" + Long.toHexString(misaligned.address())), e.getMessage());
            assertEquals(0, file.size());
        }
    }

    @Test
    void mmapOfAFileShorterThanTheMappingIsRefusedNotASigbus() throws IOException {
        assumeLoopAvailable();
        try (IoFile file = PosixIo.instance().open(dir.resolve("f"), READ, WRITE, CREATE)) {
            MemorySegment buf = fill(arena.allocate(4096), 5);
            MemorySegment latencies = arena.allocate(ValueLayout.JAVA_LONG, 1);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> CReferenceLoop.run(file, Method.MMAP_MSYNC, buf, 0, 1 << 20, 1, farDeadline(), latencies));
            assertTrue(e.getMessage().contains("wrapBytes=1048576") && e.getMessage().contains("fileBytes=0"), e.getMessage());
            assertEquals(0, file.size());
        }
    }

    @Test
    void errnoOfAFailedSystemCallBecomesAnIoCallException() throws IOException {
        assumeLoopAvailable();
        Path path = dir.resolve("f");
        Files.write(path, new byte[4096]);
        try (IoFile file = PosixIo.instance().open(path, READ)) {
            MemorySegment buf = arena.allocate(4096);
            MemorySegment latencies = arena.allocate(ValueLayout.JAVA_LONG, 1);
            IoCallException e = assertThrows(IoCallException.class,
                    () -> CReferenceLoop.run(file, Method.PWRITE_FDATASYNC, buf, 0, 0, 1, farDeadline(), latencies));
            assertEquals(Errno.EBADF, e.errno(), e.getMessage());
            assertTrue(e.getMessage().contains("PWRITE_FDATASYNC"), e.getMessage());
        }
    }

    @Test
    void closedFileFailsWithEbadf() throws IOException {
        assumeLoopAvailable();
        IoFile file = PosixIo.instance().open(dir.resolve("f"), READ, WRITE, CREATE);
        file.close();
        MemorySegment buf = arena.allocate(4096);
        MemorySegment latencies = arena.allocate(ValueLayout.JAVA_LONG, 1);
        IoCallException e = assertThrows(IoCallException.class,
                () -> CReferenceLoop.run(file, Method.PWRITE, buf, 0, 0, 1, farDeadline(), latencies));
        assertEquals(Errno.EBADF, e.errno(), e.getMessage());
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void withNativeAccessOffTheLoopIsUnavailableWithAReason() throws IOException {
        assumeTrue("java".equals(EXPECTED), "only in the native-access-off run");
        assertFalse(CReferenceLoop.isAvailable());
        String reason = CReferenceLoop.unavailableReason();
        assertNotNull(reason);
        assertTrue(reason.contains("native access is not enabled"), reason);
        try (IoFile file = JavaIo.instance().open(dir.resolve("f"), READ, WRITE, CREATE)) {
            MemorySegment buf = arena.allocate(4096);
            MemorySegment latencies = arena.allocate(ValueLayout.JAVA_LONG, 1);
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> CReferenceLoop.run(file, Method.PWRITE, buf, 0, 0, 1, farDeadline(), latencies));
            assertTrue(e.getMessage().contains(reason), e.getMessage());
        }
    }

    @Test
    void methodsCanBeListedAndParsedWithoutTheLibrary() {
        assertEquals(5, Method.values().length);
        assertEquals(Method.PWRITEV2_DSYNC, Method.valueOf("PWRITEV2_DSYNC"));
    }

    @Test
    void withNativeAccessOnTheLoopIsAvailable() {
        assumeTrue("posix".equals(EXPECTED), "only in the native-access-on run");
        assertTrue(CReferenceLoop.isAvailable(), String.valueOf(CReferenceLoop.unavailableReason()));
        assertNull(CReferenceLoop.unavailableReason());
    }
}

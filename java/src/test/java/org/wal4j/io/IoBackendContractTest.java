package org.wal4j.io;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.wal4j.io.BytePatterns.assertAllZero;
import static org.wal4j.io.BytePatterns.assertSameBytes;
import static org.wal4j.io.BytePatterns.fill;
import static org.wal4j.io.OpenFlag.CREATE;
import static org.wal4j.io.OpenFlag.CREATE_NEW;
import static org.wal4j.io.OpenFlag.DIRECT;
import static org.wal4j.io.OpenFlag.DSYNC;
import static org.wal4j.io.OpenFlag.READ;
import static org.wal4j.io.OpenFlag.TRUNCATE;
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
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract of {@link IoBackend} and {@link IoFile}, run against every backend by a
 * subclass. Where the backends differ by design (fallocate, pwritev2, errno knowledge) the
 * subclass states what it expects.
 */
abstract class IoBackendContractTest {

    @TempDir
    Path dir;

    Arena arena;

    /** The backend under test. */
    abstract IoBackend backend();

    /** Whether this backend is meant to support {@link IoFile#allocate}. */
    abstract boolean expectedToSupportAllocate();

    /** Whether this backend is meant to support {@link IoFile#writeDsync}. */
    abstract boolean expectedToSupportWriteDsync();

    /**
     * Whether an O_DIRECT open that the filesystem refuses reports errno EINVAL (PosixIo), or
     * may report errno 0 because the JDK keeps only a message (JavaIo).
     */
    abstract boolean knowsErrnoOfRefusedDirectOpen();

    @BeforeEach
    void openArena() {
        arena = Arena.ofShared();
    }

    @AfterEach
    void closeArena() {
        arena.close();
    }

    private IoFile create(String name, OpenFlag... extra) throws IOException {
        List<OpenFlag> flags = new ArrayList<>(List.of(READ, WRITE, CREATE));
        flags.addAll(List.of(extra));
        return backend().open(dir.resolve(name), flags.toArray(OpenFlag[]::new));
    }

    private MemorySegment pattern(long size, int seed) {
        return fill(arena.allocate(size), seed);
    }

    private MemorySegment readBack(IoFile file, long offset, long size) throws IOException {
        MemorySegment dst = arena.allocate(size);
        assertEquals(size, file.read(offset, dst), "bytes read at offset=" + offset);
        return dst;
    }

    private static IoCallException assertIoCallFails(int errno, Executable call) {
        IoCallException e = assertThrows(IoCallException.class, call);
        assertEquals(Errno.name(errno), e.errnoName(), () -> "errno of: " + e.getMessage());
        assertEquals(errno, e.errno(), e::getMessage);
        assertTrue(e.getMessage().contains(Errno.name(errno)), () -> "message names the errno: " + e.getMessage());
        return e;
    }

    private static void assertMessageContains(Throwable e, String... parts) {
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), () -> "message lacks '" + part + "': " + e.getMessage());
        }
    }

    // ---- reads and writes -------------------------------------------------------------

    @Test
    void nativeSegmentsRoundTripAtOffsets() throws IOException {
        try (IoFile file = create("f")) {
            MemorySegment a = pattern(1000, 1);
            MemorySegment b = pattern(4096, 2);
            MemorySegment c = pattern(1, 3);
            file.write(0, a);
            file.write(10_000, b);
            file.write(1000, c);

            assertSameBytes(a, readBack(file, 0, 1000), "a at 0");
            assertSameBytes(b, readBack(file, 10_000, 4096), "b at 10000");
            assertSameBytes(c, readBack(file, 1000, 1), "c at 1000");
            assertAllZero(readBack(file, 1001, 10_000 - 1001), "the hole between c and b");
            assertEquals(14_096, file.size());
        }
    }

    @Test
    void heapSegmentsRoundTripThroughABounceBuffer() throws IOException {
        try (IoFile file = create("f")) {
            byte[] data = BytePatterns.array(12_345, 4);
            file.write(777, MemorySegment.ofArray(data));

            byte[] back = new byte[12_345];
            assertEquals(12_345, file.read(777, MemorySegment.ofArray(back)));
            assertSameBytes(MemorySegment.ofArray(data), MemorySegment.ofArray(back), "heap round trip");

            // a heap slice that does not start at the array's first byte
            byte[] window = new byte[100];
            assertEquals(50, file.read(777, MemorySegment.ofArray(window).asSlice(25, 50)));
            assertSameBytes(MemorySegment.ofArray(data).asSlice(0, 50), MemorySegment.ofArray(window).asSlice(25, 50),
                    "heap slice");
            assertAllZero(MemorySegment.ofArray(window).asSlice(0, 25), "bytes before the slice");
        }
    }

    @Test
    void eightMebibyteWriteRoundTrips() throws IOException {
        long size = 8L << 20;
        try (IoFile file = create("f")) {
            MemorySegment big = pattern(size, 5);
            file.write(4099, big);
            assertEquals(4099 + size, file.size());
            assertSameBytes(big, readBack(file, 4099, size), "8 MiB");
        }
    }

    @Test
    void emptyWriteAndReadDoNothing() throws IOException {
        try (IoFile file = create("f")) {
            file.write(0, pattern(10, 6));
            file.write(5, MemorySegment.ofArray(new byte[0]));
            assertEquals(0, file.read(5, arena.allocate(0)));
            assertEquals(10, file.size());
        }
    }

    @Test
    void readPastEndOfFileReturnsShortCount() throws IOException {
        try (IoFile file = create("f")) {
            MemorySegment data = pattern(100, 7);
            file.write(0, data);

            MemorySegment dst = arena.allocate(4096);
            assertEquals(50, file.read(50, dst));
            assertSameBytes(data.asSlice(50), dst.asSlice(0, 50), "the part before EOF");
            assertAllZero(dst.asSlice(50), "the part after EOF stays untouched");

            assertEquals(0, file.read(100, dst), "read at EOF");
            assertEquals(0, file.read(1 << 20, dst), "read far past EOF");
            byte[] heap = new byte[64];
            assertEquals(30, file.read(70, MemorySegment.ofArray(heap)), "heap read across EOF");
        }
    }

    @Test
    void negativeOffsetIsIllegalArgumentNamingIt() throws IOException {
        try (IoFile file = create("f")) {
            IllegalArgumentException w = assertThrows(IllegalArgumentException.class, () -> file.write(-1, pattern(8, 8)));
            assertMessageContains(w, "offset=-1");
            IllegalArgumentException r = assertThrows(IllegalArgumentException.class, () -> file.read(-7, arena.allocate(8)));
            assertMessageContains(r, "offset=-7");
        }
    }

    @Test
    void openWithoutReadOrWriteIsIllegalArgument() {
        Path path = dir.resolve("f");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> backend().open(path, CREATE));
        assertMessageContains(e, path.toString());
        assertFalse(Files.exists(path), "nothing was created");
    }

    @Test
    void truncateFlagEmptiesAnExistingFile() throws IOException {
        try (IoFile file = create("f")) {
            file.write(0, pattern(5000, 9));
        }
        try (IoFile file = backend().open(dir.resolve("f"), READ, WRITE, TRUNCATE)) {
            assertEquals(0, file.size());
        }
    }

    @Test
    void dataWrittenByOneHandleIsReadByAnother() throws IOException {
        MemorySegment data = pattern(3000, 10);
        try (IoFile file = backend().open(dir.resolve("f"), WRITE, CREATE_NEW)) {
            file.write(0, data);
            file.datasync();
        }
        try (IoFile file = backend().open(dir.resolve("f"), READ)) {
            assertSameBytes(data, readBack(file, 0, 3000), "reopened");
            assertEquals(dir.resolve("f"), file.path());
            assertFalse(file.isDirect());
            assertEquals(1, file.directAlignment());
        }
    }

    // ---- syncs --------------------------------------------------------------------------

    @Test
    void datasyncAndSyncSucceedAndKeepTheData() throws IOException {
        try (IoFile file = create("f")) {
            MemorySegment data = pattern(8192, 11);
            file.write(0, data);
            assertDoesNotThrow(file::datasync);
            assertDoesNotThrow(file::sync);
            assertSameBytes(data, readBack(file, 0, 8192), "after syncs");
        }
    }

    @Test
    void dsyncFileWritesAndReadsBack() throws IOException {
        try (IoFile file = create("f", DSYNC)) {
            MemorySegment data = pattern(4096, 12);
            file.write(0, data);
            file.write(4096, data);
            assertEquals(8192, file.size());
            assertSameBytes(data, readBack(file, 4096, 4096), "second block");
        }
    }

    @Test
    void writeDsyncWorksWhereSupportedAndIsUnsupportedOtherwise() throws IOException {
        try (IoFile file = create("f")) {
            assertEquals(expectedToSupportWriteDsync(), file.supportsWriteDsync());
            MemorySegment data = pattern(5000, 13);
            if (expectedToSupportWriteDsync()) {
                file.writeDsync(100, data);
                file.writeDsync(5100, MemorySegment.ofArray(BytePatterns.array(10, 14)));
                assertSameBytes(data, readBack(file, 100, 5000), "writeDsync");
                assertEquals(5110, file.size());
            } else {
                UnsupportedOperationException e =
                        assertThrows(UnsupportedOperationException.class, () -> file.writeDsync(0, data));
                assertMessageContains(e, "DSYNC");
                assertEquals(0, file.size(), "nothing written");
            }
        }
    }

    @Test
    void syncDirectorySucceedsOnADirectory() throws IOException {
        try (IoFile file = backend().open(dir.resolve("new"), WRITE, CREATE_NEW)) {
            file.datasync();
        }
        assertDoesNotThrow(() -> backend().syncDirectory(dir));
    }

    @Test
    void syncDirectoryOfMissingDirectoryFailsWithEnoentNamingPath() {
        Path missing = dir.resolve("no-such-dir");
        IoCallException e = assertIoCallFails(Errno.ENOENT, () -> backend().syncDirectory(missing));
        assertEquals(missing, e.path());
        assertMessageContains(e, missing.toString());
    }

    // ---- size, zeroFill, truncate, allocate ---------------------------------------------

    @Test
    void sizeFollowsWritesAndTruncation() throws IOException {
        try (IoFile file = create("f")) {
            assertEquals(0, file.size());
            file.write(0, pattern(10, 15));
            assertEquals(10, file.size());
            file.write(1 << 20, pattern(1, 16));
            assertEquals((1 << 20) + 1, file.size());
            file.truncate(3);
            assertEquals(3, file.size());
        }
    }

    @Test
    void zeroFillWritesZerosAndExtendsTheFile() throws IOException {
        try (IoFile file = create("f")) {
            MemorySegment data = pattern(10_000, 17);
            file.write(0, data);
            long length = (3L << 20) + 5; // more than one internal chunk, not a round size
            file.zeroFill(5000, length);

            assertEquals(5000 + length, file.size());
            assertSameBytes(data.asSlice(0, 5000), readBack(file, 0, 5000), "data before the fill");
            assertAllZero(readBack(file, 5000, length), "filled range");
            file.zeroFill(0, 0);
            assertEquals(5000 + length, file.size(), "an empty fill changes nothing");
        }
    }

    @Test
    void zeroFillWithNegativeArgumentsIsIllegalArgument() throws IOException {
        try (IoFile file = create("f")) {
            assertMessageContains(assertThrows(IllegalArgumentException.class, () -> file.zeroFill(-1, 10)), "offset=-1");
            assertMessageContains(assertThrows(IllegalArgumentException.class, () -> file.zeroFill(0, -5)), "length=-5");
        }
    }

    @Test
    void truncateShrinksTheFileAndKeepsThePrefix() throws IOException {
        try (IoFile file = create("f")) {
            MemorySegment data = pattern(10_000, 18);
            file.write(0, data);
            file.truncate(4000);
            assertEquals(4000, file.size());
            MemorySegment dst = arena.allocate(10_000);
            assertEquals(4000, file.read(0, dst));
            assertSameBytes(data.asSlice(0, 4000), dst.asSlice(0, 4000), "prefix");
            file.truncate(4000);
            assertEquals(4000, file.size(), "truncate to the current size is allowed");
            file.truncate(0);
            assertEquals(0, file.size());
        }
    }

    @Test
    void truncateBeyondTheSizeIsIllegalArgumentNamingBothSizes() throws IOException {
        try (IoFile file = create("f")) {
            file.write(0, pattern(4000, 19));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> file.truncate(4001));
            assertMessageContains(e, "size=4001", "4000");
            assertEquals(4000, file.size(), "unchanged");
        }
    }

    @Test
    void truncateToNegativeSizeIsIllegalArgumentNamingIt() throws IOException {
        try (IoFile file = create("f")) {
            file.write(0, pattern(10, 20));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> file.truncate(-1));
            assertMessageContains(e, "size=-1");
            assertEquals(10, file.size(), "unchanged");
        }
    }

    @Test
    void allocateExtendsWithZerosWhereSupportedAndIsUnsupportedOtherwise() throws IOException {
        assertEquals(expectedToSupportAllocate(), backend().supportsAllocate());
        try (IoFile file = create("f")) {
            file.write(0, pattern(100, 21));
            if (expectedToSupportAllocate()) {
                file.allocate(0, 1 << 20);
                assertEquals(1 << 20, file.size());
                assertAllZero(readBack(file, 100, (1 << 20) - 100), "allocated space");
                MemorySegment overwrite = pattern(4096, 22);
                file.write(8192, overwrite);
                assertSameBytes(overwrite, readBack(file, 8192, 4096), "write into allocated space");
                assertThrows(IllegalArgumentException.class, () -> file.allocate(0, 0));
            } else {
                UnsupportedOperationException e =
                        assertThrows(UnsupportedOperationException.class, () -> file.allocate(0, 1 << 20));
                assertMessageContains(e, "fallocate");
                assertEquals(100, file.size(), "unchanged");
            }
        }
    }

    // ---- open errors --------------------------------------------------------------------

    @Test
    void createNewOnExistingFileFailsWithEexist() throws IOException {
        Path path = dir.resolve("f");
        Files.writeString(path, "already here");
        IoCallException e = assertIoCallFails(Errno.EEXIST, () -> backend().open(path, WRITE, CREATE_NEW));
        assertEquals("open", e.call());
        assertEquals("already here", Files.readString(path), "the existing file is untouched");
    }

    @Test
    void openInMissingDirectoryFailsWithEnoentNamingCallAndPath() {
        Path path = dir.resolve("missing").resolve("f");
        IoCallException e = assertIoCallFails(Errno.ENOENT, () -> backend().open(path, READ, WRITE, CREATE));
        assertEquals("open", e.call());
        assertEquals(path, e.path());
        assertMessageContains(e, "open", path.toString(), "ENOENT");
    }

    @Test
    void openOfMissingFileWithoutCreateFailsWithEnoent() {
        Path path = dir.resolve("absent");
        IoCallException e = assertIoCallFails(Errno.ENOENT, () -> backend().open(path, READ));
        assertMessageContains(e, "open", path.toString());
    }

    // ---- wrong mode, closed -------------------------------------------------------------

    @Test
    void writingAReadOnlyHandleFailsWithEbadf() throws IOException {
        Path path = dir.resolve("f");
        Files.writeString(path, "original");
        try (IoFile file = backend().open(path, READ)) {
            assertIoCallFails(Errno.EBADF, () -> file.write(0, pattern(8, 23)));
            assertIoCallFails(Errno.EBADF, () -> file.write(0, MemorySegment.ofArray(new byte[8])));
            // the handle still works for what it was opened for
            assertEquals(8, file.read(0, arena.allocate(8)));
        }
        assertEquals("original", Files.readString(path));
    }

    @Test
    void readingAWriteOnlyHandleFailsWithEbadf() throws IOException {
        try (IoFile file = backend().open(dir.resolve("f"), WRITE, CREATE)) {
            file.write(0, pattern(100, 24));
            assertIoCallFails(Errno.EBADF, () -> file.read(0, arena.allocate(100)));
        }
    }

    @Test
    void everyCallAfterCloseFailsWithEbadfSayingClosed() throws IOException {
        IoFile file = create("f");
        file.write(0, pattern(4096, 25));
        file.close();

        List<Executable> calls = new ArrayList<>(List.of(
                () -> file.write(0, pattern(10, 26)),
                () -> file.write(0, MemorySegment.ofArray(new byte[10])),
                () -> file.read(0, arena.allocate(10)),
                () -> file.read(0, MemorySegment.ofArray(new byte[10])),
                file::datasync,
                file::sync,
                file::size,
                () -> file.truncate(0),
                () -> file.zeroFill(0, 10)));
        if (file.supportsWriteDsync()) {
            calls.add(() -> file.writeDsync(0, pattern(10, 27)));
        }
        if (backend().supportsAllocate()) {
            calls.add(() -> file.allocate(0, 4096));
        }
        assertAll(calls.stream().map(call -> () -> {
            IoCallException e = assertIoCallFails(Errno.EBADF, call);
            assertMessageContains(e, "closed", file.path().toString());
        }));
        assertEquals(4096, Files.size(file.path()), "nothing reached the file after close");
    }

    @Test
    void closeIsIdempotent() throws IOException {
        IoFile file = create("f");
        file.close();
        assertDoesNotThrow(file::close);
        assertDoesNotThrow(file::close);
        assertIoCallFails(Errno.EBADF, file::size);
    }

    // ---- O_DIRECT -----------------------------------------------------------------------

    private IoFile createDirect(String name) throws IOException {
        IoFile file = create(name, DIRECT);
        assertTrue(file.isDirect());
        int alignment = file.directAlignment();
        assertTrue(alignment >= 512 && Integer.bitCount(alignment) == 1,
                "O_DIRECT alignment is a power of two >= 512: " + alignment);
        return file;
    }

    private MemorySegment aligned(IoFile file, long blocks, int seed) {
        int a = file.directAlignment();
        return fill(arena.allocate(blocks * a, a), seed);
    }

    @Test
    void directAlignedRoundTrip() throws IOException {
        try (IoFile file = createDirect("f")) {
            int a = file.directAlignment();
            MemorySegment data = aligned(file, 16, 28);
            file.write(3L * a, data);
            file.datasync();
            assertEquals(19L * a, file.size());

            MemorySegment back = arena.allocate(16L * a, a);
            assertEquals(16L * a, file.read(3L * a, back));
            assertSameBytes(data, back, "O_DIRECT round trip");
            MemorySegment hole = arena.allocate(3L * a, a);
            assertEquals(3L * a, file.read(0, hole));
            assertAllZero(hole, "blocks before the write");
        }
    }

    @Test
    void directReadAtAnUnalignedEndOfFileReturnsTheShortCount() throws IOException {
        Path path = dir.resolve("short");
        Files.write(path, new byte[5000]);
        try (IoFile file = backend().open(path, READ, DIRECT)) {
            int a = file.directAlignment();
            long want = ((5000 + 2L * a - 1) / a) * a;
            MemorySegment dst = arena.allocate(want, a);
            assertEquals(5000, file.read(0, dst), "both backends stop at the end of the file");
        }
    }

    @Test
    void directHeapSegmentsAreBouncedThroughAnAlignedBuffer() throws IOException {
        try (IoFile file = createDirect("f")) {
            int a = file.directAlignment();
            byte[] data = BytePatterns.array(4 * a, 29);
            file.write(a, MemorySegment.ofArray(data));
            byte[] back = new byte[4 * a];
            assertEquals(4L * a, file.read(a, MemorySegment.ofArray(back)));
            assertSameBytes(MemorySegment.ofArray(data), MemorySegment.ofArray(back), "heap through O_DIRECT");
        }
    }

    @Test
    void directZeroFillAndTruncateWorkOnBlockBoundaries() throws IOException {
        try (IoFile file = createDirect("f")) {
            int a = file.directAlignment();
            file.write(0, aligned(file, 2, 30));
            file.zeroFill(2L * a, 6L * a);
            assertEquals(8L * a, file.size());
            MemorySegment back = arena.allocate(6L * a, a);
            assertEquals(6L * a, file.read(2L * a, back));
            assertAllZero(back, "zero-filled blocks");
            file.truncate(a);
            assertEquals(a, file.size());
        }
    }

    @Test
    void misalignedDirectBufferAddressFailsWithEinvalNamingAddress() throws IOException {
        try (IoFile file = createDirect("f")) {
            int a = file.directAlignment();
            MemorySegment misaligned = fill(arena.allocate(2L * a, a), 31).asSlice(8, a);
            IoCallException w = assertIoCallFails(Errno.EINVAL, () -> file.write(0, misaligned));
            String address = "0x" + Long.toHexString(misaligned.address());
            assertMessageContains(w, address, "offset=0", "length=" + a, file.path().toString());
            IoCallException r = assertIoCallFails(Errno.EINVAL, () -> file.read(0, misaligned));
            assertMessageContains(r, address);
            assertEquals(0, file.size(), "nothing reached the file");
        }
    }

    @Test
    void misalignedDirectOffsetFailsWithEinvalNamingOffset() throws IOException {
        try (IoFile file = createDirect("f")) {
            int a = file.directAlignment();
            MemorySegment buf = aligned(file, 1, 32);
            long offset = a + 100;
            IoCallException w = assertIoCallFails(Errno.EINVAL, () -> file.write(offset, buf));
            assertMessageContains(w, "offset=" + offset, String.valueOf(a));
            IoCallException r = assertIoCallFails(Errno.EINVAL, () -> file.read(offset, buf));
            assertMessageContains(r, "offset=" + offset);
            assertEquals(0, file.size(), "nothing reached the file");
        }
    }

    @Test
    void misalignedDirectLengthFailsWithEinvalNamingLength() throws IOException {
        try (IoFile file = createDirect("f")) {
            int a = file.directAlignment();
            long length = a + 100;
            MemorySegment buf = aligned(file, 2, 33).asSlice(0, length);
            IoCallException w = assertIoCallFails(Errno.EINVAL, () -> file.write(0, buf));
            assertMessageContains(w, "length=" + length);
            IoCallException r = assertIoCallFails(Errno.EINVAL, () -> file.read(0, buf));
            assertMessageContains(r, "length=" + length);
            assertEquals(0, file.size(), "nothing reached the file");
        }
    }

    @Test
    void directOpenOnAFilesystemThatRefusesItFailsInOpenNamingPath() throws Exception {
        Path mountPoint = Files.createDirectory(dir.resolve("ramfs"));
        try (ScratchMount ramfs = ScratchMount.mount(mountPoint, "ramfs", "")) {
            Path path = ramfs.dir().resolve("f");
            IoCallException e = assertThrows(IoCallException.class, () -> {
                // if open wrongly succeeds, close the file so that umount can proceed
                backend().open(path, READ, WRITE, CREATE, DIRECT).close();
            });
            assertEquals("open", e.call());
            assertEquals(path, e.path());
            assertMessageContains(e, "open", path.toString());
            if (knowsErrnoOfRefusedDirectOpen()) {
                assertEquals(Errno.EINVAL, e.errno(), e::getMessage);
                assertMessageContains(e, "EINVAL");
            } else {
                assertTrue(e.errno() == 0 || e.errno() == Errno.EINVAL, e::getMessage);
            }
        }
    }

    // ---- a full disk --------------------------------------------------------------------

    @Test
    void writeToAFullFilesystemFailsWithEnospcSayingTheDiskIsFull() throws Exception {
        Path mountPoint = Files.createDirectory(dir.resolve("tiny"));
        try (ScratchMount tmpfs = ScratchMount.mount(mountPoint, "tmpfs", "size=256k")) {
            Path path = tmpfs.dir().resolve("f");
            try (IoFile file = backend().open(path, READ, WRITE, CREATE)) {
                MemorySegment chunk = pattern(64 << 10, 34);
                IoCallException e = assertThrows(IoCallException.class, () -> {
                    for (int i = 0; i < 64; i++) { // 4 MiB into 256 KiB
                        file.write((long) i * chunk.byteSize(), chunk);
                    }
                });
                assertEquals(Errno.ENOSPC, e.errno(), e::getMessage);
                assertMessageContains(e, "ENOSPC", "full", path.toString());
                assertTrue(file.size() <= 256 << 10, "the file cannot outgrow the filesystem: " + file.size());
            }
        }
    }

    // ---- threads ------------------------------------------------------------------------

    @Test
    void threadsWritingDisjointRangesAllLand() throws Exception {
        int threads = 8;
        int blocksPerThread = 64;
        int blockBytes = 4096;
        try (IoFile file = create("f")) {
            Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                workers.add(Thread.ofPlatform().start(() -> {
                    try (Arena own = Arena.ofConfined()) {
                        MemorySegment block = own.allocate(blockBytes);
                        // interleave the threads' blocks: thread t owns blocks t, t + threads, ...
                        for (int i = 0; i < blocksPerThread; i++) {
                            long blockIndex = (long) i * threads + id;
                            fill(block, (int) blockIndex);
                            file.write(blockIndex * blockBytes, id % 2 == 0 ? block : MemorySegment.ofArray(block.toArray(ValueLayout.JAVA_BYTE)));
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }));
            }
            for (Thread w : workers) {
                w.join(Duration.ofSeconds(30));
                assertFalse(w.isAlive(), "writer still running");
            }
            assertTrue(failures.isEmpty(), () -> "writers failed: " + failures);

            long total = (long) threads * blocksPerThread;
            assertEquals(total * blockBytes, file.size());
            MemorySegment expected = arena.allocate(blockBytes);
            MemorySegment actual = arena.allocate(blockBytes);
            for (long b = 0; b < total; b++) {
                fill(expected, (int) b);
                assertEquals(blockBytes, file.read(b * blockBytes, actual));
                assertSameBytes(expected, actual, "block " + b);
            }
        }
    }

    @Test
    void closeWhileThreadsWriteNeverCrashesAndLaterCallsFailWithEbadf() throws Exception {
        int threads = 6;
        IoFile file = create("f");
        CountDownLatch allWrote = new CountDownLatch(threads);
        Queue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
        List<AtomicReference<IoCallException>> endings = new ArrayList<>();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            AtomicReference<IoCallException> ending = new AtomicReference<>();
            endings.add(ending);
            workers.add(Thread.ofPlatform().start(() -> {
                boolean counted = false;
                try (Arena own = Arena.ofConfined()) {
                    MemorySegment block = fill(own.allocate(512), id);
                    byte[] heap = new byte[512];
                    // Bounded so that a close that never takes effect fails the test instead of hanging it.
                    for (long i = 0; i < 50_000_000L; i++) {
                        long offset = ((i * threads + id) % 2048) * 512;
                        switch ((int) (i % 4)) {
                            case 0 -> file.write(offset, block);
                            case 1 -> file.write(offset, MemorySegment.ofArray(heap));
                            case 2 -> file.read(offset, MemorySegment.ofArray(heap));
                            default -> {
                                if (id == 0) {
                                    file.datasync();
                                } else {
                                    file.read(offset, block);
                                }
                            }
                        }
                        if (i == 4) {
                            counted = true;
                            allWrote.countDown();
                        }
                    }
                    unexpected.add(new AssertionError("thread " + id + " was never stopped by close"));
                } catch (IoCallException e) {
                    ending.set(e);
                } catch (Throwable e) {
                    unexpected.add(e);
                } finally {
                    if (!counted) { // failed early: do not keep the test waiting
                        allWrote.countDown();
                    }
                }
            }));
        }
        assertTrue(allWrote.await(30, TimeUnit.SECONDS), "every thread made calls before close");
        file.close();
        for (Thread w : workers) {
            w.join(Duration.ofSeconds(30));
            assertFalse(w.isAlive(), "a thread kept running after close");
        }
        assertTrue(unexpected.isEmpty(), () -> "unexpected failures: " + unexpected);
        for (AtomicReference<IoCallException> ending : endings) {
            IoCallException e = ending.get();
            assertEquals(Errno.EBADF, e.errno(), e::getMessage);
            assertMessageContains(e, "closed");
        }
        assertIoCallFails(Errno.EBADF, () -> file.write(0, pattern(512, 35)));
        assertIoCallFails(Errno.EBADF, file::datasync);
        assertDoesNotThrow(file::close);
    }

    @Test
    void openedFileReportsItsPath() throws IOException {
        Path path = dir.resolve("named");
        try (IoFile file = backend().open(path, WRITE, CREATE_NEW)) {
            assertEquals(path, file.path());
            assertTrue(file.toString().contains(path.toString()), file::toString);
        }
    }
}

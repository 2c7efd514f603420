package org.wal4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.wal4j.io.ChildJvm;
import org.wal4j.log.SegmentFiles;

/**
 * One writer per journal directory. A second open in this JVM is refused by the JVM-wide
 * table (through any path to the directory) without touching the lock file; another process
 * is refused by the kernel's lock, which is what a child JVM tests: its open must fail while
 * this JVM holds the journal, whatever this JVM did meanwhile (a refused second open, an
 * O_DIRECT probe), and succeed once this JVM closed it.
 */
class SingleWriterTest {
    @TempDir
    Path tmp;

    private static JournalOptions options(boolean direct) {
        return JournalOptions.builder().segmentBytes(256 << 10).maxValueBytes(8192).syncPolicy(SyncMode.ALWAYS).direct(direct).build();
    }

    /** The child: {@code <dir> <direct>}: tries to open the journal and append, prints one line saying what happened. */
    public static void main(String[] args) throws Exception {
        try (Journal j = Journal.open(Path.of(args[0]), options(Boolean.parseBoolean(args[1])))) {
            long lsn = j.append("child".getBytes(StandardCharsets.UTF_8));
            System.out.println("RESULT opened " + lsn);
        } catch (AlreadyOpenException e) {
            System.out.println("RESULT refused " + e.inThisProcess() + " " + e.getMessage());
        }
    }

    /** What a child JVM's open of {@code dir} did: the line after "RESULT ". */
    private static String childOpen(Path dir, boolean direct) throws Exception {
        return ChildJvm.result(SingleWriterTest.class, dir.toString(), Boolean.toString(direct));
    }

    private static void assertChildRefused(Path dir, boolean direct) throws Exception {
        String r = childOpen(dir, direct);
        assertTrue(r.startsWith("refused false "), r);
        assertTrue(r.contains("another process") && r.contains(SegmentFiles.LOCK_FILE), r);
    }

    @ParameterizedTest(name = "direct={0}")
    @ValueSource(booleans = {false, true})
    void anotherProcessIsRefusedWhileTheJournalIsOpenAndAdmittedAfterClose(boolean direct) throws Exception {
        Path dir = tmp.resolve("j");
        try (Journal j = Journal.open(dir, options(direct))) {
            assertEquals(direct, j.isDirect());
            j.append("a".getBytes());
            assertChildRefused(dir, direct); // the O_DIRECT probe of open must not have dropped the lock
            assertEquals(2, j.append("b".getBytes()));
        }
        assertEquals("opened 3", childOpen(dir, direct));
        try (Journal j = Journal.open(dir, options(direct))) {
            assertEquals("child", new String(j.read(3).value(), StandardCharsets.UTF_8));
            assertEquals("b", new String(j.read(2).value(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void aSecondOpenInThisJvmIsRefusedThroughAnyPathAndKeepsTheFirstOnesLock() throws Exception {
        Path dir = tmp.resolve("j");
        Files.createDirectories(dir);
        Path link = Files.createSymbolicLink(tmp.resolve("link"), dir);
        Path relative = Path.of("").toAbsolutePath().relativize(tmp.resolve("j/../j"));
        try (Journal j = Journal.open(dir, options(false))) {
            j.append("a".getBytes());
            for (Path other : List.of(dir, link, relative, dir.resolve("."))) {
                AlreadyOpenException e = assertThrows(AlreadyOpenException.class, () -> Journal.open(other, options(false)),
                        other.toString());
                assertTrue(e.inThisProcess(), e.getMessage());
                assertTrue(e.getMessage().contains("already open in this process") && e.getMessage().contains(other.toString()),
                        e.getMessage());
            }
            assertChildRefused(dir, false); // the refused opens closed nothing of the first one's
            assertEquals(2, j.append("b".getBytes()));
        }
        try (Journal j = Journal.open(link, options(false))) {
            assertEquals(2, j.lastLsn());
        }
    }

    /**
     * With the posix backend the lock is an open file description lock: a descriptor of the
     * lock file that something else in this process opens and closes (a backup tool reading
     * the directory, say) does not release it. A POSIX record lock (the java backend's) would
     * be released by that close, which is why wal4j itself never opens the lock file twice.
     */
    @Test
    void closingAnotherDescriptorOfTheLockFileDoesNotReleaseThePosixLock() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(org.wal4j.io.IoBackend.select().name().equals("posix"),
                "the java backend takes a POSIX record lock, which any close in the process releases");
        Path dir = tmp.resolve("j");
        try (Journal j = Journal.open(dir, options(false))) {
            j.append("a".getBytes());
            Files.readAllBytes(dir.resolve(SegmentFiles.LOCK_FILE)); // opens and closes a descriptor of it
            assertChildRefused(dir, false);
        }
    }

    @Test
    void threadsRacingToOpenGetOneJournal() throws Exception {
        Path dir = tmp.resolve("j");
        int threads = 8;
        CountDownLatch start = new CountDownLatch(1);
        AtomicInteger refused = new AtomicInteger();
        List<Journal> opened = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Throwable> unexpected = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Thread> all = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            all.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                    opened.add(Journal.open(dir, options(true)));
                } catch (AlreadyOpenException e) {
                    refused.incrementAndGet();
                } catch (Throwable e) {
                    unexpected.add(e);
                }
            }));
        }
        start.countDown();
        for (Thread t : all) {
            t.join();
        }
        assertEquals(List.of(), unexpected);
        assertEquals(1, opened.size());
        assertEquals(threads - 1, refused.get());
        try (Journal j = opened.get(0)) {
            j.append("a".getBytes());
            assertChildRefused(dir, true);
        }
        assertEquals("opened 2", childOpen(dir, true));
    }

    @Test
    void aFailedOpenReleasesTheLock() throws IOException {
        Path dir = tmp.resolve("j");
        Files.createDirectories(dir);
        Files.write(dir.resolve(SegmentFiles.name(1)), new byte[10]); // no segment: the open fails after taking the lock
        assertThrows(CorruptionException.class, () -> Journal.open(dir, options(false)));
        Files.delete(dir.resolve(SegmentFiles.name(1)));
        try (Journal j = Journal.open(dir, options(false))) {
            assertEquals(1, j.append("a".getBytes()));
        }
    }
}

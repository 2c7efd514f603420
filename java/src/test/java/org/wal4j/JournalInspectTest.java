package org.wal4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.wal4j.format.JournalFormat;

/**
 * {@link Journal#inspect}: it changes nothing (names, bytes, modification times, no lock file),
 * and what it says an open would do is what the open then does, on a clean journal, a torn
 * tail, a torn sealed segment that was never synced (the later ones go), an unfinished
 * creation, and damage to durable data (both refuse, at the same offset).
 */
class JournalInspectTest {
    @TempDir
    Path tmp;

    private static JournalOptions options(SyncMode mode) {
        return JournalOptions.builder().syncPolicy(mode).segmentBytes(64 << 10).maxValueBytes(4096).build();
    }

    private static Path write(Path dir, SyncMode mode, int records) throws IOException {
        try (Journal j = Journal.open(dir, options(mode))) {
            for (int i = 1; i <= records; i++) {
                j.append(("record " + i + " ").repeat(20).getBytes(StandardCharsets.UTF_8));
            }
        }
        Files.deleteIfExists(dir.resolve("wal4j.lock")); // so that inspect's not creating one shows
        return dir;
    }

    private static Map<String, String> state(Path dir) throws IOException {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                m.put(f.getFileName().toString(), java.util.Arrays.hashCode(Files.readAllBytes(f)) + "/" + Files.size(f) + "@"
                        + Files.getLastModifiedTime(f).toMillis());
            }
        }
        return m;
    }

    private static List<Path> segments(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".wal4j")).sorted().toList();
        }
    }

    /** Inspects (twice: it must not have changed what the second one reads), then opens; the reports must agree. */
    private static void inspectThenOpen(Path dir, SyncMode mode) throws Exception {
        Map<String, String> before = state(dir);
        RecoveryReport inspected;
        long lastLsn;
        List<Long> replayed = new ArrayList<>();
        try (JournalInspection in = Journal.inspect(dir)) {
            inspected = in.recovery();
            lastLsn = in.lastLsn();
            in.replay(0, Long.MAX_VALUE, r -> replayed.add(r.lsn()));
        }
        try (JournalInspection again = Journal.inspect(dir)) {
            assertEquals(inspected, again.recovery());
        }
        assertEquals(before, state(dir), "inspect changed the directory");
        try (Journal j = Journal.open(dir, options(mode))) {
            assertEquals(j.recoveryReport(), inspected, "inspect said an open would do otherwise");
            assertEquals(j.lastLsn(), lastLsn);
            List<Long> kept = new ArrayList<>();
            j.replay(0, r -> kept.add(r.lsn()));
            assertEquals(kept, replayed);
        }
    }

    @Test
    void aCleanJournal() throws Exception {
        Path dir = write(tmp.resolve("clean"), SyncMode.NONE, 500);
        assertTrue(segments(dir).size() > 2);
        inspectThenOpen(dir, SyncMode.NONE);
    }

    @Test
    void aTornTail() throws Exception {
        Path dir = write(tmp.resolve("torn"), SyncMode.NONE, 100);
        long end;
        try (JournalInspection in = Journal.inspect(dir)) {
            end = in.segments().getLast().endOffset();
            assertEquals(new RecoveryReport(in.segments().size(), in.segments().stream().mapToLong(JournalInspection.SegmentInfo::records)
                    .sum(), 0, null, 0, 0, 0), in.recovery());
        }
        try (RandomAccessFile f = new RandomAccessFile(segments(dir).getLast().toFile(), "rw")) {
            f.seek(end);
            f.write(new byte[] {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9});
        }
        try (JournalInspection in = Journal.inspect(dir)) {
            assertTrue(in.recovery().droppedTailBytes() > 0, in.recovery().toString());
        }
        inspectThenOpen(dir, SyncMode.NONE);
    }

    @Test
    void aTornSealedSegmentThatWasNeverSyncedAndTheSegmentsAfterIt() throws Exception {
        // NONE: rollovers do not sync; the files are copied before close would sync them (as a crash leaves them)
        Path dir = Files.createDirectories(tmp.resolve("sealed"));
        try (Journal j = Journal.open(tmp.resolve("live"), options(SyncMode.NONE))) {
            for (int i = 1; i <= 500; i++) {
                j.append(("record " + i + " ").repeat(20).getBytes(StandardCharsets.UTF_8));
            }
            for (Path f : segments(tmp.resolve("live"))) {
                Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        List<Path> files = segments(dir);
        assertTrue(files.size() >= 3);
        try (RandomAccessFile f = new RandomAccessFile(files.get(1).toFile(), "rw")) {
            long at = JournalFormat.HEADER_BLOCK_BYTES + 5000;
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 0x40);
        }
        try (JournalInspection in = Journal.inspect(dir)) {
            assertEquals(files.size() - 2, in.recovery().droppedSegments(), in.recovery().toString());
            assertEquals(2, in.segments().size());
        }
        inspectThenOpen(dir, SyncMode.NONE);
        assertEquals(2, segments(dir).size()); // the open did what inspect said
    }

    @Test
    void anUnfinishedCreation() throws Exception {
        Path dir = write(tmp.resolve("unfinished"), SyncMode.NONE, 10);
        Files.write(dir.resolve("00000000000000000099.wal4j.tmp"), new byte[100]);
        try (JournalInspection in = Journal.inspect(dir)) {
            assertEquals(1, in.recovery().removedUnfinished());
        }
        inspectThenOpen(dir, SyncMode.NONE);
        assertFalse(Files.exists(dir.resolve("00000000000000000099.wal4j.tmp")));
    }

    @Test
    void damageToDurableDataIsRefusedByBothAtTheSameOffset() throws Exception {
        Path dir = write(tmp.resolve("damaged"), SyncMode.ALWAYS, 30);
        try (RandomAccessFile f = new RandomAccessFile(segments(dir).getFirst().toFile(), "rw")) {
            long at = JournalFormat.HEADER_BLOCK_BYTES + 100;
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 1);
        }
        Map<String, String> before = state(dir);
        CorruptionException inspected = assertThrows(CorruptionException.class, () -> Journal.inspect(dir).close());
        assertEquals(before, state(dir));
        CorruptionException opened = assertThrows(CorruptionException.class, () -> Journal.open(dir, options(SyncMode.ALWAYS)).close());
        assertEquals(opened.offset(), inspected.offset());
        assertEquals(opened.reason(), inspected.reason());
        assertTrue(inspected.reason().contains("stored=0x"), inspected.reason());
    }

    @Test
    void aPathThatIsNoJournal() throws Exception {
        assertThrows(java.nio.file.NoSuchFileException.class, () -> Journal.inspect(tmp.resolve("missing")));
        Path file = Files.writeString(tmp.resolve("file"), "x");
        assertThrows(NotAJournalException.class, () -> Journal.inspect(file));
        Path other = Files.createDirectories(tmp.resolve("other"));
        Files.writeString(other.resolve("a.txt"), "x");
        assertThrows(NotAJournalException.class, () -> Journal.inspect(other));
        assertEquals(Map.of("a.txt", state(other).get("a.txt")), state(other));
    }
}

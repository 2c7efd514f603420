package org.wal4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.wal4j.io.ScratchMount;
import org.wal4j.log.SegmentFiles;

/**
 * Bad journal directories (docs/durability.md, "Bad input and misuse"): a segment from another journal
 * added at the end or in the middle, a file that is not a segment, a read-only filesystem.
 * Each gets a clear exception (or is ignored, for a file that is no segment) and leaves every
 * file exactly as it was.
 */
class MisuseTest {
    @TempDir
    Path tmp;

    private static JournalOptions options() {
        return JournalOptions.builder().syncPolicy(SyncMode.NONE).segmentBytes(16 << 10).maxValueBytes(4000).build();
    }

    private static void fill(Path dir, long records, int seed) throws IOException {
        try (Journal j = Journal.open(dir, options())) {
            for (long i = 0; i < records; i++) {
                j.append(new byte[500 + seed]);
            }
        }
    }

    /** Every file's SHA-256, by name. */
    private static Map<String, String> contents(Path dir) throws Exception {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().equals(SegmentFiles.LOCK_FILE)).toList()) {
                m.put(p.getFileName().toString(), HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
            }
        }
        return m;
    }

    @Test
    void aSegmentFromAnotherJournalAtTheEndIsRefusedAndNothingIsTouched() throws Exception {
        Path mine = tmp.resolve("mine");
        Path other = tmp.resolve("other");
        fill(mine, 40, 0);
        fill(other, 80, 1);
        Path foreign = SegmentFiles.list(other).segments().getLast();
        assertTrue(foreign.getFileName().compareTo(SegmentFiles.list(mine).segments().getLast().getFileName()) > 0);
        Files.copy(foreign, mine.resolve(foreign.getFileName()));
        Map<String, String> before = contents(mine);
        CorruptionException e = assertThrows(CorruptionException.class, () -> Journal.open(mine, options()));
        assertTrue(e.getMessage().contains("segment chain broken"), e.getMessage());
        assertEquals(before, contents(mine));
    }

    @Test
    void aSegmentFromAnotherJournalInTheMiddleIsRefusedAndNothingIsTouched() throws Exception {
        Path mine = tmp.resolve("mine");
        Path other = tmp.resolve("other");
        fill(mine, 80, 0);
        fill(other, 80, 1);
        // the other journal's second segment under a name that sorts between two of mine
        Path second = SegmentFiles.list(mine).segments().get(1);
        long base = Long.parseLong(second.getFileName().toString().substring(0, 20)) + 1;
        Files.copy(SegmentFiles.list(other).segments().get(1), mine.resolve(SegmentFiles.name(base)));
        Map<String, String> before = contents(mine);
        CorruptionException e = assertThrows(CorruptionException.class, () -> Journal.open(mine, options()));
        assertTrue(e.getMessage().contains("does not match the file name") || e.getMessage().contains("chain broken"), e.getMessage());
        assertEquals(before, contents(mine));
    }

    @Test
    void aFileThatIsNoSegmentIsLeftAlone() throws Exception {
        Path dir = tmp.resolve("j");
        fill(dir, 40, 0);
        Files.writeString(dir.resolve("notes.txt"), "not a segment");
        Map<String, String> before = contents(dir);
        try (Journal j = Journal.open(dir, options())) {
            assertEquals(40, j.lastLsn());
        }
        assertEquals(before.get("notes.txt"), contents(dir).get("notes.txt"));
    }

    /** A file named like a segment that is none (too short for a header, another magic) is refused untouched in every mode. */
    @org.junit.jupiter.params.ParameterizedTest(name = "{0} {1}")
    @org.junit.jupiter.params.provider.CsvSource({"FAIL,short", "STOP,short", "FAIL,magic", "STOP,magic"})
    void aFileNamedLikeASegmentThatIsNoneIsNeverTouched(RecoveryMode mode, String kind) throws Exception {
        Path dir = tmp.resolve("j");
        fill(dir, 40, 0);
        byte[] bytes = kind.equals("short") ? "not a segment".getBytes() : new byte[8192];
        if (kind.equals("magic")) {
            java.util.Arrays.fill(bytes, (byte) 0x5a);
        }
        Path impostor = dir.resolve(SegmentFiles.name(1_000_000));
        Files.write(impostor, bytes);
        Map<String, String> before = contents(dir);
        JournalOptions o = JournalOptions.builder().syncPolicy(SyncMode.NONE).segmentBytes(16 << 10).maxValueBytes(4000).recoveryMode(mode).build();
        CorruptionException e = assertThrows(CorruptionException.class, () -> Journal.open(dir, o));
        assertTrue(e.getMessage().contains(impostor.getFileName().toString()), e.getMessage());
        assertEquals(before, contents(dir), "nothing deleted or changed");
    }

    @Test
    void aReadOnlyFilesystemIsRefusedClearlyAndNothingIsTouched() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("mnt"));
        try (ScratchMount m = ScratchMount.mount(dir, "tmpfs", "size=8m")) {
            Path j = Files.createDirectories(dir.resolve("j"));
            fill(j, 40, 0);
            Map<String, String> before = contents(j);
            m.remount("ro");
            IOException e = assertThrows(IOException.class, () -> Journal.open(j, options()));
            assertTrue(e.getMessage().contains("Read-only") || e.getMessage().contains("EROFS"), e.toString());
            assertEquals(before, contents(j));
            m.remount("rw");
        }
    }
}

package org.wal4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The permission bits of what the journal creates: owner only by default, what {@code fileMode} says otherwise (umask 022 here). */
class FileModeTest {
    @TempDir
    Path tmp;

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    private static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }

    @ParameterizedTest(name = "direct={0}")
    @ValueSource(booleans = {false, true})
    void filesAndTheDirectoryAreTheOwnersAlone(boolean direct) throws IOException {
        Path dir = tmp.resolve("a/j");
        try (Journal j = Journal.open(dir, JournalOptions.builder().syncPolicy(SyncMode.NONE).segmentBytes(64 << 10).maxValueBytes(4096).direct(direct)
                .build())) {
            for (int i = 0; i < 100; i++) {
                j.append(new byte[1000]); // a few rollovers: segments from spares and from .tmp files
            }
            for (Path f : files(dir)) {
                assertEquals("rw-------", mode(f), f.toString());
            }
        }
        assertEquals("rwx------", mode(dir));
        assertEquals("rwx------", mode(dir.getParent()));
    }

    @Test
    void fileModeLetsOthersRead() throws IOException {
        Path dir = tmp.resolve("j");
        try (Journal j = Journal.open(dir, JournalOptions.builder().fileMode(0644).build())) {
            j.append(new byte[10]);
            for (Path f : files(dir)) {
                assertEquals("rw-r--r--", mode(f), f.toString());
            }
        }
        assertEquals("rwxr-xr-x", mode(dir));
    }

    @Test
    void aModeWithoutOwnerReadAndWriteIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JournalOptions.builder().fileMode(0400));
        assertTrue(e.getMessage().contains("fileMode=0400"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> JournalOptions.builder().fileMode(01600));
    }
}

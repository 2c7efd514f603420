package org.wal4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** What the builder refuses, and that its message says which option to change. */
class JournalOptionsTest {
    @Test
    void aSegmentTooSmallForTheLargestRecordSaysWhichOptionToChange() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JournalOptions.builder().segmentBytes(1 << 20).build()); // the default maxValueBytes is 16 MiB
        assertTrue(e.getMessage().contains("segmentBytes=1048576"), e.getMessage());
        assertTrue(e.getMessage().contains("lower maxValueBytes"), e.getMessage());
        long suggested = Long.parseLong(e.getMessage().replaceAll(".*raise segmentBytes to at least ", ""));
        assertEquals(0, suggested % 4096);
        JournalOptions.builder().segmentBytes(suggested).build(); // and that is enough
        assertThrows(IllegalArgumentException.class, () -> JournalOptions.builder().segmentBytes(suggested - 4096).build());
    }

    @Test
    void createIfMissingAndErrorIfExists(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        java.nio.file.Path dir = tmp.resolve("journal");
        JournalOptions mustExist = JournalOptions.builder().createIfMissing(false).build();
        java.nio.file.NoSuchFileException missing = assertThrows(java.nio.file.NoSuchFileException.class,
                () -> Journal.open(dir, mustExist));
        assertTrue(missing.getMessage().contains("createIfMissing is false"), missing.getMessage());
        assertTrue(!java.nio.file.Files.exists(dir), "nothing was created");
        java.nio.file.Files.createDirectories(dir); // an empty directory holds no journal either
        assertThrows(java.nio.file.NoSuchFileException.class, () -> Journal.open(dir, mustExist));
        try (Journal j = Journal.open(dir, JournalOptions.builder().errorIfExists(true).build())) { // none yet: created
            j.append(new byte[] {1});
        }
        java.nio.file.FileAlreadyExistsException exists = assertThrows(java.nio.file.FileAlreadyExistsException.class,
                () -> Journal.open(dir, JournalOptions.builder().errorIfExists(true).build()));
        assertTrue(exists.getMessage().contains("errorIfExists is true"), exists.getMessage());
        try (Journal j = Journal.open(dir, mustExist)) {
            assertEquals(1, j.lastLsn());
        }
    }
}

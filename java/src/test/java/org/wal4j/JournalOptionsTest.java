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
}

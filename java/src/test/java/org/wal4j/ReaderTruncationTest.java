package org.wal4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Readers (replay, iterator) while records they still have to deliver are truncated away:
 * they end with an IOException saying so, never quietly short, and never deliver records
 * appended after they started, whatever now lies in the files at their position.
 */
class ReaderTruncationTest {
    private static final int BIG = 300 << 10;

    @TempDir
    Path dir;

    private static JournalOptions options() {
        return JournalOptions.builder().syncPolicy(SyncMode.NONE).maxValueBytes(1 << 20).build();
    }

    private static byte[] value(long lsn, int bytes) {
        byte[] b = new byte[bytes];
        Arrays.fill(b, (byte) lsn);
        return b;
    }

    private Journal tenBigRecords() throws IOException {
        Journal j = Journal.open(dir, options());
        for (long i = 1; i <= 10; i++) {
            j.append(value(i, BIG));
        }
        return j;
    }

    /** 0: truncate only; otherwise truncate and append records 4..10 again with values of this many bytes. */
    @ParameterizedTest(name = "appendAgainBytes={0}")
    @ValueSource(ints = {0, BIG, 1000})
    void aReplayWhoseRecordsAreTruncatedAwayFailsAndDeliversNothingNew(int appendAgainBytes) throws Exception {
        try (Journal j = tenBigRecords()) {
            List<Long> delivered = new ArrayList<>();
            IOException e = assertThrows(IOException.class, () -> j.replay(1, r -> {
                delivered.add(r.lsn());
                assertArrayEquals(value(r.lsn(), BIG), r.valueBytes(), "lsn " + r.lsn() + " is the snapshot's record");
                if (r.lsn() == 1) {
                    j.truncateBack(3);
                    for (long i = 4; appendAgainBytes > 0 && i <= 10; i++) {
                        j.append(value(100 + i, appendAgainBytes));
                    }
                }
            }));
            assertTrue(e.getMessage().contains("truncated away"), e.getMessage());
            assertEquals(List.of(1L), delivered, "nothing after the truncation");
        }
    }

    @Test
    void aTruncationAboveTheSnapshotDoesNotDisturbTheReplay() throws Exception {
        try (Journal j = tenBigRecords()) {
            List<Long> delivered = new ArrayList<>();
            long n = j.replay(1, r -> {
                delivered.add(r.lsn());
                if (r.lsn() == 2) {
                    j.append(value(11, 10));
                    j.truncateBack(10); // removes only lsn 11, appended after the replay started
                }
            });
            assertEquals(10, n);
            assertEquals(10, delivered.size());
        }
    }

    @Test
    void aReplayThatHadDeliveredEverythingEndsNormally() throws Exception {
        try (Journal j = tenBigRecords()) {
            long n = j.replay(8, r -> {
                if (r.lsn() == 10) {
                    j.truncateBack(2);
                }
            });
            assertEquals(3, n);
        }
    }

    @Test
    void anIteratorFailsAfterAReset() throws Exception {
        try (Journal j = tenBigRecords()) {
            Iterator<JournalRecord> it = j.iterator(1);
            assertEquals(1, it.next().lsn());
            j.reset();
            j.append(value(11, BIG));
            UncheckedIOException e = assertThrows(UncheckedIOException.class, it::hasNext);
            assertTrue(e.getCause().getMessage().contains("truncated away"), e.getMessage());
        }
    }

    @Test
    void anIteratorFromAnotherThreadFailsAfterATruncationBelowIt() throws Exception {
        try (Journal j = tenBigRecords()) {
            Iterator<JournalRecord> it = j.iterator(5);
            assertEquals(5, it.next().lsn());
            Thread t = Thread.ofPlatform().start(() -> {
                try {
                    j.truncateBack(6);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            t.join();
            assertThrows(UncheckedIOException.class, () -> {
                while (it.hasNext()) {
                    it.next();
                }
            });
        }
    }
}

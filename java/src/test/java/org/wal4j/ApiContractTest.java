package org.wal4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What an embedder relies on: the safe default, one exception base, replay's exceptions, a closeable iterator. */
class ApiContractTest {
    @TempDir
    Path tmp;

    @Test
    void theDefaultSyncPolicyIsAlways() throws IOException {
        assertEquals(SyncPolicy.always(), JournalOptions.defaults().syncPolicy());
        assertEquals(SyncPolicy.always(), JournalOptions.builder().build().syncPolicy());
        try (Journal j = Journal.open(tmp.resolve("j"), JournalOptions.defaults())) {
            long lsn = j.append(new byte[] {1});
            assertEquals(lsn, j.durableLsn(), "durable when append returned");
        }
        assertEquals(SyncPolicy.of(SyncMode.INTERVAL), JournalOptions.builder().syncPolicy(SyncMode.INTERVAL).build().syncPolicy());
    }

    @Test
    void everyFailureTheLibraryReportsIsAWal4jException() {
        for (Class<?> c : List.of(AlreadyOpenException.class, CorruptionException.class, JournalClosedException.class,
                JournalFailedException.class, LsnNotFoundException.class, NotAJournalException.class,
                OutcomeUnknownException.class, org.wal4j.compat.gohacks.InvalidHeader.class,
                org.wal4j.compat.gohacks.InvalidLog.class, org.wal4j.compat.gohacks.ShortWrite.class,
                org.wal4j.compat.wally.InvalidLogException.class, org.wal4j.compat.wally.LogClosedException.class,
                org.wal4j.compat.wally.LogFailedException.class)) {
            assertTrue(Wal4jException.class.isAssignableFrom(c), c.getName());
        }
    }

    @Test
    void aReplayWhoseCallbackThrowsNothingDeclaresOnlyIOExceptionAndACheckedOneIsRethrownAsIs() throws IOException {
        try (Journal j = Journal.open(tmp.resolve("j"), JournalOptions.defaults())) {
            j.append(new byte[] {1});
            j.append(new byte[] {2});
            long[] sum = {0};
            assertEquals(2, j.replay(1, r -> sum[0] += r.lsn())); // this method declares IOException only
            assertEquals(3, sum[0]);
            class Stop extends Exception {}
            Stop stop = new Stop();
            assertSame(stop, assertThrows(Stop.class, () -> j.replay(1, r -> {
                throw stop;
            })));
            j.truncateBack(1); // the cursor of the replay that threw was released: nothing holds the truncation up
            assertEquals(1, j.lastLsn());
        }
    }

    @Test
    void anIteratorClosedBeforeItsEndSaysSo() throws IOException {
        try (Journal j = Journal.open(tmp.resolve("j"), JournalOptions.defaults())) {
            j.append(new byte[] {1});
            j.append(new byte[] {2});
            try (JournalIterator it = j.iterator(1)) {
                assertEquals(1, it.next().lsn());
                it.close();
                it.close(); // idempotent
                assertThrows(IllegalStateException.class, it::hasNext);
            }
            try (JournalIterator it = j.iterator(1)) {
                assertEquals(1, it.next().lsn());
                assertEquals(2, it.next().lsn());
                assertFalse(it.hasNext());
            }
        }
    }

    @Test
    void theWal4jIoPropertyChoosesTheBackendOfAnAutoJournalAndAnExplicitOptionWins() throws IOException {
        String before = System.getProperty("wal4j.io");
        System.setProperty("wal4j.io", "java");
        try {
            try (Journal j = Journal.open(tmp.resolve("auto"), JournalOptions.defaults())) {
                assertEquals("java", j.ioBackend());
            }
            if (org.wal4j.io.PosixIo.isAvailable()) {
                try (Journal j = Journal.open(tmp.resolve("posix"), JournalOptions.builder().ioBackend("posix").build())) {
                    assertEquals("posix", j.ioBackend());
                }
            }
        } finally {
            if (before == null) {
                System.clearProperty("wal4j.io");
            } else {
                System.setProperty("wal4j.io", before);
            }
        }
    }
}

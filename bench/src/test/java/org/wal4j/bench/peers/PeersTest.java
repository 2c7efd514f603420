package org.wal4j.bench.peers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every peer of the peer benchmark does what its figures claim: the records it acknowledges
 * read back by number, whole and in order, a replay delivers all of them, and a reopened
 * peer finds them and appends after them. A peer that says a workload does not apply to it
 * (UnsupportedOperationException) is checked for the rest.
 */
class PeersTest {
    private static final int BYTES = 1024;

    @TempDir
    Path tmp;

    @TestFactory
    Stream<DynamicTest> everyPeerReadsBackWhatItAcknowledged() {
        return Peers.all().stream().map(kind -> DynamicTest.dynamicTest(kind.name(), () -> check(kind)));
    }

    private void check(PeerKind kind) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve(kind.name()));
        int singles = 100;
        int batches = 3;
        long n = singles + (long) batches * Workloads.BATCH;
        try (Peer p = kind.opener().open(dir, BYTES)) {
            for (int i = 1; i <= singles; i++) {
                p.append(record(i));
            }
            for (int b = 0; b < batches; b++) {
                byte[][] batch = new byte[Workloads.BATCH][];
                for (int i = 0; i < batch.length; i++) {
                    batch[i] = record(singles + b * Workloads.BATCH + i + 1);
                }
                p.appendBatch(batch);
            }
            p.sync();
            if (!readable(p)) {
                return;
            }
            for (long i = 1; i <= n; i += 7) {
                assertArrayEquals(record(i), p.read(i), kind.name() + " record " + i);
            }
            assertArrayEquals(record(n), p.read(n), kind.name() + " the last record");
            assertEquals(n * BYTES, p.replay(), kind.name() + " replay");
        }
        Peer q;
        try {
            q = kind.opener().open(dir, BYTES);
        } catch (UnsupportedOperationException e) {
            return; // cannot reopen (said so in its open rows)
        }
        try (q) {
            assertArrayEquals(record(n), q.read(n), kind.name() + " the last record after reopening");
            q.append(record(n + 1));
            q.sync();
            assertArrayEquals(record(n + 1), q.read(n + 1), kind.name() + " appended after reopening");
        }
    }

    private static boolean readable(Peer p) throws Exception {
        try {
            p.read(1);
            return true;
        } catch (UnsupportedOperationException e) {
            return false;
        }
    }

    /** Record i: its number in the first 8 bytes, then bytes that differ from record to record. */
    private static byte[] record(long i) {
        byte[] b = new byte[BYTES];
        java.nio.ByteBuffer.wrap(b).putLong(i);
        for (int k = 8; k < b.length; k++) {
            b[k] = (byte) (i * 31 + k);
        }
        return b;
    }
}

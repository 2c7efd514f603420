package org.wal4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.wal4j.io.IoBackend;
import org.wal4j.io.SimulatedDisk;

/** {@link Journal#stats()}, its latency histogram, and the JFR events a recording sees. */
class JournalStatsTest {
    @TempDir
    Path tmp;

    private static JournalOptions.Builder small() {
        return JournalOptions.builder().syncPolicy(SyncMode.NONE).segmentBytes(64 << 10).maxValueBytes(4096);
    }

    @Test
    void alwaysModeCountsOneRoundPerAppendFromOneThread() throws Exception {
        try (Journal j = Journal.open(tmp.resolve("always"), small().syncPolicy(SyncMode.ALWAYS).build())) {
            JournalStats empty = j.stats();
            assertEquals(0, empty.appends());
            assertEquals(0, empty.recordsPerRound());
            for (int i = 0; i < 200; i++) {
                j.append(new byte[500]);
            }
            JournalStats s = j.stats();
            assertEquals(200, s.appends());
            assertEquals(200 * org.wal4j.format.JournalFormat.recordFrameBytes(0, 500), s.appendedBytes());
            assertEquals(200, s.roundRecords());
            assertEquals(s.syncRounds(), s.syncs());
            assertTrue(s.syncRounds() >= 200 && s.recordsPerRound() <= 1.0, s.toString()); // each append waits for its own
            assertTrue(s.syncP50Nanos() > 0 && s.syncP50Nanos() <= s.syncP99Nanos() && s.syncP99Nanos() <= s.syncMaxNanos(), s.toString());
            assertTrue(s.syncNanos() >= s.syncP50Nanos(), s.toString());
            assertEquals(200, s.lastLsn());
            assertEquals(200, s.durableLsn());
            assertEquals(0, s.durableLagBytes());
            assertEquals(0, s.durableLagLsns());
            assertTrue(s.rollovers() >= 1, s.toString()); // 200 frames of 536 bytes fill more than one 64 KiB segment
            assertEquals(s.rollovers() + 1, s.segments());
            assertTrue(s.diskBytes() >= (long) s.segments() * 4096, s.toString());
        }
    }

    @Test
    void theDurableLagIsWhatNoSyncCoveredYet() throws Exception {
        try (Journal j = Journal.open(tmp.resolve("none"), small().syncPolicy(SyncMode.NONE).build())) {
            for (int i = 0; i < 10; i++) {
                j.append(new byte[100]);
            }
            JournalStats before = j.stats();
            assertEquals(10, before.durableLagLsns(), before.toString());
            assertEquals(10 * org.wal4j.format.JournalFormat.recordFrameBytes(0, 100), before.durableLagBytes(), before.toString());
            j.sync();
            JournalStats after = j.stats();
            assertEquals(0, after.durableLagLsns());
            assertEquals(0, after.durableLagBytes());
            assertEquals(1, after.syncRounds());
            assertEquals(10, after.roundRecords());
            assertEquals(10.0, after.recordsPerRound());
        }
    }

    @Test
    void concurrentAppendersShareRounds() throws Exception {
        try (Journal j = Journal.open(tmp.resolve("group"), small().segmentBytes(16 << 20).syncPolicy(SyncMode.ALWAYS).build())) {
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                threads.add(Thread.ofPlatform().start(() -> {
                    try {
                        for (int i = 0; i < 200; i++) {
                            j.append(new byte[64]);
                        }
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            JournalStats s = j.stats();
            assertEquals(1600, s.appends());
            assertEquals(1600, s.roundRecords());
            assertTrue(s.syncRounds() <= 1600, s.toString());
        }
    }

    @Test
    void theHistogramsPercentilesAreWithinTheirBucket() {
        LatencyHistogram h = new LatencyHistogram();
        assertEquals(0, h.percentile(50));
        Random r = new Random(1);
        long[] values = new long[10_001];
        for (int i = 0; i < values.length; i++) {
            values[i] = 1 + (long) (Math.exp(r.nextDouble() * 20)); // 1 ns to about 0.5 ms, log-uniform
            h.record(values[i]);
        }
        java.util.Arrays.sort(values);
        for (double p : new double[] {1, 50, 90, 99, 99.9, 100}) {
            long exact = values[(int) Math.ceil(p / 100 * values.length) - 1];
            long got = h.percentile(p);
            assertTrue(got >= exact && got <= Math.max(exact + 1, (long) (exact * 1.25)), "p" + p + ": " + got + " for " + exact);
        }
        assertEquals(values[values.length - 1], h.max());
        assertEquals(values.length, h.count());
        for (long n = 1; n < 100_000; n = n * 3 / 2 + 1) {
            LatencyHistogram one = new LatencyHistogram();
            one.record(n);
            assertEquals(n, one.percentile(50), "a single value is its own percentile (capped at the maximum)");
        }
    }

    @Test
    void aRecordingSeesEveryKindOfEvent() throws Exception {
        Path file = tmp.resolve("wal4j.jfr");
        Path dir = tmp.resolve("events");
        try (Recording recording = new Recording()) {
            for (String name : List.of("SyncRound", "Rollover", "SparePrepared", "SegmentRetired", "Recovery", "Truncation",
                    "FailStop")) {
                recording.enable("org.wal4j." + name).withThreshold(Duration.ZERO);
            }
            recording.start();
            JournalOptions options = small().syncPolicy(SyncMode.ALWAYS).direct(true).directFallback(true).build();
            try (Journal j = Journal.open(dir, options)) {
                for (int i = 0; i < 300; i++) {
                    j.append(new byte[1000]);
                }
                j.truncateFront(j.lastLsn() - 10);
                j.truncateBack(j.lastLsn() - 2);
            }
            SimulatedDisk disk = SimulatedDisk.over(IoBackend.select(), dir);
            Journal failing = Journal.open(dir, small().syncPolicy(SyncMode.ALWAYS).build(), disk);
            disk.failNextSyncOf(p -> p.toString().endsWith(".wal4j"));
            assertThrows(IOException.class, () -> failing.append(new byte[10]));
            try {
                failing.close();
            } catch (IOException expected) {
                // a failed journal's close reports the failure
            }
            recording.stop();
            recording.dump(file);
        }
        Set<String> seen = new HashSet<>();
        for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
            seen.add(e.getEventType().getName());
            if (e.getEventType().getName().equals("org.wal4j.SyncRound")) {
                assertTrue(e.getLong("records") >= 0 && e.getLong("bytes") >= 0, e.toString());
            }
        }
        assertTrue(seen.containsAll(Set.of("org.wal4j.SyncRound", "org.wal4j.Rollover", "org.wal4j.SparePrepared",
                "org.wal4j.Recovery", "org.wal4j.Truncation", "org.wal4j.FailStop", "org.wal4j.SegmentRetired")), seen.toString());
    }
}

package org.wal4j.jraft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.alipay.sofa.jraft.conf.ConfigurationManager;
import com.alipay.sofa.jraft.entity.LogEntry;
import com.alipay.sofa.jraft.entity.codec.v2.LogEntryV2CodecFactory;
import com.alipay.sofa.jraft.option.LogStorageOptions;
import com.alipay.sofa.jraft.option.RaftOptions;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of a JVM appending to a {@link Wal4jLogStorage} with sync on, three times on the
 * same directory: after each, the storage reopens with every entry an appendEntries had
 * returned for, with its term and data, except what a truncateSuffix that had started removed;
 * whatever else it holds is the batch in flight, intact.
 */
class LogStorageKillDashNineTest {
    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void everyEntryAppendEntriesReturnedForSurvivesKillDashNine() throws Exception {
        Path dir = tmp.resolve("log");
        TreeMap<Long, Long> acked = new TreeMap<>(); // index -> term
        for (int round = 0; round < 3; round++) {
            long firstTerm = (round + 1) * 1000L;
            Process child = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(),
                    "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                    "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", System.getProperty("java.class.path"),
                    KillDashNineChild.class.getName(), dir.toString(), Long.toString(firstTerm))
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            List<String> lines = new ArrayList<>();
            IOException[] readFailure = {null};
            Thread reader = Thread.ofPlatform().start(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String l; (l = in.readLine()) != null; ) {
                        synchronized (lines) {
                            lines.add(l);
                        }
                    }
                } catch (IOException e) {
                    readFailure[0] = e;
                }
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            int want = 150 + round * 100;
            while (System.nanoTime() < deadline && child.isAlive()) {
                synchronized (lines) {
                    if (lines.stream().filter(l -> l.startsWith("ok ")).count() >= want) {
                        break;
                    }
                }
                Thread.sleep(5);
            }
            synchronized (lines) {
                assertTrue(child.isAlive(), "the writer ended by itself: " + lines);
            }
            // the signal through the handle: Process.destroyForcibly would also close our end of the pipe
            child.toHandle().destroyForcibly();
            child.waitFor();
            reader.join();
            assertNull(readFailure[0], "reading the writer's output to its end");

            long term = firstTerm;
            long lastAcked = acked.isEmpty() ? 0 : acked.lastKey();
            long cutInFlight = -1;
            for (String l : lines) {
                String[] w = l.split(" ");
                switch (w[0]) {
                    case "ok" -> {
                        long last = Long.parseLong(w[1]);
                        for (long i = lastAcked + 1; i <= last; i++) {
                            acked.put(i, term);
                        }
                        lastAcked = last;
                    }
                    case "cutting" -> cutInFlight = Long.parseLong(w[1]);
                    case "cut" -> {
                        long keep = Long.parseLong(w[1]);
                        acked.tailMap(keep, false).clear();
                        lastAcked = keep;
                        term = Long.parseLong(w[2]);
                        cutInFlight = -1;
                    }
                    default -> throw new AssertionError("the writer printed " + l);
                }
            }
            assertTrue(lastAcked >= want, "appends acknowledged in round " + round + ": " + lastAcked);

            Wal4jLogStorage s = new Wal4jLogStorage(dir.toString(), new RaftOptions());
            LogStorageOptions o = new LogStorageOptions();
            o.setConfigurationManager(new ConfigurationManager());
            o.setLogEntryCodecFactory(LogEntryV2CodecFactory.getInstance());
            assertTrue(s.init(o));
            try {
                long mustHave = cutInFlight >= 0 ? Math.min(cutInFlight, lastAcked) : lastAcked;
                long last = s.getLastLogIndex();
                assertTrue(last >= mustHave, "round " + round + ": last index " + last + " below the acknowledged " + mustHave);
                for (var e : acked.headMap(mustHave, true).entrySet()) {
                    LogEntry got = s.getEntry(e.getKey());
                    assertNotNull(got, "round " + round + ": acknowledged entry " + e.getKey() + " is missing");
                    assertEquals(e.getValue(), got.getId().getTerm(), "round " + round + ": the term of entry " + e.getKey());
                    assertArrayEquals(KillDashNineChild.data(e.getKey(), e.getValue()), bytes(got.getData()),
                            "round " + round + ": the data of entry " + e.getKey());
                }
                for (long i = mustHave + 1; i <= last; i++) { // the batch in flight, or what the cut in flight did not remove
                    LogEntry got = s.getEntry(i);
                    assertNotNull(got, "round " + round + ": entry " + i + " below the last index " + last);
                    assertArrayEquals(KillDashNineChild.data(i, got.getId().getTerm()), bytes(got.getData()),
                            "round " + round + ": entry " + i + " is intact");
                }
                acked.tailMap(mustHave, false).clear();
                for (long i = mustHave + 1; i <= last; i++) {
                    acked.put(i, s.getEntry(i).getId().getTerm());
                }
            } finally {
                s.shutdown();
            }
        }
    }

    private static byte[] bytes(ByteBuffer b) {
        ByteBuffer d = b.duplicate();
        byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
    }
}

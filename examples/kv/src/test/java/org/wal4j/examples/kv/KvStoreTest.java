package org.wal4j.examples.kv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KvStoreTest {
    @TempDir
    Path tmp;

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void putGetDeleteAndReplayOnOpen() throws Exception {
        Path dir = tmp.resolve("store");
        try (KvStore kv = KvStore.open(dir)) {
            kv.put("a", bytes("1"));
            kv.put("b", bytes("2"));
            kv.put("a", bytes("3"));
            kv.delete("b");
            assertArrayEquals(bytes("3"), kv.get("a"));
            assertNull(kv.get("b"));
            assertNull(kv.get("never"));
        }
        try (KvStore kv = KvStore.open(dir)) {
            assertArrayEquals(bytes("3"), kv.get("a"));
            assertNull(kv.get("b"));
            assertEquals(1, kv.snapshot().size());
        }
    }

    @Test
    void aCheckpointLetsTheJournalDropItsSegmentsAndReopensToTheSameMap() throws Exception {
        Path dir = tmp.resolve("store");
        byte[] big = new byte[100_000];
        try (KvStore kv = KvStore.open(dir)) {
            for (int i = 0; i < 1500; i++) { // about 150 MB of puts: several 64 MiB segments
                kv.put("k" + (i % 10), big);
            }
            kv.put("last", bytes("x"));
            kv.delete("k3");
            long before = segments(dir);
            kv.checkpoint();
            assertTrue(segments(dir) < before, "segments before " + before + ", after " + segments(dir));
            kv.put("after", bytes("y"));
        }
        try (KvStore kv = KvStore.open(dir)) {
            assertArrayEquals(bytes("x"), kv.get("last"));
            assertArrayEquals(bytes("y"), kv.get("after"));
            assertNull(kv.get("k3"));
            assertArrayEquals(big, kv.get("k4"));
            assertEquals(11, kv.snapshot().size());
        }
    }

    @Test
    void concurrentPutsOfOneKeyEndAsTheJournalOrdersThem() throws Exception {
        Path dir = tmp.resolve("store");
        byte[] winner;
        try (KvStore kv = KvStore.open(dir)) {
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int id = t;
                threads.add(Thread.ofPlatform().start(() -> {
                    try {
                        for (int i = 0; i < 100; i++) {
                            kv.put("shared", bytes(id + ":" + i));
                        }
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            winner = kv.get("shared");
        }
        try (KvStore kv = KvStore.open(dir)) {
            assertArrayEquals(winner, kv.get("shared"), "the replay applies the records in LSN order, as the puts did");
        }
    }

    /** Kill -9 the writer three times; every change it printed as returned must be there after each. */
    @Test
    void everyAcknowledgedChangeSurvivesKillDashNine() throws Exception {
        Path dir = tmp.resolve("store");
        Set<Long> put = new HashSet<>();
        Set<Long> deleted = new HashSet<>();
        long next = 1;
        for (int round = 0; round < 3; round++) {
            Process child = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(),
                    "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                    KvStore.class.getName(), dir.toString(), Long.toString(next)).redirectErrorStream(true).start();
            List<String> lines = new ArrayList<>();
            java.io.IOException[] readFailure = {null};
            Thread reader = Thread.ofPlatform().start(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String l; (l = in.readLine()) != null; ) {
                        synchronized (lines) {
                            lines.add(l);
                        }
                    }
                } catch (java.io.IOException e) {
                    readFailure[0] = e;
                }
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline && child.isAlive()) {
                synchronized (lines) {
                    if (lines.stream().filter(l -> l.startsWith("put ")).count() >= 300 + round * 100) {
                        break;
                    }
                }
                Thread.sleep(5);
            }
            synchronized (lines) {
                assertTrue(child.isAlive(), "the writer ended by itself: " + lines);
            }
            // SIGKILL through the handle: Process.destroyForcibly would also close our end of the
            // pipe, and the lines still in it (changes the child made and acknowledged) would be
            // lost to the check below, which would then miss a delete it must expect.
            child.toHandle().destroyForcibly();
            child.waitFor();
            reader.join();
            assertNull(readFailure[0], "reading the writer's output to its end");
            long last = next - 1;
            for (String l : lines) {
                String[] w = l.split(" ");
                switch (w[0]) {
                    case "put" -> {
                        put.add(Long.parseLong(w[1]));
                        last = Math.max(last, Long.parseLong(w[1]));
                    }
                    case "delete" -> deleted.add(Long.parseLong(w[1]));
                    case "checkpoint" -> { }
                    default -> throw new AssertionError("the writer printed " + l);
                }
            }
            // what the writer had done but not yet printed (it flushes once an iteration) may or may
            // not be there: the iteration after the last printed put, or the rest of that one. Of
            // those, only a delete (of i - 3 after put i, i % 7 == 0) touches a key checked below.
            Set<Long> inFlightDeletes = new HashSet<>();
            for (long i = last; i <= last + 1; i++) {
                if (i % 7 == 0 && !deleted.contains(i - 3)) {
                    inFlightDeletes.add(i - 3);
                }
            }
            try (KvStore kv = KvStore.open(dir)) {
                for (long i : put) {
                    byte[] v = kv.get("k" + i);
                    if (inFlightDeletes.contains(i) && v == null) {
                        deleted.add(i); // it went through
                        continue;
                    }
                    if (deleted.contains(i)) {
                        assertNull(v, "k" + i + " was deleted and the delete acknowledged");
                    } else {
                        assertArrayEquals(bytes("value " + i), v, "k" + i + " was put and the put acknowledged");
                    }
                }
            }
            next = last + 2; // the put after the last acknowledged one may or may not be there: start past it
        }
    }

    private static long segments(Path dir) throws java.io.IOException {
        try (Stream<Path> files = Files.list(dir.resolve("journal"))) {
            return files.filter(f -> f.getFileName().toString().endsWith(".wal4j")).count();
        }
    }
}

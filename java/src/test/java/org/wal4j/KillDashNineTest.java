package org.wal4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real crash: a child JVM appends from four threads in ALWAYS mode and prints every LSN
 * once {@code append} returned it; the parent kills it with SIGKILL at a random moment,
 * reopens the journal and checks that every printed LSN is there with its value, in order,
 * without gaps. Several rounds on the same directory, alternating O_DIRECT, with a
 * checkpoint ({@code truncateFront}) now and then so that segments are recycled.
 */
class KillDashNineTest {
    private static final int THREADS = 4;

    @TempDir
    Path dir;

    private static JournalOptions options(boolean direct) {
        return JournalOptions.builder().segmentBytes(256 << 10).maxValueBytes(8192).syncPolicy(SyncMode.ALWAYS)
                .direct(direct).build();
    }

    private static byte[] value(int thread, long seq) {
        byte[] b = new byte[100 + (int) (seq * 37 % 3000)];
        byte[] tag = ("t" + thread + "-" + seq + ";").getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < b.length; i++) {
            b[i] = tag[i % tag.length];
        }
        return b;
    }

    /** The child: {@code <dir> <direct>}; appends until killed. */
    public static void main(String[] args) throws Exception {
        Journal j = Journal.open(Path.of(args[0]), options(Boolean.parseBoolean(args[1])));
        System.out.println("open " + j.lastLsn() + " .");
        System.out.flush();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int thread = t;
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    for (long seq = 0; ; seq++) {
                        long lsn = j.append(value(thread, seq));
                        synchronized (System.out) {
                            System.out.println("ack " + lsn + " " + thread + " " + seq + " .");
                            System.out.flush();
                        }
                        if (lsn % 500 == 0) {
                            j.truncateFront(lsn - 250); // a checkpoint
                        }
                    }
                } catch (Exception e) {
                    e.printStackTrace();
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
    }

    @Test
    void everyAcknowledgedRecordSurvivesSigkill() throws Exception {
        Random random = new Random(42);
        Map<Long, byte[]> acknowledged = new ConcurrentHashMap<>();
        long kills = 0;
        long checkedTotal = 0;
        for (int round = 0; round < 6; round++) {
            boolean direct = round % 2 == 1;
            List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                    "-cp", System.getProperty("java.class.path")));
            if (Journal.class.getModule().isNativeAccessEnabled()) {
                command.add("--enable-native-access=ALL-UNNAMED");
            }
            command.addAll(List.of(KillDashNineTest.class.getName(), dir.toString(), Boolean.toString(direct)));
            Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
            long[] acksThisRound = {0};
            StringBuilder other = new StringBuilder();
            java.io.IOException[] readFailure = {null};
            Thread reader = Thread.ofPlatform().start(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = in.readLine()) != null; ) {
                        String[] f = line.split(" ");
                        if (f.length == 5 && f[0].equals("ack") && f[4].equals(".")) {
                            acknowledged.put(Long.parseLong(f[1]), value(Integer.parseInt(f[2]), Long.parseLong(f[3])));
                            acksThisRound[0]++;
                        } else if (!line.startsWith("open ")) {
                            other.append(line).append('\n');
                        }
                    }
                } catch (java.io.IOException e) {
                    readFailure[0] = e;
                }
            });
            // kill it at a random moment once it has acknowledged something this round
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (acksThisRound[0] == 0 && child.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            Thread.sleep(50 + random.nextInt(400));
            assertTrue(child.isAlive(), () -> "the child ended by itself: " + other);
            // SIGKILL through the handle: Process.destroyForcibly would also close our end of the
            // pipe and drop the acknowledgements still in it, so fewer records would be checked
            child.toHandle().destroyForcibly();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
            reader.join(TimeUnit.SECONDS.toMillis(30));
            assertNull(readFailure[0], "reading the child's output to its end");
            kills++;
            assertTrue(acksThisRound[0] > 0, () -> "round acknowledged nothing: " + other);

            try (Journal j = Journal.open(dir, options(direct))) {
                long first = j.firstLsn();
                long last = j.lastLsn();
                long checked = 0;
                for (Map.Entry<Long, byte[]> e : acknowledged.entrySet()) {
                    if (e.getKey() >= first) { // below it: removed by a checkpoint the child made
                        assertArrayEquals(e.getValue(), j.read(e.getKey()).value(), "acknowledged lsn " + e.getKey());
                        checked++;
                    }
                }
                long[] previous = {first - 1};
                j.replay(first, r -> {
                    assertEquals(previous[0] + 1, r.lsn(), "no gaps");
                    previous[0] = r.lsn();
                });
                assertEquals(last, previous[0]);
                assertTrue(checked > 0, "some acknowledged records are above the checkpoint: first=" + first);
                checkedTotal += checked;
            }
        }
        System.out.printf("kill -9: %d kills, %d acknowledged records, %d reads of them after the kills (the rest were"
                + " below a checkpoint), 0 missing%n", kills, acknowledged.size(), checkedTotal);
    }
}

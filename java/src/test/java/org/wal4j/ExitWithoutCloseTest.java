package org.wal4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A JVM that exits without {@code close()} loses only what the sync mode allowed: a child
 * JVM appends in ALWAYS mode (and in NONE mode up to a {@code sync()}), then more in NONE
 * mode without syncing, and calls {@code System.exit} with the journal open. Every record
 * acknowledged durable must be there after reopening.
 */
class ExitWithoutCloseTest {
    @TempDir
    Path dir;

    /** The child: {@code <dir> <records>}. */
    public static void main(String[] args) throws Exception {
        Path d = Path.of(args[0]);
        int n = Integer.parseInt(args[1]);
        Journal j = Journal.open(d, JournalOptions.builder().segmentBytes(64 << 10).maxValueBytes(8192).syncPolicy(SyncMode.ALWAYS).build());
        for (int i = 1; i <= n; i++) {
            j.append(("always-" + i).getBytes(StandardCharsets.UTF_8));
        }
        j.setPolicy(SyncPolicy.none());
        for (int i = 1; i <= n; i++) {
            j.append(("synced-" + i).getBytes(StandardCharsets.UTF_8));
        }
        j.sync();
        for (int i = 1; i <= n; i++) {
            j.append(("unsynced-" + i).getBytes(StandardCharsets.UTF_8)); // may or may not survive
        }
        j.appendAsync("async".getBytes(StandardCharsets.UTF_8)); // background thread still running
        System.out.println("acknowledged " + 2 * n);
        System.out.flush();
        System.exit(0);
    }

    @Test
    void exitWithoutCloseKeepsEveryAcknowledgedRecord() throws Exception {
        int n = 300;
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "-cp", System.getProperty("java.class.path")));
        if (Journal.class.getModule().isNativeAccessEnabled()) {
            command.add("--enable-native-access=ALL-UNNAMED");
        }
        command.addAll(List.of(ExitWithoutCloseTest.class.getName(), dir.toString(), Integer.toString(n)));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(child.waitFor(120, TimeUnit.SECONDS), "child did not exit");
        assertEquals(0, child.exitValue(), () -> command + " printed: " + out);
        assertTrue(out.contains("acknowledged " + 2 * n), out);
        try (Journal j = Journal.open(dir, JournalOptions.builder().segmentBytes(64 << 10).maxValueBytes(8192).verifyOnOpen(true).build())) {
            for (int i = 1; i <= n; i++) {
                assertArrayEquals(("always-" + i).getBytes(StandardCharsets.UTF_8), j.read(i).value());
                assertArrayEquals(("synced-" + i).getBytes(StandardCharsets.UTF_8), j.read(n + i).value());
            }
            assertTrue(j.lastLsn() >= 2 * n);
        }
    }
}

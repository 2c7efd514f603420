package org.wal4j.compat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;


import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.wal4j.compat.gohacks.Policy;
import org.wal4j.compat.gohacks.WriteAheadLog;
import org.wal4j.compat.wally.Log;
import org.wal4j.compat.wally.Options;
import org.wal4j.AlreadyOpenException;
import org.wal4j.io.ChildJvm;

/**
 * One writer per compat log file, as for the journal: the ports lock the log file itself
 * (no file beside it, so the Go formats are unchanged). A second open in this JVM, through
 * any path, is refused by the JVM-wide table; a child JVM is refused by the kernel's lock
 * while the file is open here, whatever the open did with other descriptors of the file
 * (gohacks' O_DIRECT scan), and admitted after close. Without the lock the child appended
 * and synced its record 2, and the holder then wrote its own record 2 over it.
 */
class PortLockTest {
    @TempDir
    Path tmp;

    /** The child: {@code <gohacks|wally> <file>}: opens, appends, syncs, closes; prints one line saying what happened. */
    public static void main(String[] args) throws Exception {
        try (AutoCloseable log = open(args[0], Path.of(args[1]))) {
            append(log, "child");
            System.out.println("RESULT opened");
        } catch (AlreadyOpenException e) {
            System.out.println("RESULT refused " + e.inThisProcess() + " " + e.getMessage());
        }
    }

    private static AutoCloseable open(String port, Path file) throws IOException {
        return port.equals("gohacks") ? WriteAheadLog.open(file, Policy.defaults()) : Log.open(file, Options.defaults());
    }

    private static void append(AutoCloseable log, String value) throws IOException {
        byte[] v = value.getBytes(StandardCharsets.UTF_8);
        if (log instanceof WriteAheadLog w) {
            w.append(w.lastLsn() + 1, 0, new byte[0], v);
            w.sync();
        } else {
            Log l = (Log) log;
            l.append(v);
            l.sync();
        }
    }

    private static List<String> values(String port, Path file) throws Exception {
        List<String> got = new ArrayList<>();
        try (AutoCloseable log = open(port, file)) {
            if (log instanceof WriteAheadLog w) {
                w.replay(0, (lsn, timestamp, key, value) -> got.add(new String(value, StandardCharsets.UTF_8)));
            } else {
                Log l = (Log) log;
                for (long i = 1; i <= l.lastIndex(); i++) {
                    got.add(new String(l.read(i), StandardCharsets.UTF_8));
                }
            }
        }
        return got;
    }

    private static String childOpen(String port, Path file) throws Exception {
        return ChildJvm.result(PortLockTest.class, port, file.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"gohacks", "wally"})
    void anotherProcessIsRefusedWhileTheLogIsOpenAndAdmittedAfterClose(String port) throws Exception {
        Path file = tmp.resolve(port + ".log");
        try (AutoCloseable log = open(port, file)) {
            append(log, "a");
            String r = childOpen(port, file);
            assertTrue(r.startsWith("refused false ") && r.contains("another process") && r.contains(file.toString()), r);
            append(log, "b");
        }
        assertEquals("opened", childOpen(port, file));
        assertEquals(List.of("a", "b", "child"), values(port, file));
    }

    @ParameterizedTest
    @ValueSource(strings = {"gohacks", "wally"})
    void aSecondOpenInThisJvmIsRefusedThroughAnyPathAndKeepsTheFirstOnesLock(String port) throws Exception {
        Path file = tmp.resolve(port + ".log");
        Path link = tmp.resolve("link.log");
        try (AutoCloseable log = open(port, file)) {
            Files.createSymbolicLink(link, file);
            Path relative = Path.of("").toAbsolutePath().relativize(tmp.resolve("sub/../" + file.getFileName()));
            Files.createDirectories(tmp.resolve("sub"));
            for (Path other : List.of(file, link, relative)) {
                AlreadyOpenException e = assertThrows(AlreadyOpenException.class, () -> open(port, other), other.toString());
                assertTrue(e.inThisProcess() && e.getMessage().contains("already open in this process"), e.getMessage());
            }
            String r = childOpen(port, file); // the refused opens closed nothing of the first one's
            assertTrue(r.startsWith("refused false "), r);
            append(log, "a");
        }
        assertEquals(List.of("a"), values(port, link));
        assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(link));
    }
}

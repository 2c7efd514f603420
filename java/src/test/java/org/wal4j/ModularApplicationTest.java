package org.wal4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A modular application ({@code requires org.wal4j;}) compiled against the exploded module
 * {@code org.wal4j} (this build's classes) and run in a child JVM on the module path: with
 * {@code --enable-native-access=org.wal4j} it uses the posix backend and the JVM prints no
 * native-access warning; without it the journal falls back to JavaIo, says so in one log line,
 * and still works.
 */
class ModularApplicationTest {
    private static final String FALLBACK_LOG = "wal4j PosixIo unavailable, JavaIo is the fallback";

    @TempDir
    static Path work;
    private static Path modulePath;

    private static final String MODULE_INFO = """
            module app {
                requires org.wal4j;
            }
            """;

    private static final String MAIN = """
            package app;

            import java.nio.charset.StandardCharsets;
            import java.nio.file.Files;
            import java.nio.file.Path;
            import org.wal4j.Journal;
            import org.wal4j.JournalOptions;

            public final class Main {
                public static void main(String[] args) throws Exception {
                    Path dir = Files.createTempDirectory(Path.of(args[0]), "journal");
                    try (Journal journal = Journal.open(dir, JournalOptions.defaults())) {
                        long lsn = journal.append("hello".getBytes(StandardCharsets.UTF_8));
                        System.out.println("backend=" + journal.ioBackend());
                        System.out.println("read=" + new String(journal.read(lsn).value(), StandardCharsets.UTF_8));
                    }
                    // not a package ("native" is a keyword), so not encapsulated in the named module
                    Module wal4j = Journal.class.getModule();
                    try (var in = wal4j.getResourceAsStream("org/wal4j/native/linux-x86_64/libwal4j.so")) {
                        System.out.println("module=" + wal4j.getName() + " libwal4jResource=" + (in != null));
                    }
                    if (args.length > 1) {
                        // libwal4j loaded by wal4j itself (its class is not exported: opened on the command line)
                        Class<?> lib = Class.forName(wal4j, "org.wal4j.io.NativeLibrary");
                        var available = lib.getDeclaredMethod("isAvailable");
                        available.setAccessible(true);
                        var reason = lib.getDeclaredMethod("unavailableReason");
                        reason.setAccessible(true);
                        System.out.println("libwal4j=" + available.invoke(null) + " reason=" + reason.invoke(null));
                    }
                }
            }
            """;

    @BeforeAll
    static void compileApp() throws Exception {
        Path classes = Path.of(Journal.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        assertTrue(Files.exists(classes.resolve("module-info.class")), () -> classes + " is not the org.wal4j module");
        modulePath = classes;
        Path src = work.resolve("src/app");
        Files.createDirectories(src.resolve("app"));
        Files.writeString(src.resolve("module-info.java"), MODULE_INFO);
        Files.writeString(src.resolve("app/Main.java"), MAIN);
        Path out = work.resolve("mods/app");
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int rc = javac.run(null, diagnostics, diagnostics,
                "-Xlint:all", "-Werror",
                "--module-path", modulePath.toString(),
                "-d", out.toString(),
                src.resolve("module-info.java").toString(), src.resolve("app/Main.java").toString());
        assertEquals(0, rc, diagnostics::toString);
    }

    @Test
    void withNativeAccessTheModuleUsesPosixAndTheJvmDoesNotWarn() throws Exception {
        String out = run("--enable-native-access=org.wal4j");
        assertTrue(out.contains("backend=posix\n"), out);
        assertTrue(out.contains("read=hello\n"), out);
        assertTrue(out.contains("module=org.wal4j libwal4jResource=true\n"), out);
        assertFalse(out.contains(FALLBACK_LOG), out);
        assertFalse(out.contains("WARNING"), out);
        assertFalse(out.toLowerCase().contains("native access"), out);
    }

    @Test
    void theModuleLoadsLibwal4jFromItsJarResource() throws Exception {
        String out = run("--enable-native-access=org.wal4j", "--add-opens=org.wal4j/org.wal4j.io=app", "probe");
        assertTrue(out.contains("libwal4j=true reason=null\n"), out);
        assertFalse(out.contains("WARNING"), out);
    }

    @Test
    void withoutNativeAccessItFallsBackToJavaIoAndSaysSoOnce() throws Exception {
        String out = run();
        assertTrue(out.contains("backend=java\n"), out);
        assertTrue(out.contains("read=hello\n"), out);
        assertEquals(1, count(out, FALLBACK_LOG), out);
        // the reason names the module, and how to enable native access for it
        assertTrue(out.contains("org.wal4j"), out);
        assertFalse(out.contains("WARNING: A restricted method"), out);
    }

    /** Runs the app; fails unless it exits 0 within a minute. Returns stdout and stderr, merged. */
    private static String run(String... options) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElseThrow());
        List<String> args = new ArrayList<>(List.of(options));
        boolean probe = args.remove("probe");
        command.addAll(args);
        command.addAll(List.of("--module-path", modulePath + java.io.File.pathSeparator + work.resolve("mods"),
                "--module", "app/app.Main", work.toString()));
        if (probe) {
            command.add("probe");
        }
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out;
        try (InputStream in = child.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertTrue(child.waitFor(60, TimeUnit.SECONDS), "child did not exit");
        assertEquals(0, child.exitValue(), () -> command + "\n" + out);
        return out;
    }

    private static int count(String s, String part) {
        int n = 0;
        for (int at = s.indexOf(part); at >= 0; at = s.indexOf(part, at + 1)) {
            n++;
        }
        return n;
    }
}

package org.wal4j.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The crash tests' counts, one line per test run appended to the file
 * {@code -Dwal4j.crash.tally} names ({@code java/target/crash-tally.txt} in the build), so that
 * {@code make test} can print one total over both surefire runs and every suite: "crash
 * points: N, images: M, violations: V". A crash point is a moment at which power is lost
 * (an I/O call of a workload, of a recovery, or a failed sync); an image is one disk state
 * that point can leave, recovered and checked.
 */
public final class CrashTally {
    private static final String FILE = System.getProperty("wal4j.crash.tally");

    private CrashTally() {}

    /** Adds one test's counts under {@code what} (no line breaks). */
    public static synchronized void add(String what, long points, long images, long violations) {
        if (FILE == null) {
            return;
        }
        String line = points + " " + images + " " + violations + " " + what.replace('\n', ' ') + "\n";
        try {
            Files.writeString(Path.of(FILE), line, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

package org.wal4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** The progress line the inspect commands print on stderr for inputs over {@value #THRESHOLD_BYTES} bytes. */
final class Progress {
    static final long THRESHOLD_BYTES = 1L << 30;

    private final PrintWriter err;
    private final long totalBytes;
    private long lastPrinted = -1;

    private Progress(PrintWriter err, long totalBytes) {
        this.err = err;
        this.totalBytes = totalBytes;
    }

    /** The bytes of a file, or of the files directly in a directory. */
    static long bytesOf(Path path) throws IOException {
        if (!Files.isDirectory(path)) {
            return Files.size(path);
        }
        try (Stream<Path> files = Files.list(path)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    /** Prints "{@code verb} N GiB in PATH" once if the input is large; the work that follows has no finer steps to report. */
    static void announce(PrintWriter err, Path path, String verb) throws IOException {
        long bytes = bytesOf(path);
        if (bytes > THRESHOLD_BYTES) {
            err.println("wal4j: " + verb + " " + ByteSize.approx(bytes) + " in " + path + " ...");
            err.flush();
        }
    }

    /** A progress line that {@link #at} updates in place, or one that prints nothing for a small input. */
    static Progress over(PrintWriter err, Path path) throws IOException {
        long bytes = bytesOf(path);
        return new Progress(bytes > THRESHOLD_BYTES ? err : null, bytes);
    }

    /** {@code doneBytes} of the input are read; reprints the line at each whole percent. */
    void at(long doneBytes) {
        if (err == null) {
            return;
        }
        long percent = Math.min(100, doneBytes * 100 / Math.max(1, totalBytes));
        if (percent != lastPrinted) {
            lastPrinted = percent;
            err.print("\rwal4j: " + percent + "% of " + ByteSize.approx(totalBytes));
            err.flush();
        }
    }

    /** Ends the line, if one was printed. */
    void done() {
        if (err != null && lastPrinted >= 0) {
            err.println();
            err.flush();
        }
    }
}

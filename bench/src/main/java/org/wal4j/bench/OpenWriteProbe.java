package org.wal4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.wal4j.Journal;
import org.wal4j.JournalOptions;
import org.wal4j.SyncMode;

/**
 * Not a JMH benchmark: what an open of a cleanly closed journal writes to the device. Fills
 * a fresh journal with {@code MiB} of 4 KiB records in NONE mode, closes it, then opens and
 * closes it five times, printing each open's time and the bytes this process wrote to the
 * device meanwhile ({@code write_bytes} of {@code /proc/self/io}). Open writes back and
 * syncs the frames no SYNC_MARK certifies (docs/durability.md), and after a clean close that
 * is every frame since the last mark.
 * {@code java --enable-native-access=ALL-UNNAMED -cp bench/target/wal4j-bench.jar org.wal4j.bench.OpenWriteProbe <new dir> [MiB]}
 */
public final class OpenWriteProbe {
    private OpenWriteProbe() {}

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        long bytes = (args.length > 1 ? Long.parseLong(args[1]) : 60) << 20;
        if (Files.exists(dir)) {
            throw new IllegalArgumentException(dir + " exists: give a new directory");
        }
        JournalOptions options = JournalOptions.builder().syncPolicy(SyncMode.NONE).build();
        try (Journal j = Journal.open(dir, options)) {
            byte[] value = new byte[4096];
            for (long written = 0; written < bytes; written += value.length) {
                j.append(value);
            }
        }
        for (int i = 1; i <= 5; i++) {
            long before = deviceWriteBytes();
            long started = System.nanoTime();
            try (Journal j = Journal.open(dir, options)) {
                j.lastLsn();
            }
            System.out.printf("open %d: %.1f ms, %.1f MiB written to the device%n", i, (System.nanoTime() - started) / 1e6,
                    (deviceWriteBytes() - before) / 1048576.0);
        }
    }

    private static long deviceWriteBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/io"))) {
            if (line.startsWith("write_bytes:")) {
                return Long.parseLong(line.substring("write_bytes:".length()).trim());
            }
        }
        throw new IOException("/proc/self/io has no write_bytes line");
    }
}

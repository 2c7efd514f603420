package org.wal4j.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.AnnotatedElementContext;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.io.TempDirFactory;

/**
 * {@code @TempDir(factory = MemoryTempDir.class)}: a temporary directory in memory (tmpfs,
 * {@code /dev/shm}) where the machine has one, else the default one. For the crash tests: a
 * {@link SimulatedDisk} decides what is durable itself, so the files under it only hold bytes,
 * and on a real disk the thousands of images they write, sync and delete cost far more time
 * than the checks. tmpfs takes O_DIRECT (Linux 6.6+), so the O_DIRECT configurations run
 * there too; where it does not, the journal's probe says so and the test fails loudly.
 */
public final class MemoryTempDir implements TempDirFactory {
    private static final Path SHM = Path.of("/dev/shm");

    @Override
    public Path createTempDirectory(AnnotatedElementContext element, ExtensionContext extension) throws IOException {
        if (Files.isDirectory(SHM) && Files.isWritable(SHM) && "tmpfs".equals(Files.getFileStore(SHM).type())) {
            return Files.createTempDirectory(SHM, "wal4j-crash-");
        }
        return Files.createTempDirectory("wal4j-crash-");
    }
}

package org.wal4j.cli;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.wal4j.io.CReferenceLoop;
import org.wal4j.io.IoBackend;
import org.wal4j.io.IoCallException;
import org.wal4j.io.IoFile;
import org.wal4j.io.JavaIo;
import org.wal4j.io.OpenFlag;
import org.wal4j.io.PosixIo;

/** What fsync-test prints first: the machine, the filesystem and device under --dir, the backend. */
final class SystemReport {
    private SystemReport() {}

    static Map<String, String> describe(Path dir) {
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("kernel", System.getProperty("os.name") + " " + readFirstLine(Path.of("/proc/sys/kernel/osrelease"),
                System.getProperty("os.version")) + " " + System.getProperty("os.arch"));
        facts.put("jvm", System.getProperty("java.vm.vendor") + " " + System.getProperty("java.vm.name")
                + " " + Runtime.version() + ", " + Runtime.getRuntime().availableProcessors() + " CPUs");
        facts.put("directory", dir.toAbsolutePath().normalize().toString());
        try {
            FileStore store = Files.getFileStore(dir);
            facts.put("filesystem", store.type() + " on " + store.name() + " (" + store + ")");
            facts.put("device", deviceFacts(store.name()));
        } catch (IOException e) {
            facts.put("filesystem", "unknown: " + e.getMessage());
        }
        facts.put("O_DIRECT", directFacts(dir));
        facts.put("io backend", IoBackend.selectionReason());
        facts.put("c loop", CReferenceLoop.isAvailable() ? "libwal4j loaded" : "unavailable: " + CReferenceLoop.unavailableReason());
        return facts;
    }

    /** Block sizes, rotational and write cache of the block device, from sysfs. */
    private static String deviceFacts(String deviceName) {
        if (!deviceName.startsWith("/dev/")) {
            return "not a block device (" + deviceName + ")";
        }
        Path block = Path.of("/sys/class/block", deviceName.substring("/dev/".length()));
        Path queue = block.resolve("queue");
        if (!Files.isDirectory(queue)) {
            try {
                queue = block.toRealPath().getParent().resolve("queue"); // a partition: its disk's queue
            } catch (IOException e) {
                return deviceName + " (no sysfs queue)";
            }
        }
        return deviceName
                + ", logical block " + readFirstLine(queue.resolve("logical_block_size"), "?") + " B"
                + ", physical block " + readFirstLine(queue.resolve("physical_block_size"), "?") + " B"
                + ", rotational=" + readFirstLine(queue.resolve("rotational"), "?")
                + ", write cache: " + readFirstLine(queue.resolve("write_cache"), "?");
    }

    /** Whether --dir's filesystem takes O_DIRECT, and with what alignment. */
    private static String directFacts(Path dir) {
        Path probe = dir.resolve(".wal4j-direct-probe");
        IoBackend backend = PosixIo.isAvailable() ? PosixIo.instance() : JavaIo.instance();
        try (Arena arena = Arena.ofConfined();
             IoFile file = backend.open(probe, OpenFlag.READ, OpenFlag.WRITE, OpenFlag.CREATE, OpenFlag.DIRECT)) {
            int alignment = file.directAlignment();
            file.write(0, arena.allocate(Math.max(alignment, 4096), Math.max(alignment, 4096)));
            return "supported, alignment " + alignment + " B (" + backend.name() + ")";
        } catch (IoCallException e) {
            return "refused: " + (e.errno() != 0 ? e.errnoName() : e.getMessage());
        } catch (IOException e) {
            return "refused: " + e.getMessage();
        } finally {
            try {
                Files.deleteIfExists(probe);
            } catch (IOException ignored) {
                // best effort: a leftover probe file is harmless
            }
        }
    }

    private static String readFirstLine(Path file, String fallback) {
        try {
            String s = Files.readString(file).strip();
            return s.isEmpty() ? fallback : s;
        } catch (IOException | RuntimeException e) {
            return fallback;
        }
    }
}

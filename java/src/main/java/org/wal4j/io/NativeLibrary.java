package org.wal4j.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import org.wal4j.bindings.wal4j.Wal4j;

/**
 * Loads libwal4j.so, the optional native part, once per JVM.
 *
 * <p>The library is packaged in the jar at {@code org/wal4j/native/linux-x86_64/libwal4j.so},
 * extracted into a fresh private (0700) temporary directory, loaded with
 * {@code System.load} (its symbols are then found by the jextract bindings through
 * {@code SymbolLookup.loaderLookup()}), and the extracted file deleted (the mapping stays).
 * {@code -Dwal4j.native.path=/path/libwal4j.so} loads another build instead;
 * {@code -Dwal4j.native.disable=true} turns it off. A missing or unloadable library is not
 * an error: {@link #unavailableReason()} says why, naming those properties.
 */
final class NativeLibrary {
    static final String PATH_PROPERTY = "wal4j.native.path";
    static final String DISABLE_PROPERTY = "wal4j.native.disable";
    static final String PLATFORM = "linux-x86_64";
    static final String RESOURCE = "/org/wal4j/native/" + PLATFORM + "/libwal4j.so";

    private static final System.Logger LOG = System.getLogger("org.wal4j.io");
    private static final String UNAVAILABLE_REASON = load();

    private NativeLibrary() {}

    static boolean isAvailable() {
        return UNAVAILABLE_REASON == null;
    }

    static String unavailableReason() {
        return UNAVAILABLE_REASON;
    }

    private static String load() {
        String reason = tryLoad();
        if (reason != null) {
            LOG.log(System.Logger.Level.INFO, "libwal4j unavailable: {0}", reason);
        }
        return reason;
    }

    private static String tryLoad() {
        if (Boolean.getBoolean(DISABLE_PROPERTY)) {
            return "disabled by -D" + DISABLE_PROPERTY + "=true";
        }
        if (!PosixIo.isAvailable()) {
            return "it needs what PosixIo needs: " + PosixIo.unavailableReason();
        }
        String override = System.getProperty(PATH_PROPERTY);
        try {
            if (override != null) {
                System.load(Path.of(override).toAbsolutePath().toString());
            } else {
                String problem = extractAndLoad();
                if (problem != null) {
                    return problem;
                }
            }
            int abi = Wal4j.wal4j_abi_version();
            if (abi != Wal4j.WAL4J_ABI_VERSION()) {
                return "libwal4j ABI version " + abi + " != " + Wal4j.WAL4J_ABI_VERSION() + " expected by this jar";
            }
            return null;
        } catch (IOException | LinkageError | RuntimeException e) {
            return "could not load " + (override != null ? override : RESOURCE) + ": " + e
                    + " (-D" + PATH_PROPERTY + "=/path/to/libwal4j.so loads another build; -D"
                    + DISABLE_PROPERTY + "=true turns it off)";
        }
    }

    private static String extractAndLoad() throws IOException {
        try (InputStream in = NativeLibrary.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                return "libwal4j.so is not in the jar at " + RESOURCE
                        + " (set -D" + PATH_PROPERTY + "=/path/to/libwal4j.so, or -D" + DISABLE_PROPERTY + "=true)";
            }
            Path dir = Files.createTempDirectory("wal4j-native-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Path lib = dir.resolve("libwal4j.so");
            try {
                Files.copy(in, lib, StandardCopyOption.REPLACE_EXISTING);
                System.load(lib.toString());
            } finally {
                Files.deleteIfExists(lib);
                Files.deleteIfExists(dir);
            }
            return null;
        }
    }
}

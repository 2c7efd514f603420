package org.wal4j.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The I/O layer: opens files and syncs directories. Two implementations pass the same
 * contract tests: {@link PosixIo} (FFM downcalls to libc) and {@link JavaIo} ({@code
 * FileChannel}, the pure-Java fallback).
 *
 * <p>{@link #select()} chooses once per JVM, as described there; the choice and the reason
 * for a fallback are visible through {@link #selectionReason()}.
 */
public interface IoBackend {

    /** The system property that forces a backend: {@value}={@code posix|java|auto}. */
    String PROPERTY = "wal4j.io";

    /** {@code "posix"} or {@code "java"}. */
    String name();

    /**
     * Opens {@code path}.
     *
     * @throws IoCallException naming {@code open}, the path and the errno (ENOENT for a
     *     missing directory, EINVAL for O_DIRECT on a filesystem that refuses it, ...)
     * @throws IllegalArgumentException if neither READ nor WRITE is given
     */
    IoFile open(Path path, OpenFlag... flags) throws IOException;

    /**
     * As {@link #open(Path, OpenFlag...)}; a file this call creates gets the permission bits
     * {@code createMode} (as {@code open(2)}'s mode: the umask applies) instead of 0644. This
     * default sets them right after the open; PosixIo and JavaIo create the file with them.
     */
    default IoFile open(Path path, int createMode, OpenFlag... flags) throws IOException {
        boolean existed = java.nio.file.Files.exists(path);
        IoFile f = open(path, flags);
        if (!existed) {
            try {
                java.nio.file.Files.setPosixFilePermissions(path, Modes.permissions(createMode & ~Modes.umask()));
            } catch (IOException | RuntimeException e) {
                f.close();
                throw e;
            }
        }
        return f;
    }

    /**
     * Makes the directory's entries durable ({@code fsync} on the directory): needed after a
     * file in it was created, renamed or deleted.
     */
    void syncDirectory(Path dir) throws IOException;

    /** Whether {@link IoFile#allocate} is available (fallocate: PosixIo only). */
    boolean supportsAllocate();

    /**
     * Opens {@code file} (creating it if missing) and takes an exclusive lock on the whole of
     * it, without waiting; the lock is held until the returned file is closed. Returns null if
     * another process holds a lock on it. PosixIo takes an open file description lock
     * ({@code F_OFD_SETLK}), which no other descriptor can release; this default, and JavaIo,
     * take a POSIX record lock through {@code FileChannel.tryLock}, which closing any other
     * descriptor of the file in this process releases (see {@link LockedFile}). Use it
     * through {@link ExclusiveLock}, which also keeps a second holder in this JVM out.
     */
    default LockedFile tryLockExclusive(Path file) throws IOException {
        return tryLockExclusive(file, 0644);
    }

    /** As {@link #tryLockExclusive(Path)}, creating a missing file with the permission bits {@code createMode}. */
    default LockedFile tryLockExclusive(Path file, int createMode) throws IOException {
        return ChannelLock.tryLock(file, createMode);
    }

    /**
     * The backend chosen for this JVM: the one {@code -Dwal4j.io=posix|java} names, else
     * PosixIo when it is available (Linux x86-64, native access enabled, libc symbols
     * resolved), else JavaIo.
     *
     * @throws IllegalStateException if {@code -Dwal4j.io=posix} is set but PosixIo is
     *     unavailable (the message says why), or if the property has another value
     */
    static IoBackend select() {
        return select(System.getProperty(PROPERTY, "auto"));
    }

    /**
     * The backend named by {@code choice}: {@code "posix"}, {@code "java"} or {@code "auto"}
     * (PosixIo if available, else JavaIo).
     *
     * @throws IllegalArgumentException if {@code choice} is none of these
     * @throws IllegalStateException if {@code "posix"} is asked for but unavailable
     */
    static IoBackend select(String choice) {
        return switch (choice) {
            case "posix" -> {
                if (!PosixIo.isAvailable()) {
                    throw new IllegalStateException(
                            "wal4j.io=posix requested but PosixIo is unavailable: " + PosixIo.unavailableReason());
                }
                yield PosixIo.instance();
            }
            case "java" -> JavaIo.instance();
            case "auto" -> PosixIo.isAvailable() ? PosixIo.instance() : JavaIo.instance();
            default -> throw new IllegalArgumentException(
                    "unknown I/O backend: " + PROPERTY + "=" + choice + " (expected posix, java or auto)");
        };
    }

    /**
     * One line saying which backend {@link #select()} returns and why, e.g. {@code "posix"}
     * or {@code "java (PosixIo unavailable: native access is not enabled ...)"}.
     */
    static String selectionReason() {
        String choice = System.getProperty(PROPERTY, "auto");
        IoBackend backend;
        try {
            backend = select(choice);
        } catch (RuntimeException e) {
            return "none: " + e.getMessage();
        }
        if (!choice.equals("auto")) {
            return backend.name() + " (forced by -D" + PROPERTY + "=" + choice + ")";
        }
        return backend == PosixIo.instanceOrNull() ? "posix"
                : "java (PosixIo unavailable: " + PosixIo.unavailableReason() + ")";
    }
}

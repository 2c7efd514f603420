package org.wal4j.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One owner per file, across the threads of this JVM and across processes: what makes a
 * journal (or a compat log) have a single writer.
 *
 * <p>Two layers, as LevelDB's POSIX env ({@code PosixLockTable}) and RocksDB have them.
 * First a JVM-wide table of held files, keyed by the file's real path (so a symbolic link, a
 * relative path or {@code ..} cannot dodge it), checked <em>before</em> the file is opened:
 * a second open in this JVM is refused without touching the file. That matters because a
 * POSIX record lock belongs to the process, and closing any descriptor of the file would
 * release it. Then the operating system's lock ({@link IoBackend#tryLockExclusive}): an open
 * file description lock where the backend has it (PosixIo), which no other descriptor can
 * release, else a POSIX record lock. The lock's descriptor stays open until {@link #close}.
 */
public final class ExclusiveLock implements AutoCloseable {
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    private final Path key;
    private final LockedFile file;
    private boolean closed;

    /**
     * The lock is held, by this JVM or another process; nothing was read or written. The
     * API layer reports it as its {@code AlreadyOpenException}.
     */
    public static final class Held extends IOException {
        private static final long serialVersionUID = 1L;
        private final transient Path lockFile;
        private final boolean inThisProcess;

        Held(String message, Path lockFile, boolean inThisProcess) {
            super(message);
            this.lockFile = lockFile;
            this.inThisProcess = inThisProcess;
        }

        /** The file whose lock is held. */
        public Path lockFile() {
            return lockFile;
        }

        /** Whether this process holds it. */
        public boolean inThisProcess() {
            return inThisProcess;
        }
    }

    private ExclusiveLock(Path key, LockedFile file) {
        this.key = key;
        this.file = file;
    }

    /**
     * Takes the lock on {@code file} (created if missing), without waiting.
     *
     * @param subject what the lock guards, for the messages (e.g. {@code "journal dir=/data/wal"})
     * @throws Held if this JVM holds it (the message says "already open in this process") or
     *     another process does (the message names the lock file)
     */
    public static ExclusiveLock acquire(IoBackend io, Path file, String subject) throws IOException {
        return acquire(io, file, 0644, subject);
    }

    /** As {@link #acquire(IoBackend, Path, String)}, creating a missing file with the permission bits {@code createMode}. */
    public static ExclusiveLock acquire(IoBackend io, Path file, int createMode, String subject) throws IOException {
        Path key = realPath(file);
        if (!HELD.add(key)) {
            throw new Held(subject + " is already open in this process (lock file=" + key
                    + "); close it first, or share the open instance", key, true);
        }
        try {
            LockedFile locked = io.tryLockExclusive(file, createMode);
            if (locked == null) {
                throw new Held(subject + " is open in another process: lock file=" + file
                        + " is locked", file, false);
            }
            return new ExclusiveLock(key, locked);
        } catch (IOException | RuntimeException | Error e) {
            HELD.remove(key);
            throw e;
        }
    }

    /** The file's real path; for a file not created yet, its directory's real path and its name. */
    private static Path realPath(Path file) throws IOException {
        if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            return file.toRealPath();
        }
        Path absolute = file.toAbsolutePath();
        return absolute.getParent().toRealPath().resolve(absolute.getFileName());
    }

    /** The locked file. */
    public Path path() {
        return file.path();
    }

    /** Whether the operating system's lock belongs to the descriptor (see {@link LockedFile}). */
    public boolean ownedByDescriptor() {
        return file.ownedByDescriptor();
    }

    /** Releases the lock, then lets this JVM take it again; idempotent. */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            file.close();
        } finally {
            HELD.remove(key);
        }
    }
}

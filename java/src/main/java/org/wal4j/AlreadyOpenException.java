package org.wal4j;

import java.nio.file.Path;

/**
 * A journal or log is already open: in this process ({@link #inThisProcess()}), or in
 * another one, which holds the lock on {@link #lockFile()}. Nothing was read or written.
 */
public final class AlreadyOpenException extends Wal4jException {
    private static final long serialVersionUID = 1L;
    private final transient Path lockFile;
    /** Whether this process holds the lock. */
    private final boolean inThisProcess;

    /**
     * Reports an open journal or log that holds its lock.
     *
     * @param message what is open where, naming the lock file
     * @param lockFile the file whose lock is held
     * @param inThisProcess whether this process holds it
     */
    public AlreadyOpenException(String message, Path lockFile, boolean inThisProcess) {
        super(message);
        this.lockFile = lockFile;
        this.inThisProcess = inThisProcess;
    }

    /**
     * The lock file of the journal or log.
     *
     * @return the file whose lock is held
     */
    public Path lockFile() {
        return lockFile;
    }

    /**
     * Whether this process is the one that has it open.
     *
     * @return true if this process holds the lock (the journal or log was opened twice in it),
     *     false if another process does
     */
    public boolean inThisProcess() {
        return inThisProcess;
    }
}

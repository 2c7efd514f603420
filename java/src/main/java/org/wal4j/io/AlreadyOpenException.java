package org.wal4j.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A journal or log is already open: in this process ({@link #inThisProcess()}), or in
 * another one, which holds the lock on {@link #lockFile()}. Nothing was read or written.
 */
public final class AlreadyOpenException extends IOException {
    private static final long serialVersionUID = 1L;
    private final transient Path lockFile;
    private final boolean inThisProcess;

    public AlreadyOpenException(String message, Path lockFile, boolean inThisProcess) {
        super(message);
        this.lockFile = lockFile;
        this.inThisProcess = inThisProcess;
    }

    /** The file whose lock is held. */
    public Path lockFile() {
        return lockFile;
    }

    /** Whether this process is the one that has it open. */
    public boolean inThisProcess() {
        return inThisProcess;
    }
}

package org.wal4j.compat.wally;

import java.io.IOException;
import java.nio.file.Path;
import org.wal4j.Wal4jException;

/**
 * The log is in the failed state: a write, sync or truncate failed, so what reached the disk
 * is unknown (and a failed fdatasync must not be retried: the kernel may have dropped the
 * dirty pages). The call that failed and every later call throw this, carrying the first
 * failure as the cause. Re-open the file to recover from what is on disk.
 */
public final class LogFailedException extends Wal4jException {
    private static final long serialVersionUID = 1L;

    private final transient Path path;

    LogFailedException(Path path, IOException firstCause) {
        super("wally log failed and accepts no more calls (the records of the failing call have an unknown"
                + " outcome; re-open to recover): path=" + path + " cause: " + firstCause.getMessage(), firstCause);
        this.path = path;
    }

    /**
     * The log's file.
     *
     * @return the path the log was opened on
     */
    public Path path() {
        return path;
    }
}

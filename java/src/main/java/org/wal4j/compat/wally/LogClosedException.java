package org.wal4j.compat.wally;

import java.nio.file.Path;
import org.wal4j.Wal4jException;

/** A call on a {@link Log} after {@link Log#close()}. */
public final class LogClosedException extends Wal4jException {
    private static final long serialVersionUID = 1L;

    private final transient Path path;

    LogClosedException(Path path) {
        super("wally log is closed: path=" + path);
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

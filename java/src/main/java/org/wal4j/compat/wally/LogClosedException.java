package org.wal4j.compat.wally;

import java.io.IOException;
import java.nio.file.Path;

/** A call on a {@link Log} after {@link Log#close()}. */
public final class LogClosedException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path path;

    LogClosedException(Path path) {
        super("wally log is closed: path=" + path);
        this.path = path;
    }

    /** The file. */
    public Path path() {
        return path;
    }
}

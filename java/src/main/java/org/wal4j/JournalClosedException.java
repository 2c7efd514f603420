package org.wal4j;

import java.nio.file.Path;

/** A call on a journal after {@link Journal#close()}. */
public final class JournalClosedException extends Wal4jException {
    private static final long serialVersionUID = 1L;

    /**
     * Reports a call on a closed journal.
     *
     * @param dir the journal's directory
     */
    public JournalClosedException(Path dir) {
        super("journal is closed: dir=" + dir);
    }
}

package org.wal4j;

import java.nio.file.Path;

/** A directory that holds files but no journal; nothing in it was touched. */
public final class NotAJournalException extends Wal4jException {
    private static final long serialVersionUID = 1L;

    /**
     * Reports a directory that is not a journal.
     *
     * @param dir the directory
     * @param why what makes it no journal, e.g. the other files it holds, or that it is not a
     *     directory
     */
    public NotAJournalException(Path dir, String why) {
        super("not a wal4j journal: " + why + " dir=" + dir);
    }
}

package org.wal4j;

import java.nio.file.Path;

/** A directory that holds files but no journal; nothing in it was touched. */
public final class NotAJournalException extends Wal4jException {
    private static final long serialVersionUID = 1L;

    public NotAJournalException(Path dir, String why) {
        super("not a wal4j journal: " + why + " dir=" + dir);
    }
}

package org.wal4j;

import java.io.IOException;
import java.nio.file.Path;
import org.wal4j.io.IoCallException;

/**
 * A call on a journal whose earlier write, sync, truncation or deletion failed. After such a
 * failure the kernel may have dropped data it had accepted (a failed fsync can mark dirty
 * pages clean), so the journal does not go on: every later call throws this, carrying the
 * first failure as its cause. Re-open the journal to recover from what is on disk.
 */
public final class JournalFailedException extends Wal4jException {
    private static final long serialVersionUID = 1L;

    /**
     * Reports a call on a failed journal.
     *
     * @param dir the journal's directory
     * @param firstFailure the failure that failed the journal; it becomes the cause
     */
    public JournalFailedException(Path dir, IOException firstFailure) {
        super("journal failed earlier and refuses further calls (re-open to recover): dir=" + dir
                + " first failure: " + firstFailure.getMessage(), firstFailure);
    }

    /**
     * The operating system's error number of the first failure.
     *
     * @return the errno of the first failure, or 0 if it is unknown (the failure was not a
     *     system call's)
     */
    public int errno() {
        return getCause() instanceof IoCallException io ? io.errno() : 0;
    }
}

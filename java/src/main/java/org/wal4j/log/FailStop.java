package org.wal4j.log;

import java.io.IOException;

/**
 * The fail-stop state of a log, shared by the journal and both compat ports: the first failed
 * write, sync, truncation or deletion, after which the log refuses every call but close. A
 * log cannot know what reached the disk after such a failure (after a failed writeback Linux
 * marks the lost pages clean, so a second fdatasync reports success for data that is gone),
 * so it never retries; a reopen recovers what is durable.
 *
 * <p>Thread-safety: the failure is set once, under this object's monitor, and read without a
 * lock. {@link #fail} returns true to the one caller that set it, which then wakes whatever
 * its log has waiting; what the log throws on a later call is the log's own exception type,
 * carrying {@link #failure()} as its cause.
 */
public final class FailStop {
    private static final System.Logger LOG = System.getLogger("org.wal4j");

    private final String subject;
    private volatile IOException failure;

    /** @param subject the log, as the one ERROR line names it: e.g. {@code "journal dir=/data/wal"} */
    public FailStop(String subject) {
        this.subject = subject;
    }

    /**
     * Records {@code e} if the log had not failed yet, and logs it once at ERROR with its stack
     * trace; returns whether this call was the one that failed the log.
     */
    public boolean fail(IOException e) {
        synchronized (this) {
            if (failure != null) {
                return false;
            }
            failure = e;
        }
        LOG.log(System.Logger.Level.ERROR, "wal4j: " + subject + " failed; every later call is refused", e);
        return true;
    }

    /** The first failure, or null if the log has not failed. */
    public IOException failure() {
        return failure;
    }

    /** Whether the log has failed. */
    public boolean hasFailed() {
        return failure != null;
    }

    @Override
    public String toString() {
        return "FailStop[" + subject + (failure != null ? " failed: " + failure.getMessage() : "") + "]";
    }
}

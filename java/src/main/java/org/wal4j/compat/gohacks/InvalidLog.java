package org.wal4j.compat.gohacks;

import java.nio.file.Path;
import org.wal4j.Wal4jException;

/**
 * gohacks' {@code ErrInvalidLog}: the log's content cannot be trusted or read. Thrown
 * <ul>
 *   <li>by {@link WriteAheadLog#replay} when a record before the end of the log is invalid,
 *       or the file is shorter than the log: bytes that {@code open} validated, or that this
 *       log wrote, have changed underneath it (corruption or another writer), and
 *       replaying past them, or stopping silently, would lose data;</li>
 *   <li>by {@link WriteAheadLog#open} for a well-framed record larger than
 *       {@link WriteAheadLog#MAX_RECORD_BYTES} (a file written with huge limits): it cannot be
 *       verified or delivered, and is not cut off either; the file is left unchanged.</li>
 * </ul>
 */
public final class InvalidLog extends Wal4jException {
    private static final long serialVersionUID = 1L;

    private final transient Path path;
    /** Where the record in question starts. */
    private final long offset;

    /**
     * Reports a log whose content cannot be trusted or read.
     *
     * @param path the file
     * @param offset the file offset of the record in question, in bytes
     * @param reason what is wrong, with the values found
     */
    public InvalidLog(Path path, long offset, String reason) {
        super("WAL log file is invalid: " + reason + " path=" + path + " offset=" + offset);
        this.path = path;
        this.offset = offset;
    }

    /**
     * The file.
     *
     * @return the log file's path
     */
    public Path path() {
        return path;
    }

    /**
     * Where the record in question starts.
     *
     * @return the file offset in bytes
     */
    public long offset() {
        return offset;
    }
}

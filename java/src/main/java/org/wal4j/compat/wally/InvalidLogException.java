package org.wal4j.compat.wally;

import java.nio.file.Path;
import org.wal4j.Wal4jException;

/**
 * Bytes of a WALLY file that are not a valid record where one must be: thrown by
 * {@link Log#open} when the file's first record is invalid (the file is then left exactly
 * as it was), and by reads when a record of the log no longer checks out.
 *
 * <p>Message form: {@code not a wally log: payload CRC32 mismatch path=/d/x.wally offset=0
 * index=1 stored=0x0 computed=0x3610a686}.
 */
public final class InvalidLogException extends Wal4jException {
    private static final long serialVersionUID = 1L;

    private final transient Path path;
    /** The file offset of the invalid record. */
    private final long offset;
    /** The 1-based index of the record, 0 if unknown. */
    private final long index;
    /** Why it is invalid. */
    private final String reason;

    InvalidLogException(String what, Path path, long offset, long index, String reason) {
        super(what + ": " + reason + " path=" + path + " offset=" + offset + " index=" + index);
        this.path = path;
        this.offset = offset;
        this.index = index;
        this.reason = reason;
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
     * Where the invalid record starts in the file.
     *
     * @return the file offset in bytes
     */
    public long offset() {
        return offset;
    }

    /**
     * The record's index.
     *
     * @return the 1-based index of the record (or the one it would have), 0 if unknown
     */
    public long index() {
        return index;
    }

    /**
     * Why it is invalid, without the path, offset and index the message adds.
     *
     * @return the reason with the values found, e.g.
     *     {@code "reserved field is not 0 reserved=0x7"}
     */
    public String reason() {
        return reason;
    }
}

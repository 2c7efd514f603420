package org.wal4j.compat.gohacks;

import java.nio.file.Path;
import org.wal4j.Wal4jException;

/**
 * gohacks' {@code ErrInvalidHeader}: the file is not a WALX log this port can use: shorter
 * than the 24-byte header (but not empty), or a wrong magic, version or feature set, or a
 * {@code created_at} above 2^63-1 (cause: {@link TimestampTooBig}). The file is left exactly
 * as it was.
 */
public final class InvalidHeader extends Wal4jException {
    private static final long serialVersionUID = 1L;

    private final transient Path path;
    /** The file's length in bytes. */
    private final long fileBytes;

    /**
     * Reports a file whose header this port cannot use.
     *
     * @param path the file
     * @param fileBytes the file's length in bytes
     * @param reason what is wrong, with the values found
     * @param cause the underlying failure ({@link TimestampTooBig}), or null
     */
    public InvalidHeader(Path path, long fileBytes, String reason, Throwable cause) {
        super("invalid WAL header: " + reason + " path=" + path + " fileBytes=" + fileBytes, cause);
        this.path = path;
        this.fileBytes = fileBytes;
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
     * The file's length when it was refused.
     *
     * @return the length in bytes
     */
    public long fileBytes() {
        return fileBytes;
    }
}

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
    private final long fileBytes;

    public InvalidHeader(Path path, long fileBytes, String reason, Throwable cause) {
        super("invalid WAL header: " + reason + " path=" + path + " fileBytes=" + fileBytes, cause);
        this.path = path;
        this.fileBytes = fileBytes;
    }

    /** The file. */
    public Path path() {
        return path;
    }

    /** The file's length when it was refused. */
    public long fileBytes() {
        return fileBytes;
    }
}

package org.wal4j.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A failed I/O call: names the call ({@code pwrite}, {@code fdatasync}, ...), the path, and
 * the errno when the backend knows it (PosixIo always does; JavaIo only where the JDK tells,
 * else {@link #errno()} is 0 and the JDK's message is kept as the cause).
 *
 * <p>Message form: {@code fdatasync failed: EIO (errno=5, Input/output error) path=/d/f}.
 */
public class IoCallException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String call;
    private final transient Path path;
    private final int errno;

    /**
     * @param call the system call or operation that failed
     * @param path the file it was about
     * @param errno the errno, or 0 if unknown
     * @param detail extra {@code key=value} facts (offset, length, ...), or empty
     * @param cause the underlying exception, or null
     */
    public IoCallException(String call, Path path, int errno, String detail, Throwable cause) {
        super(message(call, path, errno, detail, cause), cause);
        this.call = call;
        this.path = path;
        this.errno = errno;
    }

    private static String message(String call, Path path, int errno, String detail, Throwable cause) {
        StringBuilder sb = new StringBuilder(call).append(" failed: ");
        if (errno != 0) {
            sb.append(Errno.name(errno)).append(" (errno=").append(errno)
                    .append(", ").append(Errno.description(errno)).append(')');
        } else {
            sb.append(cause != null && cause.getMessage() != null ? cause.getMessage() : "unknown error");
        }
        sb.append(" path=").append(path);
        if (detail != null && !detail.isEmpty()) {
            sb.append(' ').append(detail);
        }
        if (errno == Errno.ENOSPC || errno == Errno.EDQUOT) {
            sb.append(" (the disk or quota is full)");
        }
        return sb.toString();
    }

    /** The call that failed, e.g. {@code "pwrite"}. */
    public String call() {
        return call;
    }

    /** The file or directory the call was about. */
    public Path path() {
        return path;
    }

    /** The errno, or 0 when the backend could not learn it. */
    public int errno() {
        return errno;
    }

    /** The errno's symbolic name ({@code "EIO"}), or {@code "unknown"} when errno is 0. */
    public String errnoName() {
        return errno == 0 ? "unknown" : Errno.name(errno);
    }
}

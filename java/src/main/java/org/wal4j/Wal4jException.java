package org.wal4j;

import java.io.IOException;

/**
 * A failure that wal4j itself detects and reports, as opposed to an I/O error the operating
 * system returned ({@link IOException}s from the I/O layer, which name the call, the path and
 * the errno): a journal or log that is damaged, closed, failed, already open, not a journal,
 * an LSN that is not there, or records whose outcome a failed write or sync left unknown.
 * Every exception the journal and the compat ports throw for such a failure extends it, so
 * {@code catch (Wal4jException e)} catches all of them; {@code catch (IOException e)} also
 * catches the I/O errors. Argument errors are {@link IllegalArgumentException}s and
 * {@link NullPointerException}s naming the argument.
 */
public abstract class Wal4jException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * Makes an exception with a message.
     *
     * @param message what failed, naming the file, offset or LSN where there is one
     */
    protected Wal4jException(String message) {
        super(message);
    }

    /**
     * Makes an exception with a message and a cause.
     *
     * @param message what failed
     * @param cause the failure that caused it
     */
    protected Wal4jException(String message, Throwable cause) {
        super(message, cause);
    }
}

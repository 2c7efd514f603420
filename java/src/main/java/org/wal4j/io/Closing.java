package org.wal4j.io;

import java.io.IOException;
import java.util.List;

/** Closing several resources in order, every one of them whatever the others throw. */
public final class Closing {
    private Closing() {}

    /**
     * Closes each of {@code resources} in order (nulls skipped) and returns {@code error}, or
     * the first failure if {@code error} is null, with every later failure suppressed in it.
     */
    public static IOException closeAll(IOException error, List<? extends AutoCloseable> resources) {
        for (AutoCloseable c : resources) {
            if (c == null) {
                continue;
            }
            try {
                c.close();
            } catch (Exception e) {
                IOException io = e instanceof IOException ioe ? ioe : new IOException("close failed: " + c, e);
                if (error == null) {
                    error = io;
                } else {
                    error.addSuppressed(io);
                }
            }
        }
        return error;
    }
}

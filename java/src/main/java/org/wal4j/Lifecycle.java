package org.wal4j;

import java.io.IOException;
import java.nio.file.Path;
import org.wal4j.log.FailStop;

/**
 * Where a journal is in its life: open, closing (new calls refused while {@code Journal.close}
 * makes what was appended durable), closed (threads told to stop, files about to close), and,
 * at any point, failed ({@link FailStop}: the first failed write, sync, truncation or
 * deletion). Every unit of the journal asks this before it starts work for a caller.
 *
 * <p>Thread-safety: the flags are volatile, set under the journal's lock and read without it
 * (by the background threads' loops, for one); once set they never clear.
 */
final class Lifecycle {
    private final Path dir;
    private final FailStop failStop;
    private volatile boolean closing;
    private volatile boolean closed;

    Lifecycle(Path dir) {
        this.dir = dir;
        this.failStop = new FailStop("journal dir=" + dir);
    }

    Path dir() {
        return dir;
    }

    FailStop failStop() {
        return failStop;
    }

    /** Lock held: {@code Journal.close} has started; no call starts from here on. */
    void closing() {
        closing = true;
    }

    boolean isClosing() {
        return closing;
    }

    /** Lock held: close has made everything durable it could; the threads stop. */
    void closed() {
        closed = true;
    }

    boolean isClosed() {
        return closed;
    }

    /** Throws if close has started or the journal has failed. */
    void checkOpen() throws IOException {
        if (closing) {
            throw new JournalClosedException(dir);
        }
        if (failStop.hasFailed()) {
            throw new JournalFailedException(dir, failStop.failure());
        }
    }
}

package org.wal4j.io;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts the calls in flight on an open file so that close() never releases a descriptor
 * under a running call (a reused fd number would send that call to another file). Bit 0 is
 * "closed"; the rest counts calls in flight, in steps of 2. Whoever brings the state to
 * "closed, nobody in flight" releases the descriptor.
 */
final class CloseGuard {
    private static final long CLOSED = 1;
    private static final long ONE_CALL = 2;

    private final AtomicLong state = new AtomicLong();
    private final Path path;

    CloseGuard(Path path) {
        this.path = path;
    }

    /** Registers a call in flight; throws EBADF if the file is closed. */
    void acquire(String call) throws IoCallException {
        long s;
        do {
            s = state.get();
            if ((s & CLOSED) != 0) {
                throw new IoCallException(call, path, Errno.EBADF, "(file is closed)", null);
            }
        } while (!state.compareAndSet(s, s + ONE_CALL));
    }

    /** Ends a call; true if the caller must now release the descriptor. */
    boolean release() {
        return state.addAndGet(-ONE_CALL) == CLOSED;
    }

    /** Marks the file closed; true if the caller must release the descriptor now. */
    boolean close() {
        long s;
        do {
            s = state.get();
            if ((s & CLOSED) != 0) {
                return false;
            }
        } while (!state.compareAndSet(s, s | CLOSED));
        return s == 0;
    }
}

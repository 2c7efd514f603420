package org.wal4j.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * An open file that holds an exclusive lock on the whole of itself
 * ({@link IoBackend#tryLockExclusive}). Closing it releases the lock and the descriptor.
 *
 * <p>Which descriptors can release the lock depends on its kind ({@link #ownedByDescriptor()}):
 * an open file description lock ({@code F_OFD_SETLK}) belongs to this descriptor alone, so
 * no other descriptor of the file, in this process or another, can release it. A POSIX
 * record lock ({@code F_SETLK}, what {@code FileChannel.tryLock} takes) belongs to the
 * process: closing any descriptor of the file in this process releases it, so the code that
 * holds one must never open (and close) the file again. {@link ExclusiveLock} keeps wal4j
 * from doing so.
 */
public interface LockedFile extends AutoCloseable {

    /** The locked file. */
    Path path();

    /** True for an open file description lock, false for a POSIX record lock held by the process. */
    boolean ownedByDescriptor();

    /** Releases the lock and closes the descriptor; idempotent. */
    @Override
    void close() throws IOException;
}

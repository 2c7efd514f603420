package org.wal4j.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link LockedFile} through {@code FileChannel.tryLock}: a POSIX record lock, held by the
 * process (see {@link LockedFile}). What JavaIo, and any backend without open file
 * description locks, takes.
 */
final class ChannelLock implements LockedFile {
    /**
     * Channels that must never be closed: a tryLock that met a lock this JVM already holds
     * on the same file (through another path to it) would, by closing its channel, release
     * that other holder's POSIX lock. They are kept open for the JVM's life instead.
     */
    private static final List<FileChannel> NEVER_CLOSED = new ArrayList<>();

    private final Path path;
    private final FileChannel channel;
    private final FileLock lock;
    private boolean closed;

    private ChannelLock(Path path, FileChannel channel, FileLock lock) {
        this.path = path;
        this.channel = channel;
        this.lock = lock;
    }

    /** Locks {@code file} (created with {@code createMode} if missing), or returns null if another process holds a lock on it. */
    static LockedFile tryLock(Path file, int createMode) throws IOException {
        FileChannel channel;
        try {
            channel = FileChannel.open(file, java.util.Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                    java.nio.file.attribute.PosixFilePermissions.asFileAttribute(Modes.permissions(createMode)));
        } catch (IOException e) {
            throw JavaIo.translate("open", file, e, "(lock file)");
        }
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            synchronized (NEVER_CLOSED) {
                NEVER_CLOSED.add(channel);
            }
            throw new IOException("a lock on " + file + " is already held in this JVM (through another path to the same "
                    + "file, or by code outside wal4j); its descriptor is left open, since closing it would release that lock", e);
        } catch (IOException e) {
            channel.close(); // no lock of this JVM on the file: closing releases nothing
            throw JavaIo.translate("fcntl", file, e, "(F_SETLK)");
        } catch (RuntimeException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            channel.close();
            return null;
        }
        return new ChannelLock(file, channel, lock);
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public boolean ownedByDescriptor() {
        return false;
    }

    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            lock.release();
        } finally {
            channel.close();
        }
    }
}

package org.wal4j.io;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Set;

/**
 * The pure-Java I/O backend: {@link FileChannel} positional I/O, {@code force(false)} for
 * fdatasync, {@code force(true)} for fsync, {@link StandardOpenOption#DSYNC} and
 * {@link ExtendedOpenOption#DIRECT}. Works wherever the JDK does, without native access.
 *
 * <p>What it cannot do: {@code fallocate} ({@link #supportsAllocate()} is false),
 * {@code pwritev2(RWF_DSYNC)}, and report errno for most failures (the JDK keeps only a
 * message, so {@link IoCallException#errno()} is 0 unless the exception type says which, or
 * the message is glibc's English text for ENOSPC or EDQUOT).
 * An interrupt of a thread inside a FileChannel call closes the channel (a JDK rule);
 * the file then fails every call with EBADF ("file is closed").
 */
public final class JavaIo implements IoBackend {
    private static final JavaIo INSTANCE = new JavaIo();

    private JavaIo() {}

    /** The backend (always available). */
    public static JavaIo instance() {
        return INSTANCE;
    }

    @Override
    public String name() {
        return "java";
    }

    @Override
    public boolean supportsAllocate() {
        return false;
    }

    @Override
    public IoFile open(Path path, OpenFlag... flags) throws IOException {
        return open(path, 0644, flags);
    }

    @Override
    public IoFile open(Path path, int createMode, OpenFlag... flags) throws IOException {
        EnumSet<OpenFlag> set = PosixIo.flagSet(flags);
        if (!set.contains(OpenFlag.READ) && !set.contains(OpenFlag.WRITE)) {
            throw new IllegalArgumentException("open needs READ or WRITE: flags=" + set + " path=" + path);
        }
        Set<OpenOption> options = new HashSet<>();
        if (set.contains(OpenFlag.READ)) {
            options.add(StandardOpenOption.READ);
        }
        if (set.contains(OpenFlag.WRITE)) {
            options.add(StandardOpenOption.WRITE);
        }
        if (set.contains(OpenFlag.CREATE_NEW)) {
            options.add(StandardOpenOption.CREATE_NEW);
        } else if (set.contains(OpenFlag.CREATE)) {
            options.add(StandardOpenOption.CREATE);
        }
        if (set.contains(OpenFlag.TRUNCATE)) {
            options.add(StandardOpenOption.TRUNCATE_EXISTING);
        }
        if (set.contains(OpenFlag.DSYNC)) {
            options.add(StandardOpenOption.DSYNC);
        }
        boolean direct = set.contains(OpenFlag.DIRECT);
        if (direct) {
            options.add(ExtendedOpenOption.DIRECT);
        }
        FileChannel channel;
        try {
            channel = FileChannel.open(path, options,
                    java.nio.file.attribute.PosixFilePermissions.asFileAttribute(Modes.permissions(createMode)));
        } catch (IOException e) {
            throw translate("open", path, e, "flags=" + set + (direct ? " (O_DIRECT: the filesystem may refuse it)" : ""));
        }
        int alignment = 1;
        if (direct) {
            try {
                long blockSize = Files.getFileStore(path).getBlockSize();
                alignment = blockSize > 0 && blockSize <= (1 << 20) ? (int) blockSize : DirectAlignment.DEFAULT;
            } catch (IOException | UnsupportedOperationException e) {
                alignment = DirectAlignment.DEFAULT;
            }
        }
        return new ChannelFile(path, channel, direct, alignment);
    }

    @Override
    public void syncDirectory(Path dir) throws IOException {
        // Linux lets a directory be opened read-only and fsynced; FileChannel.force does that.
        if (!Files.isDirectory(dir)) {
            throw new IoCallException("open", dir, Files.exists(dir) ? Errno.ENOTDIR : Errno.ENOENT, "(directory)", null);
        }
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            throw translate("fsync", dir, e, "(directory)");
        }
    }

    /** Turns the JDK's exceptions into IoCallException, with errno where the type says it. */
    static IoCallException translate(String call, Path path, Exception e, String detail) {
        if (e instanceof IoCallException ice) {
            return ice;
        }
        if (e instanceof ClosedByInterruptException) {
            return new IoCallException(call, path, Errno.EINTR,
                    "(the thread was interrupted; FileChannel closes the file on interrupt) " + detail, e);
        }
        int errno = switch (e) {
            case NoSuchFileException x -> Errno.ENOENT;
            case AccessDeniedException x -> Errno.EACCES;
            case FileAlreadyExistsException x -> Errno.EEXIST;
            case NotDirectoryException x -> Errno.ENOTDIR;
            case ClosedChannelException x -> Errno.EBADF;
            default -> errnoFromText(e.getMessage());
        };
        String fullDetail = e instanceof ClosedChannelException ? "(file is closed) " + detail : detail;
        return new IoCallException(call, path, errno, fullDetail.strip(), e);
    }

    /**
     * Most failures reach us as a plain IOException (or a FileSystemException) carrying only
     * strerror's text, yet the caller must tell a full disk from EIO, and an O_DIRECT refusal
     * (EINVAL) from anything else. Matching the text is the only way the JDK leaves; in a
     * non-English locale this finds nothing and errno stays 0 ("unknown"), which callers treat
     * as no particular errno.
     */
    private static int errnoFromText(String message) {
        if (message == null) {
            return 0;
        }
        for (int errno : RECOGNIZED) {
            if (message.endsWith(Errno.description(errno))) {
                return errno;
            }
        }
        return 0;
    }

    /** The errnos {@link #errnoFromText} recognizes by their strerror text. */
    private static final int[] RECOGNIZED = {Errno.ENOSPC, Errno.EDQUOT, Errno.EINVAL, Errno.EIO, Errno.EROFS};

    @Override
    public String toString() {
        return "JavaIo";
    }

    /** An open FileChannel. */
    static final class ChannelFile implements IoFile {
        private final Path path;
        private final FileChannel channel;
        private final boolean direct;
        private final int alignment;
        private final CloseGuard guard;

        ChannelFile(Path path, FileChannel channel, boolean direct, int alignment) {
            this.path = path;
            this.channel = channel;
            this.direct = direct;
            this.alignment = alignment;
            this.guard = new CloseGuard(path);
        }

        @Override
        public Path path() {
            return path;
        }

        @Override
        public boolean isDirect() {
            return direct;
        }

        @Override
        public int directAlignment() {
            return alignment;
        }

        @Override
        public void write(long offset, MemorySegment src) throws IOException {
            checkOffset("write", offset);
            try (Arena bounce = bounceFor(src)) {
                MemorySegment buf = bounce == null ? src : copy(bounce, src);
                if (direct) {
                    DirectAlignment.check("write", path, alignment, offset, buf);
                }
                ByteBuffer bb = buf.asByteBuffer();
                guard.acquire("write");
                try {
                    long position = offset;
                    while (bb.hasRemaining()) {
                        int n = channel.write(bb, position);
                        if (n == 0) { // as PosixIo: no progress is an error, not a reason to spin
                            throw new IoCallException("write", path, Errno.EIO,
                                    "(wrote 0 bytes) offset=" + position + " length=" + bb.remaining(), null);
                        }
                        position += n;
                    }
                } catch (NonWritableChannelException e) {
                    throw new IoCallException("write", path, Errno.EBADF, "(file not opened for writing) offset=" + offset, null);
                } catch (IOException e) {
                    throw translate("write", path, e, "offset=" + offset + " length=" + buf.byteSize());
                } finally {
                    release();
                }
            }
        }

        /** DIRECT needs an aligned native buffer; a heap segment is copied into one. */
        private Arena bounceFor(MemorySegment segment) {
            return segment.isNative() ? null : Arena.ofConfined();
        }

        private MemorySegment copy(Arena arena, MemorySegment src) {
            return arena.allocate(Math.max(src.byteSize(), 1), Math.max(alignment, 8))
                    .asSlice(0, src.byteSize()).copyFrom(src);
        }

        @Override
        public void writeDsync(long offset, MemorySegment src) {
            throw new UnsupportedOperationException(
                    "pwritev2(RWF_DSYNC) needs PosixIo; JavaIo can open the file with DSYNC instead. path=" + path);
        }

        @Override
        public boolean supportsWriteDsync() {
            return false;
        }

        @Override
        public long read(long offset, MemorySegment dst) throws IOException {
            checkOffset("read", offset);
            try (Arena bounce = bounceFor(dst)) {
                MemorySegment buf = bounce == null ? dst
                        : bounce.allocate(Math.max(dst.byteSize(), 1), Math.max(alignment, 8)).asSlice(0, dst.byteSize());
                if (direct) {
                    DirectAlignment.check("read", path, alignment, offset, buf);
                }
                ByteBuffer bb = buf.asByteBuffer();
                guard.acquire("read");
                try {
                    long position = offset;
                    while (bb.hasRemaining()) {
                        int n = channel.read(bb, position);
                        if (n < 0) {
                            break;
                        }
                        position += n;
                        if (direct && bb.hasRemaining()) {
                            break; // a short O_DIRECT read is the end of file (the next offset is unaligned)
                        }
                    }
                } catch (NonReadableChannelException e) {
                    throw new IoCallException("read", path, Errno.EBADF, "(file not opened for reading) offset=" + offset, null);
                } catch (IOException e) {
                    throw translate("read", path, e, "offset=" + offset + " length=" + buf.byteSize());
                } finally {
                    release();
                }
                long done = bb.position();
                if (bounce != null) {
                    dst.asSlice(0, done).copyFrom(buf.asSlice(0, done));
                }
                return done;
            }
        }

        @Override
        public void datasync() throws IOException {
            force("fdatasync", false);
        }

        @Override
        public void sync() throws IOException {
            force("fsync", true);
        }

        private void force(String call, boolean metaData) throws IOException {
            guard.acquire(call);
            try {
                channel.force(metaData);
            } catch (IOException e) {
                throw translate(call, path, e, "");
            } finally {
                release();
            }
        }

        @Override
        public void allocate(long offset, long length) {
            throw new UnsupportedOperationException(
                    "fallocate needs PosixIo (JavaIo has no preallocation); use zeroFill. path=" + path);
        }

        @Override
        public void truncate(long size) throws IOException {
            long current = size();
            if (size < 0 || size > current) {
                throw new IllegalArgumentException(
                        "truncate size=" + size + " must be in [0, " + current + "] path=" + path);
            }
            guard.acquire("ftruncate");
            try {
                channel.truncate(size);
            } catch (NonWritableChannelException e) {
                throw new IoCallException("ftruncate", path, Errno.EBADF, "(file not opened for writing)", null);
            } catch (IOException e) {
                throw translate("ftruncate", path, e, "size=" + size);
            } finally {
                release();
            }
        }

        @Override
        public long size() throws IOException {
            guard.acquire("fstat");
            try {
                return channel.size();
            } catch (IOException e) {
                throw translate("fstat", path, e, "");
            } finally {
                release();
            }
        }

        /** The channel, for callers that need FileChannel-only features (mmap). */
        FileChannel channel() {
            return channel;
        }

        /** Ends a call; the last one after close() closes the channel, and can only log a failure. */
        private void release() {
            if (guard.release()) {
                try {
                    channel.close();
                } catch (IOException e) {
                    System.getLogger("org.wal4j.io").log(System.Logger.Level.WARNING, "close failed: path=" + path, e);
                }
            }
        }

        @Override
        public void close() throws IOException {
            if (guard.close()) {
                channel.close();
            }
        }

        private void checkOffset(String call, long offset) {
            if (offset < 0) {
                throw new IllegalArgumentException(call + " offset=" + offset + " must be >= 0 path=" + path);
            }
        }

        @Override
        public String toString() {
            return "ChannelFile[path=" + path + (direct ? " O_DIRECT align=" + alignment : "") + "]";
        }
    }
}

package org.wal4j.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * An open file of an {@link IoBackend}: positional reads and writes of
 * {@link MemorySegment}s, syncs, preallocation and truncation.
 *
 * <p>Thread-safety: every method may be called from many threads at once; writes to
 * overlapping ranges from different threads are the caller's to order. {@link #close()}
 * waits for no one: calls that started before it finish on the open file, calls after it
 * fail with {@code EBADF} ("file is closed"), and the descriptor is released when the last
 * call in flight returns (a descriptor is never reused under a running call).
 *
 * <p>Durability: {@link #write} leaves data in the page cache (or, with
 * {@link OpenFlag#DIRECT}, in the device's cache); it is durable only after
 * {@link #datasync()} or {@link #sync()} returned, or when the file was opened with
 * {@link OpenFlag#DSYNC}, or for {@link #writeDsync}. A failed sync must be treated as
 * loss of every write since the last successful one: do not retry it and trust the result.
 *
 * <p>Errors are {@link IoCallException}s naming the call, the path and the errno.
 *
 * <p>Virtual threads: a PosixIo call is an FFM downcall, which pins the carrier thread for
 * its duration (unlike FileChannel, the JDK does not compensate), so many virtual threads
 * blocked in {@code fdatasync} can starve the scheduler. Issue syncs from platform threads.
 */
public interface IoFile extends AutoCloseable {

    /** The path this file was opened with. */
    Path path();

    /** Whether the file was opened with {@link OpenFlag#DIRECT}. */
    boolean isDirect();

    /**
     * The alignment, in bytes, that buffer addresses, offsets and lengths must have: for an
     * O_DIRECT file the filesystem's ({@code statx} {@code STATX_DIOALIGN}, else its block size,
     * else 4096); 1 for a buffered file.
     */
    int directAlignment();

    /**
     * Writes all of {@code src} at {@code offset}, looping over short writes and
     * {@code EINTR}.
     *
     * @throws IoCallException if the write failed; how much of {@code src} reached the file
     *     is then unknown
     */
    void write(long offset, MemorySegment src) throws IOException;

    /**
     * Writes all of {@code src} at {@code offset} and returns once it is durable, as if the
     * file were opened with O_DSYNC ({@code pwritev2} with {@code RWF_DSYNC}, Linux 4.7+).
     *
     * @throws UnsupportedOperationException if {@link #supportsWriteDsync()} is false
     */
    void writeDsync(long offset, MemorySegment src) throws IOException;

    /** Whether {@link #writeDsync} is available (PosixIo: yes; JavaIo: no). */
    boolean supportsWriteDsync();

    /**
     * Reads into {@code dst} from {@code offset} until {@code dst} is full or the end of the
     * file.
     *
     * @return the number of bytes read; less than {@code dst.byteSize()} only at end of file
     */
    long read(long offset, MemorySegment dst) throws IOException;

    /** Makes the written data and the metadata needed to read it durable ({@code fdatasync}). */
    void datasync() throws IOException;

    /** Makes the written data and all metadata durable ({@code fsync}). */
    void sync() throws IOException;

    /**
     * Reserves disk space for {@code [offset, offset + length)} and extends the file to cover
     * it ({@code fallocate} mode 0): on filesystems that overwrite in place (ext4, XFS without
     * shared extents) later writes there cannot fail with {@code ENOSPC}; copy-on-write
     * filesystems (btrfs, ZFS) make no such promise. The
     * space reads as zeros, but the filesystem records it as unwritten, so the first write to
     * each block still changes metadata (see {@link #zeroFill}).
     *
     * @throws UnsupportedOperationException if the backend cannot preallocate ({@link
     *     IoBackend#supportsAllocate()})
     */
    void allocate(long offset, long length) throws IOException;

    /**
     * Writes zeros over {@code [offset, offset + length)} (not synced). Unlike
     * {@link #allocate}, the blocks become written data, so later overwrites followed by
     * {@code fdatasync} need no metadata update. On an O_DIRECT file, offset and length must
     * be aligned.
     */
    default void zeroFill(long offset, long length) throws IOException {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("zeroFill offset=" + offset + " length=" + length);
        }
        long chunkBytes = Math.min(length, 1 << 20);
        if (chunkBytes == 0) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment zeros = arena.allocate(chunkBytes, Math.max(directAlignment(), 4096));
            for (long done = 0; done < length; ) {
                long n = Math.min(chunkBytes, length - done);
                write(offset + done, zeros.asSlice(0, n));
                done += n;
            }
        }
    }

    /**
     * Shrinks the file to {@code size} bytes ({@code ftruncate}; not synced).
     *
     * @throws IllegalArgumentException if {@code size} is negative or larger than the file
     */
    void truncate(long size) throws IOException;

    /** The file's current size in bytes. */
    long size() throws IOException;

    /** Closes the file; idempotent. Nothing is synced: sync first if you need it. */
    @Override
    void close() throws IOException;
}

package org.wal4j.compat.gohacks;

import java.nio.file.Path;
import org.wal4j.Wal4jException;

/**
 * gohacks' {@code ErrShortWrite} (a write that made no progress). Kept so that ported code
 * finds the type, but this port never throws it: the I/O layer's {@code IoFile.write} loops
 * over short writes itself and reports a write that makes no progress as
 * an {@code IOException} naming the call, path and errno ({@code pwrite failed: EIO ... (wrote 0 bytes)}),
 * which is what {@link WriteAheadLog#append} throws, failing the log.
 */
public final class ShortWrite extends Wal4jException {
    private static final long serialVersionUID = 1L;

    private final transient Path path;
    /** The file offset the write started at. */
    private final long offset;
    /** The bytes the write was to write. */
    private final long length;
    /** The bytes it wrote. */
    private final long written;

    /**
     * Reports a write that wrote less than it was given.
     *
     * @param path the file written
     * @param offset the file offset the write started at, in bytes
     * @param length the bytes it was to write
     * @param written the bytes it wrote, 0 to {@code length - 1}
     */
    public ShortWrite(Path path, long offset, long length, long written) {
        super("short write: path=" + path + " offset=" + offset + " length=" + length + " written=" + written);
        this.path = path;
        this.offset = offset;
        this.length = length;
        this.written = written;
    }

    /**
     * The file written.
     *
     * @return the file's path
     */
    public Path path() {
        return path;
    }

    /**
     * Where the write started.
     *
     * @return the file offset in bytes
     */
    public long offset() {
        return offset;
    }

    /**
     * How much the write was to write.
     *
     * @return the length in bytes
     */
    public long length() {
        return length;
    }

    /**
     * How much the write wrote.
     *
     * @return the bytes written
     */
    public long written() {
        return written;
    }
}

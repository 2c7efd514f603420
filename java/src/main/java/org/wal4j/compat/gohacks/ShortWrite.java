package org.wal4j.compat.gohacks;

import java.nio.file.Path;
import org.wal4j.Wal4jException;

/**
 * gohacks' {@code ErrShortWrite} (a write that made no progress). Kept so that ported code
 * finds the type, but this port never throws it: the I/O layer's {@code IoFile.write} loops
 * over short writes itself and reports a write that makes no progress as an
 * an {@code IOException} naming the call, path and errno ({@code pwrite failed: EIO ... (wrote 0 bytes)}),
 * which is what {@link WriteAheadLog#append} throws, failing the log.
 */
public final class ShortWrite extends Wal4jException {
    private static final long serialVersionUID = 1L;

    private final transient Path path;
    private final long offset;
    private final long length;
    private final long written;

    public ShortWrite(Path path, long offset, long length, long written) {
        super("short write: path=" + path + " offset=" + offset + " length=" + length + " written=" + written);
        this.path = path;
        this.offset = offset;
        this.length = length;
        this.written = written;
    }

    public Path path() {
        return path;
    }

    public long offset() {
        return offset;
    }

    public long length() {
        return length;
    }

    public long written() {
        return written;
    }
}

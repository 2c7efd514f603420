package org.wal4j.io;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/** An {@link IoFile} that passes every call to another; test backends override what they watch. */
public abstract class ForwardingIoFile implements IoFile {
    protected final IoFile f;

    protected ForwardingIoFile(IoFile f) {
        this.f = f;
    }

    @Override
    public Path path() {
        return f.path();
    }

    @Override
    public boolean isDirect() {
        return f.isDirect();
    }

    @Override
    public int directAlignment() {
        return f.directAlignment();
    }

    @Override
    public void write(long offset, MemorySegment src) throws IOException {
        f.write(offset, src);
    }

    @Override
    public void writeDsync(long offset, MemorySegment src) throws IOException {
        f.writeDsync(offset, src);
    }

    @Override
    public boolean supportsWriteDsync() {
        return f.supportsWriteDsync();
    }

    @Override
    public long read(long offset, MemorySegment dst) throws IOException {
        return f.read(offset, dst);
    }

    @Override
    public void datasync() throws IOException {
        f.datasync();
    }

    @Override
    public void sync() throws IOException {
        f.sync();
    }

    @Override
    public void allocate(long offset, long length) throws IOException {
        f.allocate(offset, length);
    }

    @Override
    public void truncate(long size) throws IOException {
        f.truncate(size);
    }

    @Override
    public long size() throws IOException {
        return f.size();
    }

    @Override
    public void close() throws IOException {
        f.close();
    }
}

package org.wal4j.cli;

import java.util.Map;
import org.wal4j.io.CReferenceLoop;
import org.wal4j.io.OpenFlag;

/**
 * The write-and-sync methods fsync-test compares. Each names how the file is opened, what
 * one operation does on each {@link CallPath}, and which paths can do it at all.
 */
enum FsyncMethod {
    FDATASYNC("fdatasync", "write+fdatasync", Op.WRITE_DATASYNC, CReferenceLoop.Method.PWRITE_FDATASYNC,
            Map.of(CallPath.FFM, "pwrite+fdatasync", CallPath.JAVA, "FileChannel.write+force(false)",
                    CallPath.C, "C pwrite+fdatasync")),
    FSYNC("fsync", "write+fsync", Op.WRITE_SYNC, CReferenceLoop.Method.PWRITE_FSYNC,
            Map.of(CallPath.FFM, "pwrite+fsync", CallPath.JAVA, "FileChannel.write+force(true)",
                    CallPath.C, "C pwrite+fsync")),
    DSYNC("dsync", "O_DSYNC write", Op.WRITE, CReferenceLoop.Method.PWRITE,
            Map.of(CallPath.FFM, "pwrite, O_DSYNC", CallPath.JAVA, "FileChannel.write, DSYNC",
                    CallPath.C, "C pwrite, O_DSYNC"),
            OpenFlag.DSYNC),
    DIRECT_FDATASYNC("direct-fdatasync", "O_DIRECT write+fdatasync", Op.WRITE_DATASYNC,
            CReferenceLoop.Method.PWRITE_FDATASYNC,
            Map.of(CallPath.FFM, "pwrite+fdatasync, O_DIRECT", CallPath.JAVA, "FileChannel.write+force(false), DIRECT",
                    CallPath.C, "C pwrite+fdatasync, O_DIRECT"),
            OpenFlag.DIRECT),
    DIRECT_DSYNC("direct-dsync", "O_DIRECT|O_DSYNC write", Op.WRITE, CReferenceLoop.Method.PWRITE,
            Map.of(CallPath.FFM, "pwrite, O_DIRECT|O_DSYNC", CallPath.JAVA, "FileChannel.write, DIRECT+DSYNC",
                    CallPath.C, "C pwrite, O_DIRECT|O_DSYNC"),
            OpenFlag.DIRECT, OpenFlag.DSYNC),
    RWF_DSYNC("rwf-dsync", "pwritev2 RWF_DSYNC", Op.WRITE_DSYNC, CReferenceLoop.Method.PWRITEV2_DSYNC,
            Map.of(CallPath.FFM, "pwritev2(RWF_DSYNC)", CallPath.C, "C pwritev2(RWF_DSYNC)")),
    MMAP("mmap", "mmap+msync", Op.MAPPED_FORCE, CReferenceLoop.Method.MMAP_MSYNC,
            Map.of(CallPath.JAVA, "MemorySegment copy+force (mmap)", CallPath.C, "C memcpy+msync(MS_SYNC)"));

    /** What one operation does on the FFM and Java paths. */
    enum Op { WRITE_DATASYNC, WRITE_SYNC, WRITE, WRITE_DSYNC, MAPPED_FORCE }

    final String id;
    final String title;
    final Op op;
    final CReferenceLoop.Method cMethod;
    final Map<CallPath, String> howByPath;
    final OpenFlag[] extraFlags;

    FsyncMethod(String id, String title, Op op, CReferenceLoop.Method cMethod, Map<CallPath, String> howByPath,
                OpenFlag... extraFlags) {
        this.id = id;
        this.title = title;
        this.op = op;
        this.cMethod = cMethod;
        this.howByPath = howByPath;
        this.extraFlags = extraFlags;
    }

    boolean runsOn(CallPath path) {
        return howByPath.containsKey(path);
    }

    boolean isDirect() {
        for (OpenFlag f : extraFlags) {
            if (f == OpenFlag.DIRECT) {
                return true;
            }
        }
        return false;
    }

    /** mmap needs a file already as large as the region it maps. */
    boolean runsIn(FileState state) {
        return this != MMAP || state != FileState.APPEND;
    }

    static FsyncMethod byId(String id) {
        for (FsyncMethod m : values()) {
            if (m.id.equals(id)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown method '" + id + "'");
    }
}

package org.wal4j.cli;

/** The three ways fsync-test runs the same operation, side by side. */
enum CallPath {
    /** FFM downcalls to libc (PosixIo). */
    FFM("ffm"),
    /** FileChannel (JavaIo), the pure-Java fallback. */
    JAVA("java"),
    /** The C loop in libwal4j: the baseline. */
    C("c");

    final String id;

    CallPath(String id) {
        this.id = id;
    }
}

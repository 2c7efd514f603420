/**
 * Internal: the I/O backends ({@link org.wal4j.io.PosixIo} through the FFM API, the
 * {@link org.wal4j.io.JavaIo} fallback), the directory lock and the C reference loop of
 * {@code fsync-test}. Public for the engine's packages and the command line, not API.
 */
package org.wal4j.io;

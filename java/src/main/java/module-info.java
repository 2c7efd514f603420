/**
 * wal4j: a write-ahead log for the JVM on Linux.
 *
 * <p>The module exports the journal's API ({@code org.wal4j}) and the two compatibility ports
 * ({@code org.wal4j.compat.gohacks}, {@code org.wal4j.compat.wally}). The layers below the API
 * ({@code org.wal4j.io}, {@code org.wal4j.log}, {@code org.wal4j.format} and the jextract bindings)
 * are not exported: they are reached only through the API.
 *
 * <p>The FFM backend needs native access for this module: run with
 * {@code --enable-native-access=org.wal4j}. Without it the journal falls back to the
 * {@code FileChannel} backend and logs why once.
 */
module org.wal4j {
    // JournalEvents: JFR events
    requires jdk.jfr;
    // JavaIo: com.sun.nio.file.ExtendedOpenOption.DIRECT
    requires jdk.unsupported;

    exports org.wal4j;
    exports org.wal4j.compat.gohacks;
    exports org.wal4j.compat.wally;
}

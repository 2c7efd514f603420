package org.wal4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.wal4j.io.Errno;
import org.wal4j.io.IoBackend;
import org.wal4j.io.IoCallException;
import org.wal4j.io.IoFile;
import org.wal4j.io.OpenFlag;
import org.wal4j.log.SegmentFiles;

/**
 * What {@code Journal.open} does to the directory before recovery: creates it durably if it
 * is missing, and finds the O_DIRECT block size its filesystem takes. Stateless.
 */
final class JournalDirectory {
    private static final System.Logger LOG = System.getLogger("org.wal4j");

    private JournalDirectory() {}

    /**
     * Refuses to open what {@code options} say must not be: no journal in {@code dir} (no
     * directory, or no segment file in it) without createIfMissing, or one with errorIfExists.
     * Checked before anything is created or locked.
     */
    static void checkExistence(Path dir, JournalOptions options) throws IOException {
        boolean exists = Files.isDirectory(dir) && !org.wal4j.log.SegmentFiles.list(dir).segments().isEmpty();
        if (!exists && !options.createIfMissing()) {
            throw new java.nio.file.NoSuchFileException(dir.toString(), null,
                    "no journal here (no segment files) and createIfMissing is false");
        }
        if (exists && options.errorIfExists()) {
            throw new java.nio.file.FileAlreadyExistsException(dir.toString(), null,
                    "a journal is here (segment files) and errorIfExists is true");
        }
    }

    /**
     * Creates {@code dir} and any missing parents (with {@link org.wal4j.io.Modes#directoryMode}
     * of the file mode), each followed by an fsync of the directory holding it: a new
     * directory's entry is not durable until its parent is synced, and a journal whose
     * directory vanished in a crash would lose records acknowledged in it.
     */
    static void create(Path dir, IoBackend io, int fileMode) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        List<Path> missing = new ArrayList<>();
        for (Path p = dir.toAbsolutePath(); p != null && !Files.exists(p); p = p.getParent()) {
            missing.add(p);
        }
        Files.createDirectories(dir, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                org.wal4j.io.Modes.permissions(org.wal4j.io.Modes.directoryMode(fileMode))));
        for (int i = missing.size() - 1; i >= 0; i--) {
            Path parent = missing.get(i).getParent();
            if (parent != null) {
                io.syncDirectory(parent);
            }
        }
    }

    /**
     * Whether {@code probe} opens for writing without O_DIRECT: JavaIo knows EINVAL only from
     * the JDK's English text, so a refusal in another locale has errno 0, and this tells it
     * from a failure that has nothing to do with O_DIRECT (too many open files, ...).
     */
    private static boolean opensWithoutDirect(Path probe, IoBackend io, int fileMode) {
        try {
            io.open(probe, fileMode, OpenFlag.WRITE, OpenFlag.CREATE).close();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The O_DIRECT block size, 1 when writes are buffered. Probed on a file of its own in the
     * directory (same filesystem), created and deleted here: a filesystem that refuses
     * O_DIRECT fails the open here, before any segment is touched, or falls back when the
     * options say so. Never on the lock file: closing a descriptor of it would release a
     * POSIX record lock (JavaIo's) on it.
     */
    static int directAlignment(Path dir, JournalOptions options, IoBackend io) throws IOException {
        if (!options.direct()) {
            return 1;
        }
        Path probe = dir.resolve(SegmentFiles.DIRECT_PROBE);
        try {
            return probeDirect(dir, probe, options, io);
        } finally {
            Files.deleteIfExists(probe); // left by a crash, open deletes it with the other unfinished files
        }
    }

    private static int probeDirect(Path dir, Path probe, JournalOptions options, IoBackend io) throws IOException {
        int alignment;
        try (IoFile f = io.open(probe, options.fileMode(), OpenFlag.WRITE, OpenFlag.CREATE, OpenFlag.DIRECT)) {
            alignment = f.directAlignment();
        } catch (IoCallException e) {
            if (e.errno() != Errno.EINVAL && !(e.errno() == 0 && opensWithoutDirect(probe, io, options.fileMode()))) {
                throw e; // not a refusal of O_DIRECT: EINVAL, or an unknown errno where the same open without it works
            }
            if (!options.directFallback()) {
                throw new IOException("O_DIRECT is refused by the filesystem of dir=" + dir + " (" + e.getMessage()
                        + "); open with direct(false), or directFallback(true) to write buffered instead", e);
            }
            LOG.log(System.Logger.Level.WARNING, "wal4j: O_DIRECT refused by the filesystem, writing buffered "
                    + "(directFallback): dir={0}: {1}", dir, e.getMessage());
            return 1;
        }
        if (alignment > SegmentWriter.STAGING_ALIGNMENT || SegmentWriter.STAGING_ALIGNMENT % alignment != 0 || options.segmentBytes() % alignment != 0) {
            throw new IOException("O_DIRECT alignment=" + alignment + " of dir=" + dir + " is not supported: it must divide "
                    + SegmentWriter.STAGING_ALIGNMENT + " and segmentBytes=" + options.segmentBytes());
        }
        return alignment;
    }
}

package org.wal4j.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.wal4j.format.JournalFormat;
import org.wal4j.format.WalxFormat;
import org.wal4j.format.WallyFormat;
import org.wal4j.log.SegmentFiles;

/**
 * What a path given to {@code stat}, {@code verify} or {@code dump} holds, told from its bytes
 * (never from its name): a wal4j journal directory (or one of its segment files), a gohacks
 * log file, or a go-wally log file in the format its README describes.
 *
 * <p>Symbolic links are refused, not followed: the tools read exactly the path they are
 * given, and an operator's link into another directory is better named than guessed at.
 */
record LogTarget(Kind kind, Path path, Path segmentFile) {

    enum Kind {
        JOURNAL("wal4j journal"),
        GOHACKS("gohacks wal"),
        WALLY("go-wally (README format)");

        final String label;

        Kind(String label) {
            this.label = label;
        }
    }

    /** Bad input: a one-line message for the user, exit code 2. */
    static final class BadInput extends Exception {
        BadInput(String message) {
            super(message, null, false, false);
        }
    }

    /** The magic of the format go-wally's library writes today, "JWAL" read as a little-endian u32. */
    private static final int JWAL_MAGIC = 0x4c41574a;

    static LogTarget detect(Path path) throws BadInput, IOException {
        if (Files.isSymbolicLink(path)) {
            throw new BadInput(path + " is a symbolic link (to " + Files.readSymbolicLink(path)
                    + "): give the path it points to");
        }
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            throw new BadInput("no such file or directory: " + path);
        }
        if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
            SegmentFiles.Listing listing = SegmentFiles.list(path);
            if (listing.segments().isEmpty()) {
                throw new BadInput(path + " is not a wal4j journal: no segment files (*" + SegmentFiles.SUFFIX + ")"
                        + (listing.foreign().isEmpty() ? ", and no other files" : ", but " + listing.foreign().size()
                        + " other file(s), e.g. " + listing.foreign().get(0).getFileName()));
            }
            return new LogTarget(Kind.JOURNAL, path, null);
        }
        if (!Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
            throw new BadInput(path + " is neither a directory nor a regular file");
        }
        byte[] head = new byte[64];
        int n;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.wrap(head);
            while (b.hasRemaining() && ch.read(b) > 0) {
                // until the buffer is full or the file ends
            }
            n = b.position();
        }
        ByteBuffer le = ByteBuffer.wrap(head, 0, n).order(ByteOrder.LITTLE_ENDIAN);
        if (n >= 8 && le.getLong(0) == JournalFormat.MAGIC) {
            Path dir = path.toAbsolutePath().getParent();
            boolean listed = SegmentFiles.list(dir).segments().stream()
                    .anyMatch(p -> p.getFileName().equals(path.getFileName()));
            if (!listed) { // a copy or a renamed file: the journal's rules need the directory it belongs to
                throw new BadInput(path + " has a wal4j segment header but is not one of the segments of " + dir
                        + " (segment files are named <20-digit base LSN>" + SegmentFiles.SUFFIX + ")");
            }
            return new LogTarget(Kind.JOURNAL, dir, path);
        }
        if (n >= 4 && le.getInt(0) == WalxFormat.MAGIC) {
            return new LogTarget(Kind.GOHACKS, path, null);
        }
        if (n >= 4 && le.getInt(0) == JWAL_MAGIC) {
            throw new BadInput(path + " is a go-wally log in its JWAL format (magic \"JWAL\"), which this version"
                    + " does not read; it reads the README format (no file header)");
        }
        if (n == 0) {
            throw new BadInput(path + " is empty: no format can be told from it (an empty go-wally log has no records)");
        }
        if (looksLikeWally(path)) {
            return new LogTarget(Kind.WALLY, path, null);
        }
        throw new BadInput(path + " is not a log this tool reads: its first bytes are no wal4j segment header,"
                + " no gohacks header and no valid go-wally record (" + hex(head, Math.min(n, 16)) + ")");
    }

    /**
     * A go-wally README-format file has no header: it is taken for one when its records, read
     * from the start, reach a valid non-empty one (length within the file, reserved 0, the
     * CRC32 of the payload) before an invalid one. Empty records alone prove nothing: an
     * empty record is 16 zero bytes, and so is zeroed space.
     */
    private static boolean looksLikeWally(Path path) throws IOException {
        boolean[] nonEmpty = {false};
        try {
            GoLogScan.scan(path, Kind.WALLY, r -> {
                nonEmpty[0] = r.value().byteSize() > 0;
                return !nonEmpty[0];
            });
        } catch (BadInput e) {
            return false; // (a go-wally file has no header to refuse)
        }
        return nonEmpty[0];
    }

    static String hex(byte[] b, int n) {
        StringBuilder sb = new StringBuilder(n * 3);
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : " ").append(String.format("%02x", b[i]));
        }
        return sb.toString();
    }
}

package org.wal4j.log;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Names of a journal directory's files: segments are {@code <baseLsn, 20 digits>.wal4j};
 * a segment being created is first written as {@code <name>.tmp} and renamed into place,
 * so a {@code .tmp} file is always an unfinished creation and safe to delete. The next
 * segment, prepared ahead of need (zero-filled, no header yet), is {@value #SPARE}; it holds
 * no record either and is deleted at open like the other {@code .tmp} files, as is
 * {@value #DIRECT_PROBE}, which open creates and deletes to probe O_DIRECT. A segment file
 * kept for reuse after a front truncation is {@code recycled-<segmentId, 20 digits>.wal4j.tmp}:
 * its records were removed from the journal, and open deletes it too.
 */
public final class SegmentFiles {
    public static final String SUFFIX = ".wal4j";
    public static final String TMP_SUFFIX = ".tmp";
    public static final String LOCK_FILE = "wal4j.lock";
    public static final String SPARE = "spare.wal4j.tmp";
    /** The file open creates, opens with O_DIRECT and deletes to learn whether the filesystem takes O_DIRECT. */
    public static final String DIRECT_PROBE = "direct-probe.wal4j.tmp";
    private static final Pattern SEGMENT = Pattern.compile("(\\d{20})\\.wal4j");
    private static final Pattern TMP = Pattern.compile("(recycled-)?\\d{20}\\.wal4j\\.tmp");

    private SegmentFiles() {}

    public static String name(long baseLsn) {
        return String.format("%020d%s", baseLsn, SUFFIX);
    }

    /** The name a removed segment's file is kept under for reuse. */
    public static String recycledName(long segmentId) {
        return String.format("recycled-%020d%s%s", segmentId, SUFFIX, TMP_SUFFIX);
    }

    /** The directory's listing, split by role. */
    public record Listing(List<Path> segments, List<Long> baseLsns, List<Path> unfinished, List<Path> foreign) {}

    /** Lists {@code dir}: segments sorted by base LSN, unfinished .tmp files, and anything else. */
    public static Listing list(Path dir) throws IOException {
        List<Path> segments = new ArrayList<>();
        List<Path> unfinished = new ArrayList<>();
        List<Path> foreign = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            for (Path p : stream) {
                String name = p.getFileName().toString();
                if (SEGMENT.matcher(name).matches()) {
                    segments.add(p);
                } else if (TMP.matcher(name).matches() || name.equals(SPARE) || name.equals(DIRECT_PROBE)) {
                    unfinished.add(p);
                } else if (!name.equals(LOCK_FILE)) {
                    foreign.add(p);
                }
            }
        }
        segments.sort(null);
        List<Long> bases = new ArrayList<>();
        for (Path p : segments) {
            Matcher m = SEGMENT.matcher(p.getFileName().toString());
            if (!m.matches()) {
                throw new IllegalStateException(p.toString());
            }
            bases.add(Long.parseUnsignedLong(m.group(1)));
        }
        return new Listing(segments, bases, unfinished, foreign);
    }
}

package org.wal4j.cli;

import java.io.PrintWriter;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.lang.foreign.MemorySegment;
import org.wal4j.CorruptionException;
import org.wal4j.Journal;
import org.wal4j.JournalInspection;
import org.wal4j.RecoveryReport;
import org.wal4j.format.JournalFormat;
import org.wal4j.log.SegmentFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

/** {@code wal4j stat}: what a log holds, read without changing it. */
@Command(name = "stat", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Shows what a log holds: its format (told from the bytes), segments with sizes and LSN ranges,"
                + " header fields, durable marks, what an open would cut, index sizes and the filesystem's free space.",
                "Reads only: opens files read-only, takes no lock, writes nothing; works on a log another process is"
                        + " appending to. Exit code 0, or 2 if the path is not a log or cannot be read."})
final class StatCommand implements Callable<Integer> {
    @Mixin
    LogPath log;

    @Option(names = "--json", description = "One JSON object instead of text")
    boolean json;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        LogTarget target = log.detect();
        Map<String, Object> facts = LogPath.facts(target);
        List<Map<String, Object>> rows = new ArrayList<>();
        if (target.kind() == LogTarget.Kind.JOURNAL) {
            Progress.announce(spec.commandLine().getErr(), target.path(), "reading");
            try (JournalInspection in = Journal.inspect(target.path())) {
                journal(in, target, facts, rows);
            } catch (CorruptionException e) {
                headersOnly(target, facts, rows); // what can be shown of a journal an open would refuse
                facts.put("openWould", "refuse it: " + e.getMessage());
            }
        } else {
            GoLogScan.End end = GoLogScan.scan(target.path(), target.kind(), r -> true);
            facts.put("fileBytes", end.fileBytes());
            if (target.kind() == LogTarget.Kind.GOHACKS) {
                facts.put("headerBytes", end.headerBytes());
                facts.put("createdAt", Instant.ofEpochSecond(end.createdAt()).toString());
            }
            facts.put("records", end.records());
            facts.put(target.kind() == LogTarget.Kind.GOHACKS ? "lsns" : "indexes", range(end.firstLsn(), end.lastLsn()));
            facts.put("recordsEnd", end.endOffset());
            facts.put("openWould", end.clean() ? "keep everything" : "cut " + (end.fileBytes() - end.endOffset())
                    + " bytes at offset " + end.endOffset() + " (" + end.reason() + ")");
        }
        Path fsPath = target.kind() == LogTarget.Kind.JOURNAL ? target.path() : target.path().toAbsolutePath().getParent();
        FileStore store = Files.getFileStore(fsPath);
        facts.put("filesystem", store.type() + " " + store.name());
        facts.put("freeBytes", store.getUsableSpace());
        facts.put("totalBytes", store.getTotalSpace());
        if (json) {
            out.println(Json.object(facts, "segments", rows));
        } else {
            for (Map.Entry<String, Object> e : facts.entrySet()) {
                out.printf("%-14s %s%n", e.getKey(), e.getValue());
            }
            if (!rows.isEmpty()) {
                out.println();
                out.printf("%-28s %6s %12s %-25s %10s %12s %12s %12s %6s %s%n", "segment", "id", "base lsn", "lsns", "records",
                        "frames end", "file bytes", "synced to", "marks", "created");
                for (Map<String, Object> r : rows) {
                    out.printf("%-28s %6s %12s %-25s %10s %12s %12s %12s %6s %s%n", r.get("file"), cell(r, "segmentId"),
                            cell(r, "baseLsn"), cell(r, "lsns"), cell(r, "records"), cell(r, "framesEnd"), cell(r, "fileBytes"),
                            cell(r, "syncMarkEnd"), cell(r, "durableMark"), r.containsKey("header") ? "header " + r.get("header")
                                    : cell(r, "created") + (Boolean.TRUE.equals(r.get("recycled")) ? " (recycled)" : ""));
                }
            }
        }
        out.flush();
        return 0;
    }

    private static void journal(JournalInspection in, LogTarget target, Map<String, Object> facts,
            List<Map<String, Object>> rows) {
        long records = 0;
        long fileBytes = 0;
        long frameBytes = 0;
        long first = -1;
        for (JournalInspection.SegmentInfo s : in.segments()) {
            if (target.segmentFile() != null && !sameFile(s.path(), target.segmentFile())) {
                continue;
            }
            records += s.records();
            fileBytes += s.fileBytes();
            frameBytes += s.endOffset() - JournalFormat.HEADER_BLOCK_BYTES;
            first = first < 0 && s.records() > 0 ? s.firstLsn() : first;
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("file", s.path().getFileName().toString());
            r.put("segmentId", s.segmentId());
            r.put("baseLsn", s.baseLsn());
            r.put("lsns", range(s.firstLsn(), s.lastLsn()));
            r.put("records", s.records());
            r.put("framesEnd", s.endOffset());
            r.put("fileBytes", s.fileBytes());
            r.put("syncMarkEnd", s.syncedEnd());
            r.put("durableMark", s.durableMark());
            r.put("headerDurableSegmentId", s.headerDurableSegmentId());
            r.put("prevSegmentId", s.prevSegmentId());
            r.put("recycled", s.recycled());
            r.put("created", Instant.ofEpochMilli(s.createdMillis()).toString());
            rows.add(r);
        }
        facts.put("segmentFormatVersion", JournalFormat.VERSION);
        facts.put("segments", rows.size());
        facts.put("records", records);
        facts.put("lsns", range(first, records > 0 ? in.lastLsn() : -1));
        facts.put("fileBytes", fileBytes);
        facts.put("frameBytes", frameBytes);
        facts.put("durableThroughSegment", in.durableSegmentId());
        facts.put("openWould", openWould(in.recovery()));
        facts.put("indexAtOpen", "full: about " + ByteSize.approx(records * 8) + " of heap (8 bytes a record);"
                + " sparse(64): about " + ByteSize.approx(records / 8));
    }

    private static Object cell(Map<String, Object> row, String key) {
        return row.getOrDefault(key, "?");
    }

    static boolean sameFile(Path a, Path b) {
        try {
            return Files.isSameFile(a, b);
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** The segments' header fields and sizes, read without scanning their frames. */
    private static void headersOnly(LogTarget target, Map<String, Object> facts, List<Map<String, Object>> rows)
            throws java.io.IOException {
        SegmentFiles.Listing listing = SegmentFiles.list(target.path());
        for (Path path : listing.segments()) {
            if (target.segmentFile() != null && !sameFile(path, target.segmentFile())) {
                continue;
            }
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("file", path.getFileName().toString());
            byte[] block = new byte[JournalFormat.HEADER_BLOCK_BYTES];
            int n;
            try (var in = Files.newInputStream(path)) {
                n = in.readNBytes(block, 0, block.length);
            }
            try {
                JournalFormat.SegmentHeader h = JournalFormat.decodeHeader(MemorySegment.ofArray(block).asSlice(0, n));
                r.put("segmentId", h.segmentId());
                r.put("baseLsn", h.baseLsn());
                r.put("headerDurableSegmentId", h.durableSegmentId());
                r.put("prevSegmentId", h.prevSegmentId());
                r.put("recycled", h.recycled());
                r.put("created", Instant.ofEpochMilli(h.createdMillis()).toString());
            } catch (org.wal4j.format.FormatException e) {
                r.put("header", "not valid: " + e.getMessage());
            }
            r.put("fileBytes", Files.size(path));
            rows.add(r);
        }
        facts.put("segmentFormatVersion", JournalFormat.VERSION);
        facts.put("segments", rows.size());
    }

    /** What an open would do, in words. */
    static String openWould(RecoveryReport r) {
        List<String> acts = new ArrayList<>();
        if (r.droppedTailBytes() > 0 || r.tailReason() != null) {
            acts.add("cut a torn tail of " + r.droppedTailBytes() + " bytes (" + r.tailReason() + ")"
                    + (r.framesAfterCut() > 0 ? ", with " + r.framesAfterCut() + " valid-looking records after the cut" : ""));
        }
        if (r.droppedSegments() > 0) {
            acts.add("delete " + r.droppedSegments() + " segment(s) after it");
        }
        if (r.removedUnfinished() > 0) {
            acts.add("remove " + r.removedUnfinished() + " unfinished segment creation(s)");
        }
        return acts.isEmpty() ? "keep everything" : String.join("; ", acts);
    }

    static String range(long first, long last) {
        return first < 0 ? "none" : Long.toUnsignedString(first) + ".." + Long.toUnsignedString(last);
    }
}

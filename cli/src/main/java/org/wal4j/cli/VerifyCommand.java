package org.wal4j.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.wal4j.CorruptionException;
import org.wal4j.Journal;
import org.wal4j.JournalInspection;
import org.wal4j.RecoveryReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

/**
 * {@code wal4j verify}: reads a whole log and checks what an open checks, per segment. For a
 * wal4j journal that is recovery's own read ({@link Journal#inspect}), so "torn tail" and
 * "corruption" mean exactly what an open would do; the Go formats record nothing of what was
 * synced, so there an invalid record is where an open would cut, whatever its cause.
 */
@Command(name = "verify", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Reads a whole log, checks every CRC and every rule an open checks, and says per segment: ok,"
                + " torn tail at offset X (what an open would cut), or corruption at offset X in durable data.",
                "Reads only: opens files read-only, takes no lock, writes nothing.",
                "Exit code 0: clean; 1: a torn tail only (an open will cut it); 2: corruption, or not a log."})
final class VerifyCommand implements Callable<Integer> {
    static final int CLEAN = 0;
    static final int TORN_TAIL = 1;
    static final int CORRUPT = 2;

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
        int code;
        if (target.kind() == LogTarget.Kind.JOURNAL) {
            code = journal(target, facts, rows);
        } else {
            Progress progress = Progress.over(spec.commandLine().getErr(), target.path());
            GoLogScan.End end = GoLogScan.scan(target.path(), target.kind(), r -> {
                progress.at(r.offset() + r.bytes());
                return true;
            });
            progress.done();
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("file", target.path().getFileName().toString());
            r.put("records", end.records());
            r.put(target.kind() == LogTarget.Kind.GOHACKS ? "lsns" : "indexes", StatCommand.range(end.firstLsn(), end.lastLsn()));
            if (end.clean()) {
                r.put("status", "ok");
                code = CLEAN;
            } else {
                r.put("status", "torn tail");
                r.put("offset", end.endOffset());
                r.put("cutBytes", end.fileBytes() - end.endOffset());
                r.put("reason", end.reason() + "; the format records nothing of what was synced, so this may be damage"
                        + " as well as a torn write: an open cuts the log here either way");
                code = TORN_TAIL;
            }
            rows.add(r);
        }
        facts.put("result", code == CLEAN ? "clean" : code == TORN_TAIL ? "torn tail only" : "corruption");
        if (json) {
            out.println(Json.object(facts, "segments", rows));
        } else {
            out.println(facts.get("path") + " (" + facts.get("format") + "): " + facts.get("result"));
            for (Map<String, Object> r : rows) {
                StringBuilder line = new StringBuilder("  ").append(r.get("file")).append(": ").append(r.get("status"));
                if (r.containsKey("offset")) {
                    line.append(" at offset ").append(r.get("offset"));
                }
                if (r.containsKey("lastGoodLsn")) {
                    line.append(", last good lsn ").append(r.get("lastGoodLsn"));
                }
                if (r.containsKey("cutBytes")) {
                    line.append(", an open would cut ").append(r.get("cutBytes")).append(" bytes");
                }
                if (r.containsKey("reason")) {
                    line.append(" (").append(r.get("reason")).append(')');
                }
                if (!r.containsKey("offset")) {
                    boolean indexes = r.containsKey("indexes");
                    line.append(", ").append(r.get("records")).append(" records, ").append(indexes ? "indexes " : "lsns ")
                            .append(r.get(indexes ? "indexes" : "lsns"));
                }
                out.println(line);
            }
        }
        out.flush();
        return code;
    }

    private int journal(LogTarget target, Map<String, Object> facts, List<Map<String, Object>> rows) throws Exception {
        Progress.announce(spec.commandLine().getErr(), target.path(), "verifying");
        try (JournalInspection in = Journal.inspect(target.path())) {
            RecoveryReport report = in.recovery();
            List<JournalInspection.SegmentInfo> segments = in.segments();
            boolean torn = report.droppedTailBytes() > 0 || report.tailReason() != null || report.droppedSegments() > 0;
            for (int i = 0; i < segments.size(); i++) {
                JournalInspection.SegmentInfo s = segments.get(i);
                if (target.segmentFile() != null && !StatCommand.sameFile(s.path(), target.segmentFile())) {
                    continue;
                }
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("file", s.path().getFileName().toString());
                r.put("records", s.records());
                r.put("lsns", StatCommand.range(s.firstLsn(), s.lastLsn()));
                if (torn && i == segments.size() - 1) {
                    r.put("status", "torn tail");
                    r.put("offset", s.endOffset());
                    r.put("cutBytes", report.droppedTailBytes());
                    r.put("reason", StatCommand.openWould(report));
                } else {
                    r.put("status", "ok");
                }
                rows.add(r);
            }
            facts.put("openWould", StatCommand.openWould(report));
            return torn ? TORN_TAIL : CLEAN;
        } catch (CorruptionException e) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("file", e.file() != null ? e.file().getFileName().toString() : target.path().toString());
            r.put("status", "corruption in durable data");
            r.put("offset", e.offset());
            r.put("lastGoodLsn", e.lastGoodLsn());
            r.put("reason", e.reason());
            rows.add(r);
            facts.put("openWould", "refuse the journal (CorruptionException)");
            return CORRUPT;
        }
    }
}

package org.wal4j.cli;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * fsync-test's conclusion, per size: the fastest durable (method, file state) on the path a
 * journal would use (FFM where it ran, else FileChannel), its ratio to the naive FileChannel
 * append + {@code force(false)}, whether the C, FFM and Java paths agree on it, and the journal
 * settings that suggests.
 */
record FsyncVerdict(long sizeBytes, FsyncTestCommand.Result best, FsyncTestCommand.Result baseline,
                    Map<CallPath, Double> p50OverC, List<String> suggests) {
    /** Paths whose median is within this factor of the C loop's agree with it. */
    static final double AGREES = 1.25;

    static List<FsyncVerdict> of(List<FsyncTestCommand.Result> results) {
        Map<Long, List<FsyncTestCommand.Result>> bySize = new TreeMap<>();
        for (FsyncTestCommand.Result r : results) {
            if (r.ok() && r.ops() > 0) {
                bySize.computeIfAbsent(r.sizeBytes(), k -> new ArrayList<>()).add(r);
            }
        }
        List<FsyncVerdict> verdicts = new ArrayList<>();
        for (Map.Entry<Long, List<FsyncTestCommand.Result>> e : bySize.entrySet()) {
            List<FsyncTestCommand.Result> ok = e.getValue();
            CallPath journalPath = ok.stream().anyMatch(r -> r.path() == CallPath.FFM) ? CallPath.FFM : CallPath.JAVA;
            Optional<FsyncTestCommand.Result> best = ok.stream().filter(r -> r.path() == journalPath)
                    .max(Comparator.comparingDouble(FsyncTestCommand.Result::opsPerSecond));
            if (best.isEmpty()) {
                continue;
            }
            FsyncTestCommand.Result b = best.get();
            FsyncTestCommand.Result baseline = ok.stream().filter(r -> r.path() == CallPath.JAVA
                    && r.method() == FsyncMethod.FDATASYNC && r.state() == FileState.APPEND).findFirst().orElse(null);
            Map<CallPath, Double> overC = new LinkedHashMap<>();
            ok.stream().filter(r -> r.method() == b.method() && r.state() == b.state() && r.path() == CallPath.C).findFirst()
                    .ifPresent(c -> ok.stream().filter(r -> r.method() == b.method() && r.state() == b.state())
                            .forEach(r -> overC.put(r.path(), r.micros(50) / Math.max(c.micros(50), 1e-3))));
            List<String> suggests = new ArrayList<>();
            boolean direct = b.method() == FsyncMethod.DIRECT_FDATASYNC || b.method() == FsyncMethod.DIRECT_DSYNC;
            suggests.add(direct ? "direct(true): O_DIRECT writes were fastest" : "direct(false) (the default): buffered writes were fastest");
            if (b.state() == FileState.ZEROED || b.state() == FileState.FALLOCATED) {
                suggests.add("preallocate(true) (the default): writes into a prepared file were fastest");
            } else {
                suggests.add("preallocate(false): appends that grow the file were as fast here");
            }
            if (b.method() != FsyncMethod.FDATASYNC && b.method() != FsyncMethod.DIRECT_FDATASYNC) {
                suggests.add("the journal syncs with fdatasync; " + b.method().title + " was faster on this disk");
            }
            verdicts.add(new FsyncVerdict(e.getKey(), b, baseline, overC, suggests));
        }
        return verdicts;
    }

    boolean pathsAgree() {
        return p50OverC.values().stream().allMatch(r -> r <= AGREES && r >= 1 / AGREES);
    }

    /** The verdict's lines for the text report. */
    String text() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "  %s: fastest durable write on the %s path: %s into a%s %s file, %s%.0f ops/s (p50 %.0f us)",
                ByteSize.format(sizeBytes), best.path().id, best.method().title,
                best.state() == FileState.APPEND ? "n" : "", best.state().id,
                best.threads() == 1 ? "" : best.threads() + " threads: ", best.opsPerSecond(), best.micros(50)));
        if (baseline != null && baseline.opsPerSecond() > 0) {
            sb.append(String.format(Locale.ROOT, ", %.2fx the naive FileChannel append + force(false) (%.0f ops/s)",
                    best.opsPerSecond() / baseline.opsPerSecond(), baseline.opsPerSecond()));
        }
        sb.append('\n');
        if (p50OverC.isEmpty()) {
            sb.append("    paths: the C loop did not run, so they were not compared\n");
        } else {
            StringBuilder ratios = new StringBuilder();
            p50OverC.forEach((p, r) -> ratios.append(ratios.isEmpty() ? "" : ", ").append(p.id).append(' ')
                    .append(String.format(Locale.ROOT, "%.2f", r)));
            sb.append("    paths: p50 over the C loop's ").append(ratios).append(pathsAgree()
                    ? ": they agree (within " + (int) Math.round((AGREES - 1) * 100) + " %)" : ": they differ").append('\n');
        }
        sb.append("    suggests: ").append(String.join("; ", suggests)).append('\n');
        return sb.toString();
    }

    /** The same as one JSON object. */
    Map<String, Object> json() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("sizeBytes", sizeBytes);
        m.put("path", best.path().id);
        m.put("method", best.method().id);
        m.put("fileState", best.state().id);
        m.put("threads", best.threads());
        m.put("opsPerSecond", Math.round(best.opsPerSecond()));
        m.put("p50Micros", Math.round(best.micros(50) * 10) / 10.0);
        if (baseline != null && baseline.opsPerSecond() > 0) {
            m.put("baselineOpsPerSecond", Math.round(baseline.opsPerSecond()));
            m.put("ratioToBaseline", Math.round(best.opsPerSecond() / baseline.opsPerSecond() * 100) / 100.0);
        }
        p50OverC.forEach((p, r) -> m.put("p50OverC_" + p.id, Math.round(r * 100) / 100.0));
        m.put("pathsAgree", p50OverC.isEmpty() ? null : pathsAgree());
        m.put("suggests", String.join("; ", suggests));
        return m;
    }
}

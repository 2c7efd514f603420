package org.wal4j.cli;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * fsync-test's --json output: the system facts, the settings, one object per result, the
 * second-descriptor check and the verdict.
 */
final class JsonReport {
    private JsonReport() {}

    static String render(Map<String, String> system, List<FsyncTestCommand.Result> results, List<FsyncVerdict> verdicts,
                         SecondDescriptorCheck check, double seconds, int rounds, int threads, long fileBytes) {
        StringBuilder sb = new StringBuilder(4096);
        sb.append("{\n  \"tool\": ").append(quote("wal4j fsync-test " + Wal4jCommand.version())).append(",\n");
        sb.append("  \"system\": {");
        String sep = "\n";
        for (Map.Entry<String, String> e : system.entrySet()) {
            sb.append(sep).append("    ").append(quote(e.getKey())).append(": ").append(quote(e.getValue()));
            sep = ",\n";
        }
        sb.append("\n  },\n");
        sb.append("  \"settings\": {\"secondsPerTest\": ").append(number(seconds))
                .append(", \"rounds\": ").append(rounds)
                .append(", \"threads\": ").append(threads)
                .append(", \"fileBytes\": ").append(fileBytes).append("},\n");
        sb.append("  \"results\": [");
        sep = "\n";
        for (FsyncTestCommand.Result r : results) {
            sb.append(sep).append("    {\"method\": ").append(quote(r.method().id))
                    .append(", \"path\": ").append(quote(r.path().id))
                    .append(", \"how\": ").append(quote(r.how()))
                    .append(", \"sizeBytes\": ").append(r.sizeBytes())
                    .append(", \"fileState\": ").append(quote(r.state().id))
                    .append(", \"threads\": ").append(r.threads())
                    .append(", \"status\": ").append(quote(r.status()));
            if (r.ok() && r.ops() > 0) {
                sb.append(", \"ops\": ").append(r.ops())
                        .append(", \"elapsedNanos\": ").append(r.elapsedNanos())
                        .append(", \"opsPerSecond\": ").append(number(r.opsPerSecond()))
                        .append(", \"megabytesPerSecond\": ").append(number(r.megabytesPerSecond()))
                        .append(", \"p50Micros\": ").append(number(r.micros(50)))
                        .append(", \"p99Micros\": ").append(number(r.micros(99)))
                        .append(", \"p999Micros\": ").append(number(r.micros(99.9)))
                        .append(", \"maxMicros\": ").append(number(r.maxMicros()))
                        .append(", \"exhaustedFile\": ").append(r.exhausted());
            }
            sb.append('}');
            sep = ",\n";
        }
        sb.append("\n  ],\n  \"secondDescriptor\": ").append(Json.line(check.json()));
        sb.append(",\n  \"verdict\": [");
        sep = "\n";
        for (FsyncVerdict v : verdicts) {
            sb.append(sep).append("    ").append(Json.line(v.json()));
            sep = ",\n";
        }
        sb.append("\n  ]\n}\n");
        return sb.toString();
    }

    private static String number(double d) {
        return String.format(Locale.ROOT, "%.3f", d);
    }

    static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (ch < 0x20) {
                        sb.append(String.format("\\u%04x", (int) ch));
                    } else {
                        sb.append(ch);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}

package org.wal4j.cli;

import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.wal4j.Journal;
import org.wal4j.JournalInspection;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

/** {@code wal4j dump}: one line per record, read without changing the log. */
@Command(name = "dump", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Prints one line per record: LSN (go-wally: the index), timestamp and key where the format has"
                + " them, length, stored CRC, and the value as text when it is printable UTF-8, else as hex.",
                "Only the records an open would keep are printed. Reads only: opens files read-only, takes no lock,"
                        + " writes nothing; on a log being appended to it prints the records there when it started.",
                "Exit code 0, or 2 if the path is not a log, cannot be read, or an open would refuse it."})
final class DumpCommand implements Callable<Integer> {
    enum Format { text, hex, json }

    @Mixin
    LogPath log;

    @Option(names = "--from", paramLabel = "LSN", description = "First LSN (go-wally: index) to print. Default: the first")
    long from = 0;

    @Option(names = "--to", paramLabel = "LSN", description = "Last LSN (go-wally: index) to print. Default: the last")
    long to = -1;

    @Option(names = "--format", defaultValue = "text",
            description = "text (values as text when printable, else hex), hex (values always hex) or json (JSON Lines)."
                    + " Default: ${DEFAULT-VALUE}")
    Format format;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (from < 0) {
            throw new IllegalArgumentException("--from " + from + " must be >= 0");
        }
        long last = to < 0 ? Long.MAX_VALUE : to;
        if (last < from) {
            throw new IllegalArgumentException("--to " + to + " is below --from " + from);
        }
        PrintWriter out = spec.commandLine().getOut();
        LogTarget target = log.detect();
        Progress progress = Progress.over(spec.commandLine().getErr(), target.path());
        if (target.kind() == LogTarget.Kind.JOURNAL) {
            try (JournalInspection in = Journal.inspect(target.path())) {
                long[] done = {0};
                in.replay(from, last, r -> {
                    done[0] += r.keyLength() + r.valueLength() + 32;
                    progress.at(done[0]);
                    out.println(line("lsn", r.lsn(), r.timestamp(), r.key(), r.value(), r.crc()));
                });
            }
        } else {
            boolean gohacks = target.kind() == LogTarget.Kind.GOHACKS;
            long lastUnsigned = to < 0 ? -1L : to; // gohacks' LSNs are unsigned: no --to means up to 2^64-1
            GoLogScan.scan(target.path(), target.kind(), r -> {
                progress.at(r.offset() + r.bytes());
                boolean inRange = gohacks ? Long.compareUnsigned(r.lsn(), from) >= 0 && Long.compareUnsigned(r.lsn(), lastUnsigned) <= 0
                        : r.lsn() >= from && r.lsn() <= last;
                if (inRange) {
                    out.println(line(gohacks ? "lsn" : "index", r.lsn(), gohacks ? r.timestamp() : null, gohacks ? r.key() : null,
                            r.value(), r.crc()));
                }
                return gohacks || r.lsn() < last; // gohacks' LSNs need not increase by one: read to the end
            });
        }
        progress.done();
        out.flush();
        return 0;
    }

    private String line(String lsnName, long lsn, Long timestamp, MemorySegment key, MemorySegment value, int crc) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put(lsnName, lsn >= 0 ? (Object) lsn : Long.toUnsignedString(lsn)); // gohacks' LSNs are unsigned 64-bit
        if (timestamp != null) {
            f.put("timestamp", timestamp);
        }
        if (key != null) {
            putBytes(f, "key", key);
        }
        f.put("length", value.byteSize());
        f.put("crc", String.format("0x%08x", crc));
        putBytes(f, "value", value);
        if (format == Format.json) {
            return Json.line(f);
        }
        StringBuilder sb = new StringBuilder(64);
        for (Map.Entry<String, Object> e : f.entrySet()) {
            sb.append(sb.isEmpty() ? "" : " ").append(e.getKey()).append('=').append(e.getValue());
        }
        return sb.toString();
    }

    /** As text (quoted in text format) when printable UTF-8 and not asked for hex, else as hex under {@code name + "Hex"}. */
    private void putBytes(Map<String, Object> f, String name, MemorySegment bytes) {
        byte[] b = bytes.toArray(ValueLayout.JAVA_BYTE);
        String text = format == Format.hex ? null : printable(b);
        if (text != null) {
            f.put(name, format == Format.json ? text : JsonReport.quote(text));
        } else {
            f.put(name + "Hex", LogTarget.hex(b, b.length).replace(" ", ""));
        }
    }

    /** The bytes as a string if they are valid UTF-8 without control characters (tab aside), else null. */
    static String printable(byte[] b) {
        String s;
        try {
            s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                return null;
            }
        }
        return s;
    }
}

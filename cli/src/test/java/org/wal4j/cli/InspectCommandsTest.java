package org.wal4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.wal4j.Journal;
import org.wal4j.JournalOptions;
import org.wal4j.SyncMode;
import org.wal4j.format.JournalFormat;
import picocli.CommandLine;

/**
 * {@code wal4j stat}, {@code verify} and {@code dump} on journals (clean, torn, damaged, being
 * written), on the held gohacks and go-wally fixtures (as written by the Go libraries, torn
 * and damaged copies too), and on paths that are no log. Every run leaves the bytes, names
 * and modification times of what it read as they were.
 */
class InspectCommandsTest {
    private static final Path FIXTURES = Path.of("../java/src/test/resources/fixtures");

    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {
        List<String> lines() {
            return out.lines().toList();
        }
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Wal4jCommand.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    /** Each file's bytes and mtime, by name. */
    private static Map<String, String> state(Path dirOrFile) throws IOException {
        Map<String, String> m = new TreeMap<>();
        Path dir = Files.isDirectory(dirOrFile) ? dirOrFile : dirOrFile.getParent();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                m.put(f.getFileName().toString(), java.util.Arrays.hashCode(Files.readAllBytes(f)) + "@"
                        + Files.getLastModifiedTime(f).toMillis() + "/" + Files.size(f));
            }
        }
        m.put(".", String.valueOf(Files.getLastModifiedTime(dir).toMillis()));
        return m;
    }

    /** Runs stat, verify and dump on {@code path}; asserts none of them changed anything. Returns verify's run. */
    private static Run inspectAll(Path path) throws IOException {
        Map<String, String> before = state(path);
        Run stat = run("stat", path.toString());
        Run statJson = run("stat", "--json", path.toString());
        Run verify = run("verify", path.toString());
        Run dump = run("dump", path.toString());
        assertEquals(before, state(path), "stat/verify/dump changed " + path);
        for (Run r : List.of(stat, statJson, verify, dump)) {
            assertFalse(r.err.contains("\tat ") || r.err.contains("Exception"), "a stack trace: " + r.err);
        }
        assertEquals(0, stat.code, stat.err);
        assertTrue(statJson.out.startsWith("{") && statJson.out.trim().endsWith("}"), statJson.out);
        return verify;
    }

    private static byte[] value(long lsn) {
        return ("order " + lsn).getBytes(StandardCharsets.UTF_8);
    }

    private Path journal(SyncMode mode, int records) throws IOException {
        Path dir = tmp.resolve("journal-" + mode);
        try (Journal j = Journal.open(dir, JournalOptions.builder().syncPolicy(mode).segmentBytes(1 << 20).maxValueBytes(4096).build())) {
            for (long lsn = 1; lsn <= records; lsn++) {
                j.append(lsn, 1000 + lsn, ("k" + lsn).getBytes(StandardCharsets.UTF_8), value(lsn));
            }
        }
        return dir;
    }

    private static Path lastSegment(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".wal4j")).sorted().reduce((a, b) -> b).orElseThrow();
        }
    }

    @Test
    void aCleanJournalIsDescribedVerifiedAndDumpedWithoutBeingChanged() throws Exception {
        Path dir = journal(SyncMode.NONE, 3000); // 3000 records of about 64 bytes: 1 MiB segments roll over
        Run verify = inspectAll(dir);
        assertEquals(0, verify.code, verify.out + verify.err);
        assertTrue(verify.out.contains(": clean"), verify.out);
        Run stat = run("stat", dir.toString());
        assertTrue(stat.out.contains("records        3000"), stat.out);
        assertTrue(stat.out.contains("lsns           1..3000"), stat.out);
        assertTrue(stat.out.contains("openWould      keep everything"), stat.out);
        Run dump = run("dump", "--from", "10", "--to", "12", dir.toString());
        assertEquals(List.of("lsn=10 timestamp=1010 key=\"k10\" length=8", "lsn=11 timestamp=1011 key=\"k11\" length=8",
                "lsn=12 timestamp=1012 key=\"k12\" length=8"), dump.lines().stream().map(l -> l.replaceAll(" crc=.*", "")).toList());
        assertTrue(dump.lines().get(0).endsWith("value=\"order 10\""), dump.out);
        Run json = run("dump", "--format", "json", "--from", "2999", dir.toString());
        assertEquals(2, json.lines().size(), json.out);
        assertTrue(json.lines().get(1).startsWith("{\"lsn\": 3000, \"timestamp\": 4000, \"key\": \"k3000\""), json.out);
        Run hex = run("dump", "--format", "hex", "--from", "1", "--to", "1", dir.toString());
        assertTrue(hex.out.contains("valueHex=6f726465722031"), hex.out); // "order 1"
        assertEquals(3000, run("dump", dir.toString()).lines().size());
    }

    @Test
    void aTornTailIsExitCodeOneAndWhatAnOpenWouldCut() throws Exception {
        Path dir = journal(SyncMode.NONE, 50);
        Path last = lastSegment(dir);
        long end;
        try (JournalInspectionHolder h = new JournalInspectionHolder(dir)) {
            end = h.lastEnd();
        }
        try (RandomAccessFile f = new RandomAccessFile(last.toFile(), "rw")) {
            f.seek(end);
            f.write(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17}); // a frame torn in its header
        }
        Run verify = inspectAll(dir);
        assertEquals(1, verify.code, verify.out + verify.err);
        assertTrue(verify.out.contains("torn tail at offset " + end), verify.out);
        assertEquals(50, run("dump", dir.toString()).lines().size(), "dump prints what an open keeps");
        try (Journal j = Journal.open(dir, JournalOptions.defaults())) {
            assertEquals(50, j.lastLsn()); // and an open does cut it
            assertTrue(j.recoveryReport().droppedTailBytes() > 0);
        }
    }

    @Test
    void damageToDurableRecordsIsExitCodeTwoWithTheStoredAndComputedCrc() throws Exception {
        Path dir = journal(SyncMode.ALWAYS, 20); // every round ends with a SYNC_MARK of the one before
        Path last = lastSegment(dir);
        try (RandomAccessFile f = new RandomAccessFile(last.toFile(), "rw")) {
            long at = JournalFormat.HEADER_BLOCK_BYTES + 40; // inside the first record's key or value
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 0x20);
        }
        Run verify = inspectAll(dir);
        assertEquals(2, verify.code, verify.out + verify.err);
        assertTrue(verify.out.contains("corruption in durable data at offset " + JournalFormat.HEADER_BLOCK_BYTES), verify.out);
        assertTrue(verify.out.contains("stored=0x") && verify.out.contains("computed=0x"), verify.out);
        Run json = run("verify", "--json", dir.toString());
        assertEquals(2, json.code);
        assertTrue(json.out.contains("\"result\": \"corruption\""), json.out);
        Run dump = run("dump", dir.toString());
        assertEquals(2, dump.code);
        assertEquals(1, dump.err.lines().count(), dump.err);
        assertTrue(dump.err.startsWith("wal4j: corrupted journal: "), dump.err);
    }

    @Test
    void theGoFixturesAsTheirLibrariesWroteThemAndTornAndDamagedCopies() throws Exception {
        Path gohacks = Files.copy(FIXTURES.resolve("gohacks-sample.wal"), tmp.resolve("gohacks.wal"));
        Path wally = Files.copy(FIXTURES.resolve("wally-sample.wally"), tmp.resolve("wally.wally"));
        assertEquals(0, inspectAll(gohacks).code);
        assertEquals(0, inspectAll(wally).code);
        assertTrue(run("stat", gohacks.toString()).out.contains("format         gohacks wal"));
        assertTrue(run("stat", gohacks.toString()).out.contains("records        64"));
        assertTrue(run("stat", wally.toString()).out.contains("format         go-wally (README format)"));
        assertTrue(run("stat", wally.toString()).out.contains("records        55"));
        assertEquals(64, run("dump", gohacks.toString()).lines().size());
        assertEquals(List.of("index=1 length=0 crc=0x00000000 value=\"\""), run("dump", "--to", "1", wally.toString()).lines());

        for (Path original : List.of(gohacks, wally)) {
            Path torn = tmp.resolve("torn-" + original.getFileName());
            Files.copy(original, torn, StandardCopyOption.REPLACE_EXISTING);
            try (RandomAccessFile f = new RandomAccessFile(torn.toFile(), "rw")) {
                f.setLength(f.length() - 7);
            }
            Run verify = inspectAll(torn);
            assertEquals(1, verify.code, verify.out);
            assertTrue(verify.out.contains("torn tail at offset"), verify.out);

            Path damaged = tmp.resolve("damaged-" + original.getFileName());
            Files.copy(original, damaged, StandardCopyOption.REPLACE_EXISTING);
            try (RandomAccessFile f = new RandomAccessFile(damaged.toFile(), "rw")) {
                long at = f.length() / 2;
                f.seek(at);
                int b = f.read();
                f.seek(at);
                f.write(b ^ 1);
            }
            Run v = inspectAll(damaged);
            assertEquals(1, v.code, v.out); // neither format can tell damage from a torn write: an open cuts there
            assertTrue(v.out.contains("may be damage as well as a torn write"), v.out);
        }
    }

    @Test
    void whatIsNoLogGetsOneLineAndExitCodeTwo() throws Exception {
        Path random = tmp.resolve("random.bin");
        byte[] bytes = new byte[8192];
        new Random(7).nextBytes(bytes);
        Files.write(random, bytes);
        Path others = Files.createDirectories(tmp.resolve("others"));
        Files.writeString(others.resolve("notes.txt"), "hello");
        Path shortHeader = Files.createDirectories(tmp.resolve("short"));
        byte[] head = new byte[100];
        java.nio.ByteBuffer.wrap(head).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(JournalFormat.MAGIC);
        Files.write(shortHeader.resolve("00000000000000000001.wal4j"), head);
        Path link = tmp.resolve("link");
        Files.createSymbolicLink(link, journal(SyncMode.NONE, 3));
        Path empty = Files.createFile(tmp.resolve("empty.wal"));
        Path renamed = Files.copy(lastSegment(journal(SyncMode.ALWAYS, 2)), tmp.resolve("backup.seg"));
        Map<Path, String> expected = Map.of(
                tmp.resolve("missing"), "no such file or directory: ",
                random, "is not a log this tool reads",
                others, "is not a wal4j journal: no segment files",
                shortHeader, "wal4j: ",
                link, "is a symbolic link",
                empty, "is empty",
                renamed, "has a wal4j segment header but is not one of the segments of");
        for (Map.Entry<Path, String> e : expected.entrySet()) {
            for (String command : List.of("stat", "verify", "dump")) {
                Run r = run(command, e.getKey().toString());
                if (e.getKey().equals(shortHeader) && !command.equals("dump")) {
                    // a header of ours cut short is damage: verify reports it as its result, stat
                    // shows what it can and what an open would do
                    assertEquals(command.equals("verify") ? 2 : 0, r.code, r.out + r.err);
                    assertTrue(r.out.contains(command.equals("verify") ? "corruption" : "openWould      refuse it: "), r.out);
                    continue;
                }
                assertEquals(2, r.code, command + " " + e.getKey() + ": " + r.out + r.err);
                assertEquals(1, r.err.lines().count(), command + " " + e.getKey() + ": " + r.err);
                assertTrue(r.err.startsWith("wal4j: ") && r.err.contains(e.getValue()), command + " " + e.getKey() + ": " + r.err);
                assertFalse(r.err.contains("\tat "), r.err);
            }
        }
    }

    @Test
    void aJournalBeingWrittenShowsAConsistentPrefix() throws Exception {
        Path dir = tmp.resolve("live");
        AtomicBoolean stop = new AtomicBoolean();
        try (Journal j = Journal.open(dir, JournalOptions.builder().syncPolicy(SyncMode.NONE).segmentBytes(1 << 20).maxValueBytes(4096).build())) {
            for (long lsn = 1; lsn <= 100; lsn++) {
                j.append(value(lsn));
            }
            j.sync();
            Thread writer = Thread.ofPlatform().start(() -> {
                try {
                    for (long lsn = 101; !stop.get() && lsn <= 50_000; lsn++) {
                        j.append(value(lsn));
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            try {
                for (int round = 0; round < 5; round++) {
                    Run verify = run("verify", dir.toString());
                    assertTrue(verify.code == 0 || verify.code == 1, verify.out + verify.err); // a frame being written is a torn tail
                    Run dump = run("dump", "--format", "json", dir.toString());
                    assertEquals(0, dump.code, dump.err);
                    List<String> lines = dump.lines();
                    assertTrue(lines.size() >= 100, "records: " + lines.size());
                    for (int i = 0; i < lines.size(); i++) {
                        assertTrue(lines.get(i).startsWith("{\"lsn\": " + (i + 1) + ","), lines.get(i));
                        assertTrue(lines.get(i).contains("\"value\": \"order " + (i + 1) + "\""), lines.get(i));
                    }
                }
            } finally {
                stop.set(true);
                writer.join();
            }
        }
    }

    /** The active segment's end of frames, as inspect reads it. */
    private static final class JournalInspectionHolder implements AutoCloseable {
        final org.wal4j.JournalInspection in;

        JournalInspectionHolder(Path dir) throws IOException {
            in = Journal.inspect(dir);
        }

        long lastEnd() {
            return in.segments().getLast().endOffset();
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}

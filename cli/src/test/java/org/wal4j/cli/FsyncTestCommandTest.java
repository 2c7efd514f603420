package org.wal4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.w3c.dom.Document;
import org.wal4j.io.CReferenceLoop;
import org.wal4j.io.PosixIo;
import picocli.CommandLine;

class FsyncTestCommandTest {

    private record Run(int exitCode, String out, String err) {}

    /** A measuring run on {@code dir}: one round, no warm-up, files of 1 MiB, then {@code more}. */
    private static Run shortRun(Path dir, String seconds, String sizes, String... more) {
        List<String> args = new ArrayList<>(List.of("fsync-test", "--dir", dir.toString(), "--seconds", seconds,
                "--rounds", "1", "--warmup", "0", "--sizes", sizes, "--file-size", "1m"));
        args.addAll(List.of(more));
        return run(args.toArray(String[]::new));
    }

    private static Run run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            CommandLine cl = Wal4jCommand.commandLine();
            cl.setErr(new PrintWriter(System.err, true));
            int code = cl.execute(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void shortRunMeasuresEveryAvailablePathAndWritesJson(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("out.json");
        Run r = shortRun(dir, "0.05", "4k", "--methods", "fdatasync,rwf-dsync,mmap", "--states", "zeroed,fallocated",
                "--json", json.toString());
        assertEquals(0, r.exitCode(), r.out() + r.err());
        assertTrue(r.out().contains("kernel:"), r.out());
        assertTrue(r.out().contains("filesystem:"), r.out());
        assertTrue(r.out().contains("io backend:"), r.out());
        // 2 states x 3 methods x 1 size = 6 tests announced as [i/6]
        assertTrue(r.out().contains("[6/6]"), r.out());

        String text = Files.readString(json);
        int okResults = count(text, "\"status\": \"ok\", \"ops\": ");
        // With native access: fdatasync on ffm, java, c; rwf-dsync on ffm, c; mmap on java, c; in 2 states.
        // Without: only java runs, and only in the zeroed state (a fallocated file needs fallocate: PosixIo).
        boolean nativeAccess = PosixIo.isAvailable() && CReferenceLoop.isAvailable();
        assertEquals(nativeAccess ? 14 : 2, okResults, text);
        if (!nativeAccess) {
            assertTrue(text.contains("not supported: fallocate needs PosixIo"), text);
        }
        Matcher ops = Pattern.compile("\"ops\": (\\d+)").matcher(text);
        int withOps = 0;
        while (ops.find()) {
            assertTrue(Long.parseLong(ops.group(1)) > 0, text);
            withOps++;
        }
        assertEquals(okResults, withOps, text);
        assertFalse(Files.list(dir).anyMatch(p -> p.getFileName().toString().startsWith("fsync-test-")),
                "test files are deleted afterwards");
        // the verdict: one per size, on the journal's path, with the paths compared where the C loop ran
        assertTrue(r.out().contains("\nverdict:\n  4 KiB: fastest durable write on the " + (nativeAccess ? "ffm" : "java")
                + " path: "), r.out());
        assertTrue(r.out().contains("    suggests: "), r.out());
        assertTrue(r.out().contains(nativeAccess ? "    paths: p50 over the C loop's " : "the C loop did not run"), r.out());
        assertTrue(text.contains("\"verdict\": [\n    {\"sizeBytes\": 4096, \"path\": \"" + (nativeAccess ? "ffm" : "java") + "\""),
                text);
    }

    @Test
    void theVerdictNamesTheBaselineRatioWhenTheNaiveAppendRan(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("out.json");
        Run r = shortRun(dir, "0.05", "4k", "--methods", "fdatasync", "--states", "append,zeroed",
                "--json", json.toString());
        assertEquals(0, r.exitCode(), r.out() + r.err());
        assertTrue(r.out().contains("x the naive FileChannel append + force(false) ("), r.out());
        assertTrue(Files.readString(json).contains("\"ratioToBaseline\": "), Files.readString(json));
    }

    @Test
    void twoThreadsEachWriteAFileOfTheirOwnAndAreReported(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("out.json");
        // 0.2 s, not 0.05: the second thread must get to write on a loaded machine
        Run r = shortRun(dir, "0.2", "4k", "--methods", "fdatasync", "--states", "zeroed",
                "--threads", "2", "--keep-files", "--json", json.toString());
        assertEquals(0, r.exitCode(), r.out() + r.err());
        assertTrue(r.out().contains("2 threads each on a file of its own"), r.out());
        assertTrue(r.out().contains("[1/1] write+fdatasync, 4 KiB, zeroed file, 2 threads\n"), r.out());
        assertTrue(r.out().contains("zeroed file, 2 threads: "), r.out()); // the verdict

        String text = Files.readString(json);
        assertTrue(text.contains("\"rounds\": 1, \"threads\": 2, "), text);
        int okResults = count(text, "\"status\": \"ok\", \"ops\": ");
        assertEquals(PosixIo.isAvailable() && CReferenceLoop.isAvailable() ? 3 : 1, okResults, text);
        assertEquals(okResults, count(text, "\"threads\": 2, \"status\": \"ok\""), text);
        // the second thread wrote its own file: random data over the zeros
        byte[] head = Arrays.copyOf(Files.readAllBytes(dir.resolve("fsync-test-zeroed-java-1.dat")), 4096);
        assertFalse(Arrays.equals(head, new byte[4096]), "thread 1's file holds no write");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-1", "1025", "100000"})
    void badThreadCountIsRejectedWithTheValue(String value, @TempDir Path dir) {
        Run r = run("fsync-test", "--dir", dir.toString(), "--threads", value);
        assertEquals(2, r.exitCode(), r.out() + r.err());
        assertTrue(r.err().contains("--threads=" + value + " must be in [1, 1024]"), r.err());
        assertFalse(r.out().contains("[1/"), "no test ran: " + r.out());
    }

    @Test
    void theSecondDescriptorCheckHasASectionAndAJsonObject(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("out.json");
        Run r = shortRun(dir, "0.05", "4k", "--methods", "fdatasync", "--states", "zeroed", "--json", json.toString());
        assertEquals(0, r.exitCode(), r.out() + r.err());
        String path = PosixIo.isAvailable() ? "ffm" : "java";
        assertTrue(r.out().contains("\nsecond descriptor: 4 KiB writes on the " + path + " path, "), r.out());
        assertTrue(r.out().contains("    write, fdatasync through the writing descriptor "), r.out());
        assertTrue(r.out().contains("    write, fdatasync through a second descriptor "), r.out());
        assertTrue(r.out().contains("    second/writing p50 "), r.out());
        // the section comes before the verdict
        assertTrue(r.out().indexOf("\nsecond descriptor: ") < r.out().indexOf("\nverdict:\n"), r.out());

        String text = Files.readString(json);
        assertTrue(text.contains("\"secondDescriptor\": {\"path\": \"" + path + "\", \"method\": \"fdatasync\","
                + " \"sizeBytes\": 4096, \"fileState\": \"zeroed\", \"status\": \"ok\", \"sameDescriptorOps\": "), text);
        assertTrue(text.contains("\"secondDescriptorP50Micros\": "), text);
        assertTrue(text.contains("\"suspectBelow\": 0.333, \"honoured\": "), text);
        assertFalse(Files.list(dir).anyMatch(p -> p.getFileName().toString().startsWith("fsync-test-")),
                "the check's file is deleted afterwards");
    }

    @Test
    void aSecondDescriptorSyncFarFasterThanAWriteAndSyncIsFlagged() {
        SecondDescriptorCheck skipped = check(100_000, 5_000);
        assertFalse(skipped.honoured());
        assertTrue(skipped.text().contains("second/writing p50 0.05: under 0.33: the filesystem or device may not honour"
                + " a sync through a descriptor that did not write"), skipped.text());
        assertTrue(Json.line(skipped.json()).contains("\"ratio\": 0.05, \"suspectBelow\": 0.333, \"honoured\": false}"),
                Json.line(skipped.json()));

        SecondDescriptorCheck honoured = check(100_000, 90_000);
        assertTrue(honoured.honoured());
        assertTrue(honoured.text().contains("second/writing p50 0.90: honoured"), honoured.text());

        SecondDescriptorCheck failed = new SecondDescriptorCheck(CallPath.FFM, 4096, "failed: EIO", new Histogram(3),
                new Histogram(3));
        assertTrue(failed.text().contains("\n    failed: EIO\n"), failed.text());
        assertFalse(Json.line(failed.json()).contains("honoured"), Json.line(failed.json()));
    }

    private static SecondDescriptorCheck check(long sameNanos, long secondNanos) {
        Histogram same = new Histogram(3);
        Histogram second = new Histogram(3);
        for (int i = 0; i < 100; i++) {
            same.recordValue(sameNanos);
            second.recordValue(secondNanos);
        }
        return new SecondDescriptorCheck(CallPath.FFM, 4096, "ok", same, second);
    }

    @Test
    void theChartIsAnSvgDocument(@TempDir Path dir) throws Exception {
        Path chart = dir.resolve("latency.svg");
        Run r = shortRun(dir, "0.05", "4k", "--methods", "fdatasync,dsync", "--states", "zeroed",
                "--chart", chart.toString());
        assertEquals(0, r.exitCode(), r.out() + r.err());
        assertTrue(r.out().contains("chart written to " + chart), r.out());
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        // the DOCTYPE names the W3C's DTD: parse without fetching it
        factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        Document svg = factory.newDocumentBuilder().parse(chart.toFile());
        assertEquals("svg", svg.getDocumentElement().getTagName());
        assertEquals("520px", svg.getDocumentElement().getAttribute("height"), "one panel: one file state");
        assertTrue(svg.getElementsByTagName("path").getLength() > 0, "nothing drawn");
    }

    @Test
    void theChartIsAPngWithAPanelPerFileState(@TempDir Path dir) throws Exception {
        Path chart = dir.resolve("latency.PNG");
        Run r = shortRun(dir, "0.05", "4k", "--methods", "fdatasync", "--states", "append,zeroed",
                "--chart", chart.toString());
        assertEquals(0, r.exitCode(), r.out() + r.err());
        BufferedImage image = ImageIO.read(chart.toFile());
        assertNotNull(image, "not a PNG ImageIO can read");
        assertEquals(1100, image.getWidth());
        assertEquals(2 * 520, image.getHeight());
    }

    @Test
    void aChartPathThatCannotBeWrittenIsRejectedBeforeMeasuring(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("no-such-dir").resolve("latency.svg");
        Run r = run("fsync-test", "--dir", dir.toString(), "--seconds", "0.05", "--sizes", "4k", "--chart", missing.toString());
        assertEquals(2, r.exitCode(), r.out() + r.err());
        assertTrue(r.err().contains(missing.toString()), r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        assertEquals("", r.out(), "nothing was measured");

        Path aDirectory = Files.createDirectory(dir.resolve("named-like-a-chart.png"));
        Run directory = run("fsync-test", "--dir", dir.toString(), "--seconds", "0.05", "--sizes", "4k",
                "--chart", aDirectory.toString());
        assertEquals(2, directory.exitCode(), directory.out() + directory.err());
        assertTrue(directory.err().contains(aDirectory.toString()), directory.err());
        assertEquals("", directory.out(), "nothing was measured");
    }

    @Test
    void aChartOfAnotherFormatIsRejectedWithItsName(@TempDir Path dir) {
        Path jpeg = dir.resolve("latency.jpg");
        Run r = run("fsync-test", "--dir", dir.toString(), "--chart", jpeg.toString());
        assertEquals(2, r.exitCode(), r.out() + r.err());
        assertTrue(r.err().contains("--chart=" + jpeg + ": the extension picks the format, .svg or .png"), r.err());
        assertEquals("", r.out());
        assertFalse(Files.exists(jpeg));
    }

    @Test
    void aSizeThatIsNoMultipleOfEightIsMeasured(@TempDir Path dir) {
        Run r = shortRun(dir, "0.05", "100", "--methods", "fdatasync", "--states", "zeroed");
        assertEquals(0, r.exitCode(), r.out() + r.err());
        assertTrue(r.out().contains("[1/1] write+fdatasync, 100 B, zeroed file, 1 thread\n"), r.out());
    }

    @Test
    void unknownMethodIsRejectedWithItsName(@TempDir Path dir) {
        Run r = run("fsync-test", "--dir", dir.toString(), "--methods", "fdatasync,fsnyc");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("unknown method 'fsnyc'"), r.err());
    }

    @Test
    void missingDirectoryIsRejectedWithItsPath(@TempDir Path dir) {
        Path missing = dir.resolve("nope");
        Run r = run("fsync-test", "--dir", missing.toString(), "--seconds", "0.01");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains(missing.toString()), r.err());
    }

    @Test
    void badSizeIsRejectedWithTheText(@TempDir Path dir) {
        Run r = run("fsync-test", "--dir", dir.toString(), "--sizes", "4x");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("'4x'"), r.err());
    }

    @Test
    void byteSizesParseAndFormat() {
        assertEquals(512, ByteSize.parse("512"));
        assertEquals(4096, ByteSize.parse("4k"));
        assertEquals(65536, ByteSize.parse("64KiB"));
        assertEquals(1 << 20, ByteSize.parse("1m"));
        assertEquals("4 KiB", ByteSize.format(4096));
        assertEquals("1 MiB", ByteSize.format(1 << 20));
        assertEquals("512 B", ByteSize.format(512));
    }

    private static int count(String text, String needle) {
        int n = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }
}

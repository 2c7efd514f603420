package org.wal4j;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;
import java.util.concurrent.*;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedding example of the README ("Embedding"), run as it is written there. The lines
 * between the two {@code README example} markers must be kept identical to the README's
 * code block (indentation aside); {@link #theExampleIsTheReadmes} checks that they are.
 * Public API only.
 */
class ReadmeExampleTest {

    @Test
    void appendsAreDurableReplayedInOrderAndTruncated(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("orders");
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        PrintStream stdout = System.out;
        System.setOut(new PrintStream(printed, true, UTF_8));
        try {
            // README example: begin
            JournalOptions options = JournalOptions.defaults();                     // ALWAYS: durable on return
            try (Journal journal = Journal.open(dir, options);                      // creates dir if needed
                 ExecutorService pool = Executors.newFixedThreadPool(4)) {          // platform threads
                List<Future<Long>> lsns = new ArrayList<>();
                for (int i = 0; i < 100; i++) {
                    byte[] value = ("order " + i).getBytes(UTF_8);
                    lsns.add(pool.submit(() -> journal.append(value)));            // returns once durable
                }
                for (Future<Long> lsn : lsns) lsn.get();                            // all 100 are durable
            }
            try (Journal journal = Journal.open(dir, options)) {                    // after a restart or a crash
                System.out.println(new String(journal.read(1).value(), UTF_8));      // one record, by LSN
                journal.replay(1, r -> System.out.println(r.lsn() + ": " + new String(r.valueBytes(), UTF_8)));
                journal.truncateBack(50);                                           // keep LSNs 1..50, durably
            }
            // README example: end
        } finally {
            System.setOut(stdout);
        }

        // The reopened journal held all 100 records: replay printed LSNs 1..100 in order,
        // each value appended exactly once, and read(1) gave LSN 1's value.
        List<String> lines = printed.toString(UTF_8).lines().toList();
        assertEquals(101, lines.size(), "read(1), then one line per replayed record: " + lines);
        Set<String> values = new HashSet<>();
        for (int lsn = 1; lsn <= 100; lsn++) {
            String line = lines.get(lsn);
            String prefix = lsn + ": ";
            assertEquals(prefix, line.substring(0, Math.min(prefix.length(), line.length())), "line=" + line);
            values.add(line.substring(prefix.length()));
        }
        Set<String> appended = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            appended.add("order " + i);
        }
        assertEquals(appended, values);
        assertEquals(lines.get(1).substring("1: ".length()), lines.get(0));

        // The truncation kept LSNs 1..50, durably, and removed the rest.
        try (Journal journal = Journal.open(dir, JournalOptions.defaults())) {
            assertEquals(0, journal.recoveryReport().droppedTailBytes());
            assertEquals(1, journal.firstLsn());
            assertEquals(50, journal.lastLsn());
            assertEquals(50, journal.durableLsn());
            assertThrows(LsnNotFoundException.class, () -> journal.read(51));
            List<String> kept = new ArrayList<>();
            long count = journal.replay(1, r -> kept.add(r.lsn() + ": " + new String(r.valueBytes(), UTF_8)));
            assertEquals(50, count);
            assertEquals(lines.subList(1, 51), kept);
        }
    }

    /** The lines between the markers above are the README's example, line for line. */
    @Test
    void theExampleIsTheReadmes() throws IOException {
        Path readme = Path.of("..", "README.md");
        Path source = Path.of("src", "test", "java", "org", "wal4j", "ReadmeExampleTest.java");
        assertTrue(Files.isRegularFile(readme) && Files.isRegularFile(source),
                "run from the java/ module of a checkout: no " + readme.toAbsolutePath() + " or " + source.toAbsolutePath());
        List<String> readmeLines = Files.readAllLines(readme, UTF_8);
        int embedding = readmeLines.indexOf("## Embedding");
        int start = readmeLines.subList(embedding, readmeLines.size()).indexOf("```java") + embedding + 1;
        int end = readmeLines.subList(start, readmeLines.size()).indexOf("```") + start;
        List<String> inReadme = readmeLines.subList(start, end);

        List<String> sourceLines = Files.readAllLines(source, UTF_8);
        int from = indexOfTrimmed(sourceLines, "// README example: begin") + 1;
        int to = indexOfTrimmed(sourceLines, "// README example: end");
        int indent = sourceLines.get(from).indexOf(sourceLines.get(from).trim());
        List<String> inTest = sourceLines.subList(from, to).stream()
                .map(l -> l.length() >= indent ? l.substring(indent) : l.trim())
                .toList();
        assertEquals(inReadme, inTest);
    }

    private static int indexOfTrimmed(List<String> lines, String text) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).trim().equals(text)) {
                return i;
            }
        }
        throw new AssertionError("no line " + text);
    }
}

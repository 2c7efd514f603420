package org.wal4j.compat.wally;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The file written by the real go-wally: the port reads it, and writes the same bytes. */
class LogFixtureTest {

    @TempDir
    Path dir;

    static Stream<Options> modes() {
        return LogTest.allModes();
    }

    @ParameterizedTest
    @MethodSource("modes")
    void everyRecordOfTheGoFileReadsBackAsTheManifestSays(Options options) throws IOException {
        List<WallyFixture.Entry> manifest = WallyFixture.manifest();
        assertEquals(55, manifest.size());
        Path copy = WallyFixture.copyTo(dir);
        try (Log log = Log.open(copy, options)) {
            assertEquals(manifest.size(), log.lastIndex());
            assertEquals(0, log.droppedBytes());
            byte[] dst = new byte[1 << 17];
            for (WallyFixture.Entry e : manifest) {
                byte[] payload = log.read(e.index());
                assertEquals(e.length(), payload.length, "len of index " + e.index());
                assertEquals(e.sha256(), WallyFixture.sha256(payload, payload.length), "sha256 of index " + e.index());
            }
            for (WallyFixture.Entry e : manifest.reversed()) {
                int n = log.readInto(e.index(), dst);
                assertEquals(e.length(), n);
                assertEquals(e.sha256(), WallyFixture.sha256(dst, n), "readInto, backwards, index " + e.index());
            }
        }
        assertArrayEquals(WallyFixture.bytes(), Files.readAllBytes(copy), "opening and reading changed nothing");
    }

    /** How the payloads are handed to the port: one by one, in batches of a size, or all at once. */
    static Stream<Arguments> writings() {
        return Stream.of(0, 16, 100, 4096, 70_000).flatMap(buffer -> Stream.of(
                Arguments.of(buffer, "append", true),
                Arguments.of(buffer, "append", false),
                Arguments.of(buffer, "appendBatch-7", true),
                Arguments.of(buffer, "writeBatch-all", true),
                Arguments.of(buffer, "writeBatch-all", false),
                Arguments.of(buffer, "mixed", true)));
    }

    @ParameterizedTest(name = "bufferSize={0} {1} noSync={2}")
    @MethodSource("writings")
    void thePortWritesTheGoFileByteForByte(int bufferSize, String how, boolean noSync) throws IOException {
        List<byte[]> payloads = WallyFixture.payloads();
        Path out = dir.resolve("port.wally");
        try (Log log = Log.open(out, new Options(noSync, bufferSize, true, 4))) {
            switch (how) {
                case "append" -> {
                    for (int i = 0; i < payloads.size(); i++) {
                        assertEquals(i + 1, log.append(payloads.get(i)));
                    }
                }
                case "appendBatch-7" -> {
                    for (int i = 0; i < payloads.size(); i += 7) {
                        log.appendBatch(payloads.subList(i, Math.min(i + 7, payloads.size())).toArray(byte[][]::new));
                    }
                }
                case "writeBatch-all" -> {
                    Batch batch = new Batch();
                    payloads.forEach(batch::add);
                    assertEquals(new Range(1, payloads.size()), log.writeBatch(batch));
                }
                case "mixed" -> {
                    Batch batch = new Batch();
                    int i = 0;
                    int round = 0;
                    while (i < payloads.size()) {
                        int n = Math.min(1 + round % 5, payloads.size() - i);
                        if (round % 3 == 0) {
                            log.append(payloads.get(i));
                            n = 1;
                        } else if (round % 3 == 1) {
                            log.appendBatch(payloads.subList(i, i + n).toArray(byte[][]::new));
                        } else {
                            batch.reset();
                            IntStream.range(i, i + n).forEach(k -> batch.add(payloads.get(k)));
                            log.writeBatch(batch);
                        }
                        if (round % 4 == 0) {
                            log.sync();
                        }
                        i += n;
                        round++;
                    }
                }
                default -> throw new AssertionError(how);
            }
            assertEquals(payloads.size(), log.lastIndex());
        }
        byte[] expected = WallyFixture.bytes();
        byte[] actual = Files.readAllBytes(out);
        assertEquals(expected.length, actual.length);
        assertEquals(-1, java.util.Arrays.mismatch(expected, actual), "first differing byte");
    }

    @Test
    void truncatingTheGoFileAndAppendingTheRestGivesItBack() throws IOException {
        List<byte[]> payloads = WallyFixture.payloads();
        Path copy = WallyFixture.copyTo(dir);
        try (Log log = Log.open(copy, new Options(true, 0, true, 1))) {
            log.truncateBack(20);
            for (int i = 20; i < payloads.size(); i++) {
                log.append(payloads.get(i));
            }
        }
        assertArrayEquals(WallyFixture.bytes(), Files.readAllBytes(copy));
        try (Log log = Log.open(copy, Options.defaults())) {
            log.truncateBack(0);
            log.appendBatch(payloads.toArray(byte[][]::new));
        }
        assertArrayEquals(WallyFixture.bytes(), Files.readAllBytes(copy));
    }
}

package org.wal4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.wal4j.compat.gohacks.InvalidHeader;
import org.wal4j.compat.gohacks.InvalidLog;
import org.wal4j.compat.gohacks.Policy;
import org.wal4j.compat.gohacks.WriteAheadLog;
import org.wal4j.compat.wally.InvalidLogException;
import org.wal4j.compat.wally.Log;
import org.wal4j.compat.wally.Options;
import org.wal4j.format.FormatException;
import org.wal4j.format.FrameDecoder;
import org.wal4j.format.JournalFormat;

/**
 * Fuzz tests (Jazzer): recovery, replay and the format decoders on arbitrary bytes never
 * throw an unexpected exception, never allocate from a huge length field, never loop
 * forever; they give a valid prefix or a clear corruption error, and a port that refuses a
 * file leaves it as it was. Under {@code make test} each target runs its corpus
 * ({@code src/test/resources/org/wal4j/RecoveryFuzzTestInputs/}, seeded by {@link FuzzCorpus}
 * and grown by fuzzing runs) as regression tests; {@code make fuzz} fuzzes (see docs/test-suite.md, "Long runs").
 */
@org.junit.jupiter.api.extension.ExtendWith(QuietJournalLog.class)
class RecoveryFuzzTest {
    private static final int SALT = 0x5eed5eed;
    /** The frame decoder on arbitrary bytes: a known status, a bounded frame, a reason for INVALID. */
    @FuzzTest(maxDuration = "30s")
    void frameDecoderNeverThrowsAndStaysInBounds(byte[] data) {
        MemorySegment buf = MemorySegment.ofArray(data);
        FrameDecoder d = new FrameDecoder();
        long pos = 0;
        for (int steps = 0; pos + JournalFormat.COMMON_HEADER_BYTES <= data.length && steps < 100_000; steps++) {
            int status = d.decode(buf, pos, data.length, SALT);
            switch (status) {
                case FrameDecoder.RECORD, FrameDecoder.SKIP -> {
                    assertTrue(d.frameBytes() >= JournalFormat.COMMON_HEADER_BYTES && pos + d.frameBytes() <= JournalFormat.align(data.length),
                            "frame of " + d.frameBytes() + " bytes at " + pos + " in " + data.length);
                    pos += d.frameBytes();
                }
                case FrameDecoder.INVALID -> {
                    assertTrue(d.reason() != null && !d.reason().isEmpty());
                    return;
                }
                case FrameDecoder.END, FrameDecoder.NEED_MORE -> {
                    return;
                }
                default -> throw new AssertionError("unknown status " + status);
            }
        }
    }

    /** The header decoder: a header or a FormatException naming an offset inside the header. */
    @FuzzTest(maxDuration = "30s")
    void headerDecoderGivesAHeaderOrAFormatException(byte[] data) {
        try {
            JournalFormat.SegmentHeader h = JournalFormat.decodeHeader(MemorySegment.ofArray(data));
            assertTrue(data.length >= JournalFormat.HEADER_BLOCK_BYTES, "a header from " + data.length + " bytes: " + h);
        } catch (FormatException e) {
            assertTrue(e.offset() >= 0 && e.offset() < JournalFormat.HEADER_BLOCK_BYTES, e.getMessage());
        }
    }

    /**
     * Journal recovery of a segment with a valid header and arbitrary frames: it opens (and
     * every record it then holds replays, in increasing LSN order, and it takes an append), or
     * it refuses with a CorruptionException; a second open finds the same records.
     */
    @FuzzTest(maxDuration = "60s")
    void journalRecoveryOfArbitraryFramesGivesAValidPrefixOrCorruption(byte[] frames) throws Exception {
        Path dir = Files.createTempDirectory("wal4j-fuzz-");
        try {
            byte[] file = new byte[JournalFormat.HEADER_BLOCK_BYTES + frames.length];
            JournalFormat.encodeHeader(MemorySegment.ofArray(file),
                    new JournalFormat.SegmentHeader(1, 1, SALT, 0, 0, 0, 0, 0, 0));
            System.arraycopy(frames, 0, file, JournalFormat.HEADER_BLOCK_BYTES, frames.length);
            Files.write(dir.resolve(org.wal4j.log.SegmentFiles.name(1)), file);
            JournalOptions options = JournalOptions.builder().syncPolicy(SyncMode.NONE).segmentBytes(256 << 10).maxValueBytes(128 << 10).build();
            long records;
            try (Journal j = Journal.open(dir, options)) {
                records = replayCount(j);
                long next = j.append(new byte[] {1});
                assertTrue(next > 0);
            } catch (CorruptionException refused) {
                assertTrue(refused.getMessage() != null);
                return;
            }
            try (Journal j = Journal.open(dir, options)) {
                assertEquals(records + 1, replayCount(j), "the same records, and the one appended");
            }
        } finally {
            deleteTree(dir);
        }
    }

    private static long replayCount(Journal j) throws Exception {
        long[] last = {0};
        long n = j.replay(0, r -> {
            assertTrue(r.lsn() > last[0], "lsn " + r.lsn() + " after " + last[0]);
            last[0] = r.lsn();
        });
        return n;
    }

    /** go-wally's format: the port opens an arbitrary file (reading every record) or says it is invalid. */
    @FuzzTest(maxDuration = "30s")
    void wallyLogOpensArbitraryBytesOrSaysInvalid(byte[] data) throws Exception {
        openAsFile(data, file -> {
            try (Log log = Log.open(file, new Options(true, 0, true, 1))) {
                for (long i = 1; i <= log.lastIndex(); i++) {
                    log.read(i);
                }
            }
        });
    }

    /** gohacks' format: the port opens an arbitrary file and replays it, or says its header or log is invalid. */
    @FuzzTest(maxDuration = "30s")
    void gohacksWalOpensArbitraryBytesOrSaysInvalid(byte[] data) throws Exception {
        openAsFile(data, file -> {
            try (WriteAheadLog wal = WriteAheadLog.open(file, Policy.defaults())) {
                long[] count = {0, 0};
                long max = wal.replay(0, (lsn, ts, key, value) -> count[0]++);
                assertEquals(max, wal.replay(0, (lsn, ts, key, value) -> count[1]++), "a second replay ends alike");
                assertEquals(count[0], count[1], "a second replay delivers as many records");
            }
        });
    }

    /** Opening a file: what a port does with a file of {@code data}. */
    @FunctionalInterface
    private interface PortUse {
        void use(Path file) throws IOException;
    }

    /** Writes {@code data} to a file and lets {@code port} use it; a port that refuses it as invalid must leave it as it was. */
    private static void openAsFile(byte[] data, PortUse port) throws IOException {
        Path dir = Files.createTempDirectory("wal4j-fuzz-port-");
        try {
            Path file = dir.resolve("log");
            Files.write(file, data);
            try {
                port.use(file);
            } catch (InvalidLogException | InvalidLog | InvalidHeader refused) {
                assertTrue(refused.getMessage() != null);
                assertArrayEquals(data, Files.readAllBytes(file), "a refused file is left as it was");
            }
        } finally {
            deleteTree(dir);
        }
    }

    private static void deleteTree(Path p) throws IOException {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(q);
            }
        }
    }
}

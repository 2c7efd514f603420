package org.wal4j;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.wal4j.compat.gohacks.Policy;
import org.wal4j.compat.gohacks.WriteAheadLog;
import org.wal4j.compat.wally.Log;
import org.wal4j.compat.wally.Options;
import org.wal4j.format.FrameCrc;
import org.wal4j.format.JournalFormat;

/**
 * Writes the seed corpus of {@link RecoveryFuzzTest} under {@code <resources>/org/wal4j/RecoveryFuzzTestInputs/}:
 * valid frames, headers and files of the three formats (written by wal4j's own writers), and
 * damaged variants of them. Run once by hand: {@code java -cp <test classpath> org.wal4j.FuzzCorpus <resources dir>}.
 */
public final class FuzzCorpus {
    private static final int SALT = 0x5eed5eed;

    private FuzzCorpus() {}

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]).resolve("org/wal4j/RecoveryFuzzTestInputs");
        byte[] frames = frames();
        write(root, "frameDecoderNeverThrowsAndStaysInBounds", "records", frames);
        write(root, "frameDecoderNeverThrowsAndStaysInBounds", "huge-length", hugeLength(frames));
        write(root, "frameDecoderNeverThrowsAndStaysInBounds", "zeros", new byte[64]);
        byte[] header = new byte[JournalFormat.HEADER_BLOCK_BYTES];
        JournalFormat.encodeHeader(MemorySegment.ofArray(header), new JournalFormat.SegmentHeader(1, 1, SALT, 0, 0, 0, 0, 0, 0));
        write(root, "headerDecoderGivesAHeaderOrAFormatException", "valid", header);
        write(root, "headerDecoderGivesAHeaderOrAFormatException", "truncated", Arrays.copyOf(header, 100));
        write(root, "journalRecoveryOfArbitraryFramesGivesAValidPrefixOrCorruption", "records", frames);
        write(root, "journalRecoveryOfArbitraryFramesGivesAValidPrefixOrCorruption", "torn", Arrays.copyOf(frames, frames.length - 7));
        write(root, "journalRecoveryOfArbitraryFramesGivesAValidPrefixOrCorruption", "huge-length", hugeLength(frames));
        byte[] flipped = frames.clone();
        flipped[40] ^= 1;
        write(root, "journalRecoveryOfArbitraryFramesGivesAValidPrefixOrCorruption", "flipped", flipped);

        Path tmp = Files.createTempDirectory("wal4j-corpus-");
        try (Log log = Log.open(tmp.resolve("wally"), new Options(false, 0, false, 0))) {
            for (int i = 0; i < 5; i++) {
                log.append(("wally record " + i).getBytes());
            }
        }
        byte[] wally = Files.readAllBytes(tmp.resolve("wally"));
        write(root, "wallyLogOpensArbitraryBytesOrSaysInvalid", "valid", wally);
        write(root, "wallyLogOpensArbitraryBytesOrSaysInvalid", "torn", Arrays.copyOf(wally, wally.length - 3));
        write(root, "wallyLogOpensArbitraryBytesOrSaysInvalid", "huge-length", hugeLength(wally));
        try (WriteAheadLog wal = WriteAheadLog.open(tmp.resolve("gohacks"), Policy.defaults())) {
            for (int i = 1; i <= 5; i++) {
                wal.append(i, 1_700_000_000L + i, ("key" + i).getBytes(), ("value " + i).getBytes());
            }
        }
        byte[] gohacks = Files.readAllBytes(tmp.resolve("gohacks"));
        write(root, "gohacksWalOpensArbitraryBytesOrSaysInvalid", "valid", gohacks);
        write(root, "gohacksWalOpensArbitraryBytesOrSaysInvalid", "torn", Arrays.copyOf(gohacks, gohacks.length - 3));
        write(root, "gohacksWalOpensArbitraryBytesOrSaysInvalid", "huge-length", hugeLength(gohacks));
        try (var s = Files.list(tmp)) {
            for (Path p : s.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(tmp);
    }

    /** Three records, a padding frame and a DURABLE_MARK, as a segment holds them after its header. */
    private static byte[] frames() {
        MemorySegment buf = MemorySegment.ofArray(new byte[1024]);
        long pos = 0;
        for (int i = 1; i <= 3; i++) {
            pos += JournalFormat.encodeRecord(buf, pos, SALT, i, 1000 + i, MemorySegment.ofArray(("k" + i).getBytes()),
                    MemorySegment.ofArray(("value " + i).getBytes()));
        }
        JournalFormat.encodePadding(buf, pos, 32, SALT);
        pos += 32;
        pos += JournalFormat.encodeDurableMark(buf, pos, SALT, 1, new FrameCrc());
        return buf.asSlice(0, pos).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
    }

    /** The same bytes with the first length field at its largest. */
    private static byte[] hugeLength(byte[] b) {
        byte[] c = b.clone();
        for (int i = 4; i < 8 && i < c.length; i++) {
            c[i] = (byte) 0xff;
        }
        return c;
    }

    private static void write(Path root, String method, String name, byte[] bytes) throws Exception {
        Path dir = Files.createDirectories(root.resolve(method));
        Files.write(dir.resolve(name), bytes);
    }
}

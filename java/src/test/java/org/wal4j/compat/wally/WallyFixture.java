package org.wal4j.compat.wally;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.wal4j.format.WallyFormat;

/**
 * The file go-wally wrote ({@code wally-sample.wally}, a {@link org.wal4j.io.Fixtures fixture})
 * and its manifest. Never written to: tests copy it.
 */
final class WallyFixture {
    static final String NAME = "wally-sample.wally";

    /** One manifest entry. */
    record Entry(long index, int length, String sha256) {}

    private WallyFixture() {}

    static Path file() {
        return org.wal4j.io.Fixtures.file(NAME);
    }

    static byte[] bytes() throws IOException {
        return Files.readAllBytes(file());
    }

    /** A writable copy in {@code dir}. */
    static Path copyTo(Path dir) throws IOException {
        Path copy = dir.resolve("copy-" + NAME);
        Files.write(copy, bytes());
        return copy;
    }

    static List<Entry> manifest() throws IOException {
        String text = Files.readString(file().resolveSibling(NAME + ".json"));
        Pattern entry = Pattern.compile("\\{[^}]*?\"index\"\\s*:\\s*(\\d+)[^}]*?\"len\"\\s*:\\s*(\\d+)"
                + "[^}]*?\"sha256\"\\s*:\\s*\"([0-9a-f]{64})\"[^}]*}");
        Matcher m = entry.matcher(text);
        List<Entry> out = new ArrayList<>();
        while (m.find()) {
            out.add(new Entry(Long.parseLong(m.group(1)), Integer.parseInt(m.group(2)), m.group(3)));
            assertEquals(out.size(), out.getLast().index(), "manifest indexes are 1, 2, ...");
        }
        return out;
    }

    /** The payloads, parsed from the fixture with WallyFormat alone (not through Log). */
    static List<byte[]> payloads() throws IOException {
        MemorySegment all = MemorySegment.ofArray(bytes());
        List<byte[]> out = new ArrayList<>();
        for (long offset = 0; offset < all.byteSize(); ) {
            long length = WallyFormat.payloadLength(all, offset);
            out.add(all.asSlice(WallyFormat.payloadOffset(offset), length).toArray(ValueLayout.JAVA_BYTE));
            offset += WallyFormat.recordLength(length);
        }
        return out;
    }

    static String sha256(byte[] data, int length) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(data, 0, length);
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}

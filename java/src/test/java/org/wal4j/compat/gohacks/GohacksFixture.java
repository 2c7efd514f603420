package org.wal4j.compat.gohacks;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code gohacks-sample.wal}, written by the real Go library, and its JSON manifest (a
 * {@link org.wal4j.io.Fixtures fixture}).
 */
final class GohacksFixture {
    static final String WAL = "gohacks-sample.wal";

    /** One manifest entry. */
    record Entry(long lsn, long ts, String keyHex, long valueLength, String valueSha256) {}

    private static final Pattern ENTRY = Pattern.compile(
            "\\{\\s*\"lsn\":\\s*(\\d+),\\s*\"ts\":\\s*(\\d+),\\s*\"key_hex\":\\s*\"([0-9a-f]*)\","
                    + "\\s*\"value_len\":\\s*(\\d+),\\s*\"value_sha256\":\\s*\"([0-9a-f]{64})\"\\s*}");

    private GohacksFixture() {}

    static Path dir() {
        return org.wal4j.io.Fixtures.dir();
    }

    static Path wal() {
        return dir().resolve(WAL);
    }

    static List<Entry> manifest() throws IOException {
        String json = Files.readString(dir().resolve(WAL + ".json"), StandardCharsets.UTF_8);
        List<Entry> entries = new ArrayList<>();
        Matcher m = ENTRY.matcher(json);
        while (m.find()) {
            entries.add(new Entry(Long.parseUnsignedLong(m.group(1)), Long.parseLong(m.group(2)), m.group(3),
                    Long.parseLong(m.group(4)), m.group(5)));
        }
        long objects = json.chars().filter(c -> c == '{').count();
        if (objects != entries.size()) {
            fail("manifest has " + objects + " objects but " + entries.size() + " parsed: its shape changed");
        }
        return entries;
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}

package org.wal4j.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.wal4j.format.WallyFormat.Verdict;

class WallyFormatTest {

    private static MemorySegment buffer(int size) {
        return MemorySegment.ofArray(new byte[size]);
    }

    private static MemorySegment bytes(String s) {
        return MemorySegment.ofArray(s.getBytes(StandardCharsets.UTF_8));
    }

    private static void poke(MemorySegment buf, long offset, int xor) {
        buf.set(ValueLayout.JAVA_BYTE, offset, (byte) (buf.get(ValueLayout.JAVA_BYTE, offset) ^ xor));
    }

    @Test
    void encodeWritesTheSeedsLayoutByteForByte() {
        MemorySegment buf = buffer(32);
        long length = WallyFormat.encode(buf, 0, bytes("hello"));
        assertEquals(21, length);
        CRC32 crc = new CRC32();
        crc.update("hello".getBytes(StandardCharsets.UTF_8));
        assertEquals(0x3610a686L, crc.getValue());
        byte[] expected = {
            5, 0, 0, 0, 0, 0, 0, 0,                     // length u64 LE
            (byte) 0x86, (byte) 0xa6, 0x10, 0x36,       // CRC32 IEEE LE
            0, 0, 0, 0,                                 // reserved
            'h', 'e', 'l', 'l', 'o'};
        assertArrayEquals(expected, buf.asSlice(0, 21).toArray(ValueLayout.JAVA_BYTE));
    }

    @Test
    void layoutConstantsMatchTheDiagram() {
        assertEquals(0, WallyFormat.LENGTH_OFFSET);
        assertEquals(8, WallyFormat.CRC_OFFSET);
        assertEquals(12, WallyFormat.RESERVED_OFFSET);
        assertEquals(16, WallyFormat.PAYLOAD_OFFSET);
        assertEquals(16, WallyFormat.HEADER_LENGTH);
        assertEquals(WallyFormat.HEADER_LENGTH,
                WallyFormat.LENGTH_LENGTH + WallyFormat.CRC_LENGTH + WallyFormat.RESERVED_LENGTH);
        assertEquals(116, WallyFormat.payloadOffset(100));
        assertEquals(26, WallyFormat.recordLength(10));
    }

    @Test
    void emptyPayloadIsSixteenZeroBytesAndValid() {
        MemorySegment buf = buffer(16);
        buf.fill((byte) 0x55);
        assertEquals(16, WallyFormat.encode(buf, 0, MemorySegment.ofArray(new byte[0])));
        assertArrayEquals(new byte[16], buf.toArray(ValueLayout.JAVA_BYTE));
        assertEquals(Verdict.VALID, WallyFormat.check(buf, 0, 16));
    }

    @Test
    void recordsRoundTripAtAnyOffset() {
        MemorySegment buf = buffer(100);
        long a = WallyFormat.encode(buf, 3, bytes("abc"));
        long b = WallyFormat.encode(buf, 3 + a, bytes("defgh"));
        assertEquals(Verdict.VALID, WallyFormat.check(buf, 3, a + b));
        assertEquals(3, WallyFormat.payloadLength(buf, 3));
        assertEquals(Verdict.VALID, WallyFormat.check(buf, 3 + a, b));
        assertEquals(5, WallyFormat.payloadLength(buf, 3 + a));
        assertEquals("defgh", new String(buf.asSlice(WallyFormat.payloadOffset(3 + a), 5)
                .toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8));
    }

    @Test
    void encodeRefusesARecordThatDoesNotFit() {
        MemorySegment buf = buffer(20);
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                () -> WallyFormat.encode(buf, 0, bytes("hello")));
        assertEquals("record does not fit: recordOffset=0 recordLength=21 capacity=20", e.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> WallyFormat.encode(buf, 10, bytes("")));
        assertThrows(IndexOutOfBoundsException.class, () -> WallyFormat.encode(buf, -1, bytes("")));
    }

    @Test
    void shortHeader() {
        MemorySegment buf = buffer(32);
        WallyFormat.encode(buf, 0, bytes("x"));
        assertEquals(Verdict.SHORT_HEADER, WallyFormat.checkHeader(buf, 0, 15));
        assertEquals(Verdict.SHORT_HEADER, WallyFormat.checkHeader(buf, 0, 0));
    }

    @Test
    void lengthBeyondTheEnd() {
        MemorySegment buf = buffer(32);
        WallyFormat.encode(buf, 0, bytes("hello"));
        assertEquals(Verdict.LENGTH_BEYOND_END, WallyFormat.checkHeader(buf, 0, 20)); // one payload byte missing
        assertEquals(Verdict.VALID, WallyFormat.checkHeader(buf, 0, 21));
    }

    @Test
    void hugeLengthIsBeyondTheEndNotAnOverflow() {
        MemorySegment buf = buffer(32);
        WallyFormat.encode(buf, 0, bytes("hello"));
        buf.set(WallyFormat.U64, WallyFormat.LENGTH_OFFSET, -1L); // 2^64 - 1
        assertEquals(Verdict.LENGTH_BEYOND_END, WallyFormat.checkHeader(buf, 0, 32));
        buf.set(WallyFormat.U64, WallyFormat.LENGTH_OFFSET, Long.MIN_VALUE); // 2^63
        assertEquals(Verdict.LENGTH_BEYOND_END, WallyFormat.checkHeader(buf, 0, Long.MAX_VALUE));
        buf.set(WallyFormat.U64, WallyFormat.LENGTH_OFFSET, Long.MAX_VALUE);
        assertEquals(Verdict.LENGTH_BEYOND_END, WallyFormat.checkHeader(buf, 0, 1L << 40));
    }

    @Test
    void reservedNotZero() {
        MemorySegment buf = buffer(32);
        WallyFormat.encode(buf, 0, bytes("hello"));
        poke(buf, WallyFormat.RESERVED_OFFSET + 3, 0x80);
        assertEquals(Verdict.RESERVED_NOT_ZERO, WallyFormat.checkHeader(buf, 0, 21));
        assertEquals(0x80000000, WallyFormat.reserved(buf, 0));
    }

    @Test
    void checksumMismatchInThePayload() {
        MemorySegment buf = buffer(32);
        WallyFormat.encode(buf, 0, bytes("hello"));
        poke(buf, WallyFormat.PAYLOAD_OFFSET + 4, 0x01);
        assertEquals(Verdict.VALID, WallyFormat.checkHeader(buf, 0, 21));
        assertEquals(Verdict.CHECKSUM_MISMATCH, WallyFormat.checkPayload(buf, 0));
        assertEquals(Verdict.CHECKSUM_MISMATCH, WallyFormat.check(buf, 0, 21));
    }

    @Test
    void checksumMismatchInTheStoredCrc() {
        MemorySegment buf = buffer(32);
        WallyFormat.encode(buf, 0, bytes("hello"));
        poke(buf, WallyFormat.CRC_OFFSET, 0x10);
        assertEquals(Verdict.CHECKSUM_MISMATCH, WallyFormat.check(buf, 0, 21));
    }

    @Test
    void verdictsDescribeThemselves() {
        for (Verdict v : Verdict.values()) {
            assertNotNull(v.description());
        }
        assertEquals("payload CRC32 mismatch", Verdict.CHECKSUM_MISMATCH.description());
    }

    // ---- the fixture written by go-wally ----

    private static Path fixture(String name) {
        return org.wal4j.io.Fixtures.file(name);
    }

    /** (len, sha256) per record, in index order, from the manifest. */
    static List<String[]> manifest(Path json) throws IOException {
        String text = Files.readString(json);
        Pattern entry = Pattern.compile("\\{[^}]*?\"index\"\\s*:\\s*(\\d+)[^}]*?\"len\"\\s*:\\s*(\\d+)[^}]*?\"sha256\"\\s*:\\s*\"([0-9a-f]{64})\"[^}]*}");
        Matcher m = entry.matcher(text);
        List<String[]> out = new ArrayList<>();
        while (m.find()) {
            assertEquals(out.size() + 1, Integer.parseInt(m.group(1)), "manifest indexes are 1, 2, ...");
            out.add(new String[] {m.group(2), m.group(3)});
        }
        return out;
    }

    @Test
    void fixtureWrittenByGoWallyDecodesRecordByRecord() throws IOException, NoSuchAlgorithmException {
        Path file = fixture("wally-sample.wally");
        List<String[]> expected = manifest(file.resolveSibling("wally-sample.wally.json"));
        MemorySegment all = MemorySegment.ofArray(Files.readAllBytes(file));
        long size = all.byteSize();
        long offset = 0;
        int records = 0;
        while (offset < size) {
            assertEquals(Verdict.VALID, WallyFormat.check(all, offset, size - offset), "record at offset=" + offset);
            long length = WallyFormat.payloadLength(all, offset);
            String[] want = expected.get(records);
            assertEquals(Long.parseLong(want[0]), length, "len of index " + (records + 1));
            byte[] payload = all.asSlice(WallyFormat.payloadOffset(offset), length).toArray(ValueLayout.JAVA_BYTE);
            assertEquals(want[1], HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(payload)),
                    "sha256 of index " + (records + 1));
            // re-encoding the payload gives back the same bytes
            MemorySegment again = buffer((int) WallyFormat.recordLength(length));
            WallyFormat.encode(again, 0, MemorySegment.ofArray(payload));
            assertEquals(-1, all.asSlice(offset, again.byteSize()).mismatch(again), "re-encoded index " + (records + 1));
            offset += WallyFormat.recordLength(length);
            records++;
        }
        assertEquals(size, offset, "the last record ends at the end of the file");
        assertEquals(expected.size(), records);
    }
}

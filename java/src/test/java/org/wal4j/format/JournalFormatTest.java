package org.wal4j.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class JournalFormatTest {
    private static final int SALT = 0x5eed1234;
    private final Arena arena = Arena.ofConfined();
    private final FrameDecoder decoder = new FrameDecoder();

    @AfterEach
    void close() {
        arena.close();
    }

    private MemorySegment bytes(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return MemorySegment.ofArray(b);
    }

    private MemorySegment buffer(long size) {
        return arena.allocate(size, 8); // zeroed
    }

    private long encode(MemorySegment buf, long offset, long lsn, String key, String value) {
        return JournalFormat.encodeRecord(buf, offset, SALT, lsn, 1_700_000_000L + lsn, bytes(key), bytes(value));
    }

    private static void poke(MemorySegment buf, long offset, int xor) {
        buf.set(ValueLayout.JAVA_BYTE, offset, (byte) (buf.get(ValueLayout.JAVA_BYTE, offset) ^ xor));
    }

    @Test
    void recordRoundTripsWithEveryField() {
        MemorySegment buf = buffer(256);
        long size = encode(buf, 0, 42, "key", "value!");
        assertEquals(JournalFormat.align(32 + 3 + 6), size);
        assertEquals(FrameDecoder.RECORD, decoder.decode(buf, 0, buf.byteSize(), SALT));
        assertEquals(42, decoder.lsn());
        assertEquals(1_700_000_042L, decoder.timestamp());
        assertEquals(size, decoder.frameBytes());
        assertArrayEquals("key".getBytes(), buf.asSlice(decoder.keyOffset(), decoder.keyLength()).toArray(ValueLayout.JAVA_BYTE));
        assertArrayEquals("value!".getBytes(), buf.asSlice(decoder.valueOffset(), decoder.valueLength()).toArray(ValueLayout.JAVA_BYTE));
        assertNull(decoder.reason());
    }

    @Test
    void framesAreEightByteAlignedAndFollowEachOther() {
        MemorySegment buf = buffer(512);
        long a = encode(buf, 0, 1, "", "x");
        long b = encode(buf, a, 2, "k", "");
        assertEquals(0, a % 8);
        assertEquals(0, b % 8);
        assertEquals(FrameDecoder.RECORD, decoder.decode(buf, a, buf.byteSize(), SALT));
        assertEquals(2, decoder.lsn());
        assertEquals(0, decoder.valueLength());
        assertEquals(FrameDecoder.END, decoder.decode(buf, a + b, buf.byteSize(), SALT));
    }

    @Test
    void zeroedSpaceReadsAsEnd() {
        assertEquals(FrameDecoder.END, decoder.decode(buffer(64), 0, 64, SALT));
    }

    @Test
    void flippedValueByteIsInvalidWithCrcReason() {
        MemorySegment buf = buffer(256);
        encode(buf, 0, 7, "key", "value");
        poke(buf, 32 + 3 + 1, 0x01);
        assertEquals(FrameDecoder.INVALID, decoder.decode(buf, 0, buf.byteSize(), SALT));
        assertTrue(decoder.reason().contains("CRC mismatch"), decoder.reason());
    }

    @Test
    void flippedLsnIsInvalid() {
        MemorySegment buf = buffer(256);
        encode(buf, 0, 7, "key", "value");
        poke(buf, JournalFormat.LSN_OFFSET, 0x10);
        assertEquals(FrameDecoder.INVALID, decoder.decode(buf, 0, buf.byteSize(), SALT));
    }

    @Test
    void frameFromAnotherSegmentSaltIsInvalid() {
        MemorySegment buf = buffer(256);
        encode(buf, 0, 7, "key", "value");
        assertEquals(FrameDecoder.INVALID, decoder.decode(buf, 0, buf.byteSize(), SALT + 1));
    }

    @Test
    void frameCutShortIsNeedMore() {
        MemorySegment buf = buffer(256);
        long size = encode(buf, 0, 7, "key", "a longer value");
        assertEquals(FrameDecoder.NEED_MORE, decoder.decode(buf, 0, size - 9, SALT));
        assertEquals(FrameDecoder.NEED_MORE, decoder.decode(buf, 0, 10, SALT));
    }

    @Test
    void hugeLengthIsNeedMoreNotAnAllocation() {
        MemorySegment buf = buffer(64);
        buf.set(JournalFormat.U32, JournalFormat.CRC_OFFSET, 0x1234);
        buf.set(JournalFormat.U32, JournalFormat.LENGTH_OFFSET, -1);
        assertEquals(FrameDecoder.NEED_MORE, decoder.decode(buf, 0, 64, SALT));
        assertEquals(JournalFormat.align(0xFFFFFFFFL), decoder.frameBytes());
    }

    @Test
    void lengthBelowHeaderIsInvalid() {
        MemorySegment buf = buffer(64);
        buf.set(JournalFormat.U32, JournalFormat.CRC_OFFSET, 0x1234);
        buf.set(JournalFormat.U32, JournalFormat.LENGTH_OFFSET, 12);
        assertEquals(FrameDecoder.INVALID, decoder.decode(buf, 0, 64, SALT));
        assertTrue(decoder.reason().contains("length=12"), decoder.reason());
    }

    @Test
    void keyAndValueLengthsMustAddUp() {
        MemorySegment buf = buffer(256);
        long size = encode(buf, 0, 7, "key", "value");
        buf.set(JournalFormat.U32, JournalFormat.VALUE_LENGTH_OFFSET, 4);
        // re-sign so that only the length disagreement is wrong
        buf.set(JournalFormat.U32, 0, JournalFormat.frameCrc(buf, 0, 32 + 3 + 5, SALT));
        assertEquals(FrameDecoder.INVALID, decoder.decode(buf, 0, size, SALT));
        assertTrue(decoder.reason().contains("lengths disagree"), decoder.reason());
    }

    @Test
    void paddingIsSkippedAndUnknownSkippableTypeToo() {
        MemorySegment buf = buffer(256);
        JournalFormat.encodePadding(buf, 0, 40, SALT);
        assertEquals(FrameDecoder.SKIP, decoder.decode(buf, 0, 256, SALT));
        assertEquals(40, decoder.frameBytes());
        JournalFormat.encodePadding(buf, 40, 24, SALT);
        buf.set(ValueLayout.JAVA_BYTE, 40 + JournalFormat.TYPE_OFFSET, (byte) 0x81);
        buf.set(JournalFormat.U32, 40, JournalFormat.frameCrc(buf, 40, 24, SALT));
        assertEquals(FrameDecoder.SKIP, decoder.decode(buf, 40, 256, SALT));
    }

    @Test
    void unknownTypeWithoutSkippableBitIsInvalid() {
        MemorySegment buf = buffer(256);
        JournalFormat.encodePadding(buf, 0, 24, SALT);
        buf.set(ValueLayout.JAVA_BYTE, JournalFormat.TYPE_OFFSET, (byte) 9);
        buf.set(JournalFormat.U32, 0, JournalFormat.frameCrc(buf, 0, 24, SALT));
        assertEquals(FrameDecoder.INVALID, decoder.decode(buf, 0, 256, SALT));
        assertTrue(decoder.reason().contains("type=9"), decoder.reason());
    }

    @Test
    void badPaddingLengthIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> JournalFormat.encodePadding(buffer(64), 0, 12, SALT));
        assertThrows(IllegalArgumentException.class, () -> JournalFormat.encodePadding(buffer(64), 0, 20, SALT));
    }

    @Test
    void headerRoundTrips() throws FormatException {
        MemorySegment block = buffer(JournalFormat.HEADER_BLOCK_BYTES);
        JournalFormat.SegmentHeader h = new JournalFormat.SegmentHeader(3, 1001, SALT, 0, 2, 1000, 65536, 1234567L, 2);
        JournalFormat.encodeHeader(block, h);
        assertEquals(h, JournalFormat.decodeHeader(block));
        assertEquals("WAL4JSEG", new String(block.asSlice(0, 8).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII));
    }

    @Test
    void recycledFlagRoundTrips() throws FormatException {
        MemorySegment block = buffer(JournalFormat.HEADER_BLOCK_BYTES);
        JournalFormat.SegmentHeader h = new JournalFormat.SegmentHeader(9, 77, SALT, JournalFormat.FLAG_RECYCLED, 8, 76, 8192, 1, 8);
        JournalFormat.encodeHeader(block, h);
        JournalFormat.SegmentHeader back = JournalFormat.decodeHeader(block);
        assertEquals(h, back);
        assertTrue(back.recycled());
        assertEquals(JournalFormat.FLAG_RECYCLED, block.get(JournalFormat.U32, JournalFormat.FLAGS_OFFSET));
    }

    @Test
    void unknownHeaderFlagIsRejectedWithItsValue() {
        MemorySegment block = buffer(JournalFormat.HEADER_BLOCK_BYTES);
        JournalFormat.encodeHeader(block, new JournalFormat.SegmentHeader(1, 1, SALT, 0x10, 0, 0, 0, 0, 0));
        FormatException e = assertThrows(FormatException.class, () -> JournalFormat.decodeHeader(block));
        assertTrue(e.getMessage().contains("flags=0x10"), e.getMessage());
        assertEquals(JournalFormat.FLAGS_OFFSET, e.offset());
    }

    @Test
    void headerWithBadMagicNamesIt() {
        MemorySegment block = buffer(JournalFormat.HEADER_BLOCK_BYTES);
        block.setString(0, "WALX");
        FormatException e = assertThrows(FormatException.class, () -> JournalFormat.decodeHeader(block));
        assertTrue(e.getMessage().contains("not a wal4j segment"), e.getMessage());
    }

    @Test
    void headerWithFlippedFieldFailsCrc() {
        MemorySegment block = buffer(JournalFormat.HEADER_BLOCK_BYTES);
        JournalFormat.encodeHeader(block, new JournalFormat.SegmentHeader(1, 1, SALT, 0, 0, 0, 0, 0, 0));
        poke(block, JournalFormat.BASE_LSN_OFFSET, 0x02);
        FormatException e = assertThrows(FormatException.class, () -> JournalFormat.decodeHeader(block));
        assertTrue(e.getMessage().contains("CRC mismatch"), e.getMessage());
        assertEquals(JournalFormat.HEADER_CRC_OFFSET, e.offset());
    }

    @Test
    void truncatedHeaderSaysHowShort() {
        MemorySegment block = buffer(JournalFormat.HEADER_BLOCK_BYTES);
        JournalFormat.encodeHeader(block, new JournalFormat.SegmentHeader(1, 1, SALT, 0, 0, 0, 0, 0, 0));
        FormatException e = assertThrows(FormatException.class, () -> JournalFormat.decodeHeader(block.asSlice(0, 40)));
        assertTrue(e.getMessage().contains("fileBytes=40"), e.getMessage());
        FormatException e2 = assertThrows(FormatException.class, () -> JournalFormat.decodeHeader(block.asSlice(0, 1000)));
        assertTrue(e2.getMessage().contains("fileBytes=1000"), e2.getMessage());
    }

    @Test
    void maskIsReversibleAndZeroNeverMasksToZero() {
        for (int crc : new int[] {0, 1, -1, 0x12345678, 0xa282ead8}) {
            assertEquals(crc, Checksums.unmask(Checksums.mask(crc)));
        }
        assertTrue(Checksums.mask(0) != 0);
    }
}

package org.wal4j.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.wal4j.format.WalxFormat.HeaderState;
import static org.wal4j.format.WalxFormat.RecordState;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/** The WALX codec on in-memory buffers: round trips, and one test per way a header or record is invalid. */
class WalxFormatTest {
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    // ------------------------------------------------------------ byte-poking helpers

    /** A heap buffer holding one encoded record at {@code offset}, followed by {@code slack} spare bytes. */
    private static MemorySegment record(long offset, long lsn, long ts, byte[] key, byte[] value, int slack) {
        MemorySegment seg = MemorySegment.ofArray(new byte[(int) (offset + WalxFormat.recordLength(key.length, value.length)) + slack]);
        WalxFormat.encodeRecord(seg, offset, lsn, ts, MemorySegment.ofArray(key), MemorySegment.ofArray(value));
        return seg;
    }

    private static MemorySegment sample() {
        return record(0, 7, 1_700_000_000L, bytes("key"), bytes("value!"), 0);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    private static void pokeU32(MemorySegment seg, long offset, long value) {
        seg.set(U32, offset, (int) value);
    }

    private static void pokeU64(MemorySegment seg, long offset, long value) {
        seg.set(U64, offset, value);
    }

    private static void flipByte(MemorySegment seg, long offset) {
        seg.set(ValueLayout.JAVA_BYTE, offset, (byte) ~seg.get(ValueLayout.JAVA_BYTE, offset));
    }

    /** Recomputes the CRC of the record at 0 after its covered bytes were poked. */
    private static void reseal(MemorySegment seg) {
        long size = WalxFormat.size(seg, 0);
        pokeU32(seg, WalxFormat.SIZE_LENGTH + size - WalxFormat.CRC_LENGTH,
                WalxFormat.computeCrc(seg, 0, size - WalxFormat.CRC_LENGTH));
    }

    private static RecordState check(MemorySegment seg) {
        return WalxFormat.checkRecord(seg, 0, seg.byteSize());
    }

    // ------------------------------------------------------------ layout

    @Test
    void layoutConstantsMatchTheSpecification() {
        assertEquals(24, WalxFormat.HEADER_LENGTH);
        assertEquals(16, WalxFormat.CREATED_AT_OFFSET);
        assertEquals(4, WalxFormat.LSN_OFFSET);
        assertEquals(12, WalxFormat.TIMESTAMP_OFFSET);
        assertEquals(20, WalxFormat.KEY_LENGTH_OFFSET);
        assertEquals(24, WalxFormat.VALUE_LENGTH_OFFSET);
        assertEquals(28, WalxFormat.KEY_OFFSET);
        assertEquals(28, WalxFormat.MIN_SIZE);
        assertEquals(32, WalxFormat.RECORD_OVERHEAD);
        assertEquals(0x584C4157, WalxFormat.MAGIC);
        assertArrayEquals(bytes("WALX"), headerBytes(0), "magic reads WALX");
    }

    private static byte[] headerBytes(long createdAt) {
        MemorySegment seg = MemorySegment.ofArray(new byte[WalxFormat.HEADER_LENGTH]);
        WalxFormat.encodeHeader(seg, 0, createdAt);
        return seg.asSlice(0, 4).toArray(ValueLayout.JAVA_BYTE);
    }

    // ------------------------------------------------------------ header

    @Test
    void headerRoundTrips() {
        MemorySegment seg = MemorySegment.ofArray(new byte[30]);
        WalxFormat.encodeHeader(seg, 3, 1_749_919_882L);
        assertEquals(HeaderState.VALID, WalxFormat.checkHeader(seg, 3, 27));
        assertEquals(1_749_919_882L, WalxFormat.createdAt(seg, 3));
        assertEquals(1, WalxFormat.version(seg, 3));
        assertEquals(1, WalxFormat.features(seg, 3));
        assertEquals("57414c580100000001000000000000008aa84d6800000000",
                HexFormat.of().formatHex(seg.asSlice(3, 24).toArray(ValueLayout.JAVA_BYTE)));
    }

    @Test
    void headerShorterThan24BytesIsTooShort() {
        MemorySegment seg = MemorySegment.ofArray(new byte[24]);
        WalxFormat.encodeHeader(seg, 0, 1);
        assertEquals(HeaderState.TOO_SHORT, WalxFormat.checkHeader(seg, 0, 23));
        assertEquals(HeaderState.TOO_SHORT, WalxFormat.checkHeader(seg, 0, 0));
    }

    @Test
    void headerWithBadMagicIsRefused() {
        MemorySegment seg = MemorySegment.ofArray(new byte[24]);
        WalxFormat.encodeHeader(seg, 0, 1);
        flipByte(seg, 3);
        assertEquals(HeaderState.BAD_MAGIC, WalxFormat.checkHeader(seg, 0, 24));
    }

    @Test
    void headerWithOtherVersionIsRefused() {
        MemorySegment seg = MemorySegment.ofArray(new byte[24]);
        WalxFormat.encodeHeader(seg, 0, 1);
        pokeU32(seg, WalxFormat.VERSION_OFFSET, 2);
        assertEquals(HeaderState.BAD_VERSION, WalxFormat.checkHeader(seg, 0, 24));
        pokeU32(seg, WalxFormat.VERSION_OFFSET, 0);
        assertEquals(HeaderState.BAD_VERSION, WalxFormat.checkHeader(seg, 0, 24));
    }

    @Test
    void headerWithoutCrcOrWithUnknownFeaturesIsRefused() {
        MemorySegment seg = MemorySegment.ofArray(new byte[24]);
        WalxFormat.encodeHeader(seg, 0, 1);
        pokeU64(seg, WalxFormat.FEATURES_OFFSET, 0);
        assertEquals(HeaderState.UNSUPPORTED_FEATURES, WalxFormat.checkHeader(seg, 0, 24));
        pokeU64(seg, WalxFormat.FEATURES_OFFSET, 3);
        assertEquals(HeaderState.UNSUPPORTED_FEATURES, WalxFormat.checkHeader(seg, 0, 24));
    }

    @Test
    void headerCreatedAtAbove2To63Minus1IsRefused() {
        MemorySegment seg = MemorySegment.ofArray(new byte[24]);
        WalxFormat.encodeHeader(seg, 0, 1);
        pokeU64(seg, WalxFormat.CREATED_AT_OFFSET, Long.MIN_VALUE);
        assertEquals(HeaderState.CREATED_AT_TOO_BIG, WalxFormat.checkHeader(seg, 0, 24));
    }

    @Test
    void encodeHeaderRefusesNegativeCreatedAt() {
        MemorySegment seg = MemorySegment.ofArray(new byte[24]);
        assertThrows(IllegalArgumentException.class, () -> WalxFormat.encodeHeader(seg, 0, -1));
    }

    // ------------------------------------------------------------ records

    @Test
    void recordRoundTrips() {
        byte[] key = bytes("k1");
        byte[] value = bytes("some value");
        MemorySegment seg = record(5, 0xFFFF_FFFF_FFFF_FFFEL, Long.MAX_VALUE, key, value, 3);
        long length = WalxFormat.recordLength(key.length, value.length);
        assertEquals(32 + 2 + 10, length);
        assertEquals(RecordState.VALID, WalxFormat.checkRecord(seg, 5, seg.byteSize() - 5));
        assertEquals(28 + 2 + 10, WalxFormat.size(seg, 5));
        assertEquals(0xFFFF_FFFF_FFFF_FFFEL, WalxFormat.lsn(seg, 5));
        assertEquals(Long.MAX_VALUE, WalxFormat.timestamp(seg, 5));
        assertArrayEquals(key, WalxFormat.key(seg, 5).toArray(ValueLayout.JAVA_BYTE));
        assertArrayEquals(value, WalxFormat.value(seg, 5).toArray(ValueLayout.JAVA_BYTE));
    }

    @Test
    void emptyKeyAndValueMakeTheSmallestRecord() {
        MemorySegment seg = record(0, 1, 0, new byte[0], new byte[0], 0);
        assertEquals(32, seg.byteSize());
        assertEquals(WalxFormat.MIN_SIZE, WalxFormat.size(seg, 0));
        assertEquals(RecordState.VALID, check(seg));
    }

    @Test
    void crcCoversLsnThroughValueOnly() {
        MemorySegment seg = sample();
        long size = WalxFormat.size(seg, 0);
        CRC32C crc = new CRC32C();
        crc.update(seg.asSlice(4, size - 4).toArray(ValueLayout.JAVA_BYTE));
        assertEquals((int) crc.getValue(), WalxFormat.storedCrc(seg, 0));
    }

    @Test
    void firstRecordOfTheGohacksFixtureEncodesIdentically() {
        // The fixture's first record (offset 24): lsn 103, ts 1749919882, empty key and value.
        byte[] expected = HexFormat.of().parseHex("1c00000067000000000000008aa84d680000000000000000"
                + "00000000d3f2d7d8");
        MemorySegment seg = record(0, 103, 1_749_919_882L, new byte[0], new byte[0], 0);
        assertArrayEquals(expected, seg.toArray(ValueLayout.JAVA_BYTE));
    }

    @Test
    void fewerThanFourBytesIsAnIncompleteSizeField() {
        MemorySegment seg = sample();
        assertEquals(RecordState.INCOMPLETE_SIZE, WalxFormat.checkRecord(seg, 0, 3));
        assertEquals(RecordState.INCOMPLETE_SIZE, WalxFormat.checkRecord(seg, 0, 0));
    }

    @Test
    void sizeBelow28IsTooSmall() {
        MemorySegment seg = sample();
        pokeU32(seg, WalxFormat.SIZE_OFFSET, 27);
        assertEquals(RecordState.SIZE_TOO_SMALL, check(seg));
        pokeU32(seg, WalxFormat.SIZE_OFFSET, 0);
        assertEquals(RecordState.SIZE_TOO_SMALL, check(seg));
    }

    @Test
    void sizeBeyondTheAvailableBytesIsPastEnd() {
        MemorySegment seg = sample();
        assertEquals(RecordState.PAST_END, WalxFormat.checkRecord(seg, 0, seg.byteSize() - 1));
        pokeU32(seg, WalxFormat.SIZE_OFFSET, 0xFFFF_FFFFL);
        assertEquals(RecordState.PAST_END, check(seg));
    }

    @Test
    void keyAndValueLengthsThatDisagreeWithSizeAreALengthMismatch() {
        MemorySegment seg = sample();
        pokeU32(seg, WalxFormat.KEY_LENGTH_OFFSET, 2);
        reseal(seg);
        assertEquals(RecordState.LENGTH_MISMATCH, check(seg));
    }

    @Test
    void lengthsThatWouldOverflowU32AreALengthMismatch() {
        MemorySegment seg = sample();
        // klen + vlen wraps to the right value in 32-bit arithmetic (gohacks' check does that).
        pokeU32(seg, WalxFormat.KEY_LENGTH_OFFSET, 0xFFFF_FFFFL);
        pokeU32(seg, WalxFormat.VALUE_LENGTH_OFFSET, 3 + 6 + 1);
        reseal(seg);
        assertEquals(RecordState.LENGTH_MISMATCH, check(seg));
    }

    @Test
    void aFlippedValueByteIsACrcMismatch() {
        MemorySegment seg = sample();
        flipByte(seg, WalxFormat.KEY_OFFSET + 3 + 2);
        assertEquals(RecordState.CRC_MISMATCH, check(seg));
    }

    @Test
    void aFlippedCrcByteIsACrcMismatch() {
        MemorySegment seg = sample();
        flipByte(seg, seg.byteSize() - 1);
        assertEquals(RecordState.CRC_MISMATCH, check(seg));
    }

    @Test
    void aFlippedLsnByteIsACrcMismatch() {
        MemorySegment seg = sample();
        flipByte(seg, WalxFormat.LSN_OFFSET);
        assertEquals(RecordState.CRC_MISMATCH, check(seg));
    }

    @Test
    void timestampAbove2To63Minus1IsTooBigEvenWithAGoodCrc() {
        MemorySegment seg = sample();
        pokeU64(seg, WalxFormat.TIMESTAMP_OFFSET, -1L);
        reseal(seg);
        assertEquals(RecordState.TIMESTAMP_TOO_BIG, check(seg));
    }

    @Test
    void framingNeedsOnlyTheFirst28Bytes() {
        MemorySegment seg = sample();
        MemorySegment first28 = seg.asSlice(0, 28);
        assertEquals(RecordState.VALID, WalxFormat.checkFraming(first28, 0, seg.byteSize()));
    }

    @Test
    void encodeRefusesNegativeTimestamp() {
        MemorySegment seg = MemorySegment.ofArray(new byte[64]);
        assertThrows(IllegalArgumentException.class,
                () -> WalxFormat.encodeRecord(seg, 0, 1, -1, MemorySegment.ofArray(new byte[0]), MemorySegment.ofArray(new byte[0])));
    }
}

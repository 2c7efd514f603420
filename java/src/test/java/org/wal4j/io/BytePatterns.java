package org.wal4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Recognisable test content: every byte depends on its position and a seed. */
final class BytePatterns {
    private BytePatterns() {}

    /** The byte at {@code position} of the pattern {@code seed}; never all zero over a run. */
    static byte at(long position, int seed) {
        long x = (position + 1) * 0x9E3779B97F4A7C15L + seed * 0xC2B2AE3D27D4EB4FL;
        return (byte) (x >>> 56 ^ x >>> 23 | 1);
    }

    /** Fills {@code segment} with pattern {@code seed} (position 0 = the segment's first byte). */
    static MemorySegment fill(MemorySegment segment, int seed) {
        for (long i = 0; i < segment.byteSize(); i++) {
            segment.set(ValueLayout.JAVA_BYTE, i, at(i, seed));
        }
        return segment;
    }

    /** A heap array holding pattern {@code seed}. */
    static byte[] array(int length, int seed) {
        byte[] bytes = new byte[length];
        fill(MemorySegment.ofArray(bytes), seed);
        return bytes;
    }

    /** Asserts equal content, reporting the first differing offset. */
    static void assertSameBytes(MemorySegment expected, MemorySegment actual, String what) {
        assertEquals(expected.byteSize(), actual.byteSize(), what + ": sizes differ");
        long mismatch = expected.mismatch(actual);
        assertEquals(-1L, mismatch, () -> what + ": first differing byte at index " + mismatch);
    }

    /** Asserts that every byte of {@code segment} is zero. */
    static void assertAllZero(MemorySegment segment, String what) {
        MemorySegment zeros = MemorySegment.ofArray(new byte[(int) segment.byteSize()]);
        long mismatch = zeros.mismatch(segment);
        assertEquals(-1L, mismatch, () -> what + ": non-zero byte at index " + mismatch);
    }
}

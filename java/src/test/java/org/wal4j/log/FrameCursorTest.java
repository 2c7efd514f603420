package org.wal4j.log;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.wal4j.format.FrameCrc;
import org.wal4j.format.JournalFormat;

/** The rules every walk of valid frames shares, over an in-memory source. */
class FrameCursorTest {
    private static final int SALT = 0x5a17_0042;
    private static final long FROM = 64; // frames need not start at 0

    /** Frames back to back from {@link #FROM}: what each is, and where it starts. */
    private static final class Image {
        final MemorySegment bytes = Arena.ofAuto().allocate(1 << 20, 8);
        final List<Long> starts = new ArrayList<>();
        final List<String> kinds = new ArrayList<>();
        long end = FROM;

        Image record(long lsn, int valueBytes) {
            MemorySegment value = MemorySegment.ofArray(new byte[valueBytes]);
            value.fill((byte) lsn);
            return add("R" + lsn, JournalFormat.encodeRecord(bytes, end, SALT, lsn, 1000 + lsn,
                    MemorySegment.ofArray(new byte[] {(byte) lsn}), value));
        }

        Image padding(int length) {
            JournalFormat.encodePadding(bytes, end, length, SALT);
            return add("P", length);
        }

        Image syncMark(long syncedEnd) {
            return add("S" + syncedEnd, JournalFormat.encodeSyncMark(bytes, end, SALT, syncedEnd, new FrameCrc()));
        }

        /** A frame of an unknown type with the skippable bit: a later version's, to step over. */
        Image unknownSkippable() {
            JournalFormat.encodePadding(bytes, end, 40, SALT);
            bytes.set(ValueLayout.JAVA_BYTE, end + JournalFormat.TYPE_OFFSET, (byte) 0x9f);
            bytes.set(JournalFormat.U32, end + JournalFormat.CRC_OFFSET, JournalFormat.frameCrc(bytes, end, 40, SALT));
            return add("U", 40);
        }

        private Image add(String kind, long frameBytes) {
            starts.add(end);
            kinds.add(kind);
            end += frameBytes;
            return this;
        }
    }

    /** A source over an image that records the size of every read. */
    private static final class Source implements FrameCursor.Source {
        final MemorySegment bytes;
        final long available;
        final List<Long> reads = new ArrayList<>();

        Source(MemorySegment bytes, long available) {
            this.bytes = bytes;
            this.available = available;
        }

        @Override
        public long read(long offset, MemorySegment dst) {
            reads.add(dst.byteSize());
            long n = Math.max(0, Math.min(dst.byteSize(), available - offset));
            MemorySegment.copy(bytes, offset, dst, 0, n);
            return n;
        }
    }

    private static FrameCursor cursor(int bufferBytes) {
        return new FrameCursor(Arena.ofAuto().allocate(bufferBytes, 8));
    }

    /** Walks to the end; returns the kinds seen and checks each frame's offset. */
    private static List<String> walk(FrameCursor c, Image img, List<FrameCursor.Status> last) throws Exception {
        List<String> seen = new ArrayList<>();
        while (true) {
            FrameCursor.Status s = c.next();
            if (s != FrameCursor.Status.RECORD && s != FrameCursor.Status.SKIP) {
                last.add(s);
                return seen;
            }
            int i = seen.size();
            assertEquals(img.starts.get(i), c.frameOffset(), "frame " + i);
            if (s == FrameCursor.Status.RECORD) {
                long lsn = c.decoder().lsn();
                seen.add("R" + lsn);
                assertEquals(1000 + lsn, c.decoder().timestamp());
                byte[] value = c.buffer().asSlice(c.decoder().valueOffset(), c.decoder().valueLength()).toArray(ValueLayout.JAVA_BYTE);
                for (byte b : value) {
                    assertEquals((byte) lsn, b, "value of lsn=" + lsn);
                }
                assertEquals(c.frameOffsetInBuffer() + JournalFormat.RECORD_HEADER_BYTES + 1, c.decoder().valueOffset());
            } else {
                int type = c.decoder().type();
                seen.add(type == (JournalFormat.TYPE_SYNC_MARK & 0xFF) ? "S" + c.decoder().syncedEnd()
                        : type == JournalFormat.TYPE_PADDING ? "P" : "U");
            }
            assertEquals(img.starts.get(i) + (i + 1 < img.starts.size() ? img.starts.get(i + 1) - img.starts.get(i)
                    : img.end - img.starts.get(i)), c.position());
        }
    }

    @Test
    void walksRecordsAndSkippableFramesToTheRangeEndWithABufferSmallerThanSomeFrames() throws Exception {
        Image img = new Image().record(1, 10).padding(48).record(2, 3000).syncMark(999).unknownSkippable()
                .record(3, 0).record(4, 70_000).record(5, 5);
        for (int bufferBytes : new int[] {24, 100, 4096, 1 << 20}) {
            FrameCursor c = cursor(bufferBytes).reset(new Source(img.bytes, img.end), FROM, img.end, SALT);
            List<FrameCursor.Status> last = new ArrayList<>();
            assertEquals(img.kinds, walk(c, img, last), "buffer " + bufferBytes);
            assertEquals(FrameCursor.Status.RANGE_END, last.get(0));
            assertEquals(img.end, c.frameOffset());
            assertNull(c.reason());
        }
    }

    @Test
    void zeroedSpaceEndsTheFramesAlsoWhenShorterThanAFrameHeader() throws Exception {
        Image img = new Image().record(1, 100).record(2, 100);
        for (long zeros : new long[] {4, 8, 12, 16, 4096}) { // the bytes after the frames are zero (fresh allocation)
            FrameCursor c = cursor(4096).reset(new Source(img.bytes, img.end + zeros), FROM, img.end + zeros, SALT);
            List<FrameCursor.Status> last = new ArrayList<>();
            assertEquals(List.of("R1", "R2"), walk(c, img, last));
            assertEquals(FrameCursor.Status.END, last.get(0), zeros + " zero bytes");
            assertEquals(img.end, c.frameOffset());
        }
    }

    @Test
    void aFrameTheRangeCutsShortIsTruncatedAndNotZeroBytesAreNotAnEnd() throws Exception {
        Image img = new Image().record(1, 100).record(2, 100);
        long cut = img.starts.get(1) + 50;
        FrameCursor c = cursor(4096).reset(new Source(img.bytes, img.end), FROM, cut, SALT);
        List<FrameCursor.Status> last = new ArrayList<>();
        assertEquals(List.of("R1"), walk(c, img, last));
        assertEquals(FrameCursor.Status.TRUNCATED, last.get(0));
        assertEquals(img.starts.get(1), c.frameOffset());
        assertTrue(c.reason().contains("needs " + (img.end - img.starts.get(1)) + " bytes"), c.reason());

        // fewer bytes than a frame header, not all zero
        c.reset(new Source(img.bytes, img.end), FROM, img.starts.get(1) + 12, SALT);
        assertEquals(List.of("R1"), walk(c, img, last));
        assertEquals(FrameCursor.Status.TRUNCATED, last.get(1));
    }

    @Test
    void aLengthThatClaimsMoreThanTheRangeHoldsAllocatesNothing() throws Exception {
        Image img = new Image().record(1, 100);
        img.bytes.set(JournalFormat.U32, img.end + JournalFormat.LENGTH_OFFSET, 0x7fff_fff0); // a frame of ~2 GiB
        img.bytes.set(ValueLayout.JAVA_BYTE, img.end + JournalFormat.TYPE_OFFSET, JournalFormat.TYPE_RECORD);
        FrameCursor c = cursor(4096);
        MemorySegment buffer = c.buffer();
        c.reset(new Source(img.bytes, img.end + 8192), FROM, img.end + 8192, SALT);
        assertEquals(FrameCursor.Status.RECORD, c.next());
        assertEquals(FrameCursor.Status.TRUNCATED, c.next());
        assertEquals(img.end, c.frameOffset());
        assertSame(buffer, c.buffer());
    }

    @Test
    void aSourceThatEndsEarlyEndsTheRangeAtABoundaryOrCutsTheFrame() throws Exception {
        Image img = new Image().record(1, 100).record(2, 100).record(3, 100);
        List<FrameCursor.Status> last = new ArrayList<>();
        FrameCursor c = cursor(4096).reset(new Source(img.bytes, img.starts.get(2)), FROM, img.end, SALT);
        assertEquals(List.of("R1", "R2"), walk(c, img, last));
        assertEquals(FrameCursor.Status.RANGE_END, last.get(0));
        assertEquals(img.starts.get(2), c.frameOffset());

        c.reset(new Source(img.bytes, img.starts.get(2) + 40), FROM, img.end, SALT);
        assertEquals(List.of("R1", "R2"), walk(c, img, last));
        assertEquals(FrameCursor.Status.TRUNCATED, last.get(1));
    }

    @Test
    void damageIsInvalidAfterEveryValidFrameWasDeliveredOnceInOrder() throws Exception {
        Image img = new Image().record(1, 500).syncMark(7).record(2, 2000).record(3, 500).record(4, 500);
        long damaged = img.starts.get(3);
        img.bytes.set(ValueLayout.JAVA_BYTE, damaged + 40, (byte) 0x55); // in lsn 3's value
        ByteArrayOutputStream runs = new ByteArrayOutputStream();
        long[] next = {FROM};
        FrameCursor.Delivered delivered = (at, frames) -> {
            assertEquals(next[0], at, "runs are contiguous");
            runs.writeBytes(frames.toArray(ValueLayout.JAVA_BYTE));
            next[0] = at + frames.byteSize();
        };
        FrameCursor c = cursor(1024).reset(new Source(img.bytes, img.end), FROM, img.end, SALT, Long.MAX_VALUE, delivered);
        List<FrameCursor.Status> last = new ArrayList<>();
        assertEquals(List.of("R1", "S7", "R2"), walk(c, img, last));
        assertEquals(FrameCursor.Status.INVALID, last.get(0));
        assertEquals(damaged, c.frameOffset());
        assertTrue(c.reason().contains("CRC mismatch"), c.reason());
        assertArrayEquals(img.bytes.asSlice(FROM, damaged - FROM).toArray(ValueLayout.JAVA_BYTE), runs.toByteArray());
        // the walk is over and says so again, delivering nothing more
        assertEquals(FrameCursor.Status.INVALID, c.next());
        assertEquals(damaged - FROM, runs.size());
    }

    @Test
    void readsNoMoreThanAskedUnlessAFrameNeedsIt() throws Exception {
        Image img = new Image().record(1, 100).record(2, 8000).record(3, 100);
        Source source = new Source(img.bytes, img.end);
        FrameCursor c = cursor(1 << 20).reset(source, FROM, img.end, SALT, 256, null);
        List<FrameCursor.Status> last = new ArrayList<>();
        assertEquals(List.of("R1", "R2", "R3"), walk(c, img, last));
        for (long r : source.reads) {
            assertTrue(r <= 256 || r == img.starts.get(2) - img.starts.get(1), "read of " + r + " bytes: " + source.reads);
        }
    }

    @Test
    void aBadRangeIsRefusedWithTheValues() {
        FrameCursor c = cursor(4096);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> c.reset((o, d) -> 0, 100, 50, SALT));
        assertTrue(e.getMessage().contains("[100, 50)"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new FrameCursor(Arena.ofAuto().allocate(8)));
    }
}

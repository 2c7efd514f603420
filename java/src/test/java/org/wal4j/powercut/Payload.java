package org.wal4j.powercut;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;

/**
 * The value the writer appends as record {@code seq} of thread {@code thread} in child run
 * {@code run}: a 16-byte header naming the three (so that any record found in the journal,
 * acknowledged or not, can be checked), then bytes drawn from a generator seeded by them.
 * Mostly under a page, one in eight up to 12 KiB (spanning several blocks).
 */
record Payload(int run, int thread, int seq) {
    static final int MAGIC = 0x50435554; // "PCUT"
    static final int HEADER = 16;
    static final int MAX_BYTES = HEADER + (12 << 10);

    private long seed() {
        long h = run * 0x9E3779B97F4A7C15L;
        h = (h ^ thread) * 0xBF58476D1CE4E5B9L;
        return (h ^ seq) * 0x94D049BB133111EBL;
    }

    byte[] bytes() {
        SplittableRandom r = new SplittableRandom(seed());
        int body = r.nextInt(8) == 0 ? r.nextInt(12 << 10) : r.nextInt(3000);
        byte[] b = new byte[HEADER + body];
        ByteBuffer.wrap(b).putInt(MAGIC).putInt(run).putInt(thread).putInt(seq);
        for (int i = HEADER; i < b.length; i++) {
            b[i] = (byte) r.nextInt();
        }
        return b;
    }

    static long crc(byte[] b) {
        CRC32C c = new CRC32C();
        c.update(b);
        return c.getValue();
    }

    /** The payload {@code b} says it is, if its bytes are exactly that payload's; else null. */
    static Payload decode(byte[] b) {
        if (b.length < HEADER) {
            return null;
        }
        ByteBuffer h = ByteBuffer.wrap(b);
        if (h.getInt() != MAGIC) {
            return null;
        }
        Payload p = new Payload(h.getInt(), h.getInt(), h.getInt());
        return java.util.Arrays.equals(p.bytes(), b) ? p : null;
    }
}

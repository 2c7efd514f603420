package org.wal4j;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CountDownLatch;
import org.wal4j.format.FrameCrc;
import org.wal4j.format.JournalFormat;
import org.wal4j.io.IoBackend;
import org.wal4j.io.IoFile;
import org.wal4j.io.OpenFlag;
import org.wal4j.log.Segment;

/**
 * Puts frames into the active segment: encodes them into a staging buffer, writes what is
 * staged (under the lock, or handed to a sync round that writes it outside the lock from the
 * buffer it took while appenders fill the other one), and keeps the SYNC_MARKs that record
 * how much of the active segment is durable. With O_DIRECT, writes are whole aligned blocks
 * and the last partial block is carried to the front of staging and written again with the
 * next frames.
 *
 * <p>Guarded by the journal's lock: every field. A {@link RoundWrite} runs outside it.
 *
 * <p>Invariants: at most one write of the active segment is in flight: a round's write never
 * overlaps the next write, because whoever writes under the lock waits for it first
 * ({@link #awaitRoundWrite}), still holding the lock; the file holds, after {@link #flush},
 * every frame appended; the active segment's frames end at {@code stagingOffset +
 * stagingUsed}; a SYNC_MARK says only what a returned fdatasync covered.
 */
final class SegmentWriter {
    /** The staging buffer's alignment: the largest O_DIRECT block size supported. */
    static final int STAGING_ALIGNMENT = 4096;
    /** The staging buffers grow to hold a record up to this size; a larger one is written on its own, under the lock. */
    private static final long STAGING_GROWTH_LIMIT = 8 << 20;

    private final IoBackend io;
    private final SegmentSet segments;
    /** The block size O_DIRECT writes are aligned and padded to; 1 when writes are buffered. */
    private final int writeAlignment;
    private final FrameCrc crc = new FrameCrc();
    /** Where appenders encode frames; swapped with {@link #sealedStaging} when a round takes it. */
    private MemorySegment staging;
    /** The other staging buffer: the one a sync round writes outside the lock. */
    private MemorySegment sealedStaging;
    /** The write of the running sync round, while it may still be in flight; null otherwise. */
    private RoundWrite roundWrite;
    /** File offset, in the active segment, of {@link #staging}'s first byte. */
    private long stagingOffset;
    /** Bytes of {@link #staging} holding frames: the active segment ends at stagingOffset + stagingUsed. */
    private long stagingUsed;
    /** Bytes at the start of {@link #staging} already written (direct mode: the carried partial block). */
    private long stagingWritten;
    /** Frames of the active segment before this offset are durable (a round's fdatasync covered them); 0: none known. */
    private long activeSyncedEnd;
    /** The offset the last SYNC_MARK written in the active segment carries. */
    private long activeMarkedEnd;
    /** Counts activations: a round whose segment was cut back (and re-activated) meanwhile must not move activeSyncedEnd. */
    private long activations;

    SegmentWriter(IoBackend io, SegmentSet segments, int writeAlignment, long bufferBytes, Arena arena) {
        this.io = io;
        this.segments = segments;
        this.writeAlignment = writeAlignment;
        this.staging = arena.allocate(alignUp(bufferBytes, STAGING_ALIGNMENT), STAGING_ALIGNMENT);
        this.sealedStaging = arena.allocate(staging.byteSize(), STAGING_ALIGNMENT);
    }

    static long alignUp(long n, long alignment) {
        return (n + alignment - 1) / alignment * alignment;
    }

    boolean isDirect() {
        return writeAlignment > 1;
    }

    /** Whether frames are staged that the file does not hold yet, or a round's write may still be in flight. */
    boolean hasUnwritten() {
        return stagingUsed > stagingWritten || roundWrite != null;
    }

    /** Whether frames are staged that no write has taken yet. */
    boolean hasStaged() {
        return stagingUsed > stagingWritten;
    }

    /**
     * Makes {@code s} the active segment: opens its O_DIRECT descriptor (direct mode) and
     * points staging at its end; in direct mode the partial block there is read back so that
     * the next write rewrites it whole.
     */
    void activate(Segment s) throws IOException {
        activeSyncedEnd = 0;
        activeMarkedEnd = 0;
        activations++;
        if (writeAlignment > 1) {
            s.directWriter(io.open(s.path(), OpenFlag.WRITE, OpenFlag.DIRECT));
        }
        long end = s.endOffset();
        long keep = end % writeAlignment;
        stagingOffset = end - keep;
        stagingUsed = keep;
        stagingWritten = keep;
        if (keep > 0 && s.file().read(stagingOffset, staging.asSlice(0, keep)) != keep) {
            throw new CorruptionException(s.path(), stagingOffset, s.lastLsn(), "the block holding the last frame is shorter than "
                    + keep + " bytes (the file was cut under the journal)");
        }
    }

    /** How many times a segment was made active: a round compares it to know its segment is still the one it wrote. */
    long activations() {
        return activations;
    }

    /**
     * Lock held, a round's fdatasync returned 0: the active segment's frames before
     * {@code end} are durable, if the segment is still the one activated as {@code activation}
     * (not cut back and re-activated meanwhile).
     */
    void synced(long activation, long end) {
        if (activations == activation) {
            activeSyncedEnd = Math.max(activeSyncedEnd, end);
        }
    }

    /**
     * Encodes a record frame into the active segment {@code active} (callers have checked the
     * sizes): staged, or, if larger than staging can grow to, encoded in a buffer of its own
     * behind the carried tail block (direct mode) and written at once.
     */
    void stageRecord(Segment active, long lsn, long timestamp, MemorySegment key, MemorySegment value, long frameBytes)
            throws IOException {
        if (stagingUsed + frameBytes > staging.byteSize()) {
            flush();
        }
        if (stagingUsed + frameBytes > staging.byteSize() && stagingUsed + frameBytes <= STAGING_GROWTH_LIMIT) {
            growStaging(stagingUsed + frameBytes);
        }
        if (stagingUsed + frameBytes > staging.byteSize()) {
            try (Arena a = Arena.ofConfined()) {
                long total = stagingUsed + frameBytes;
                MemorySegment big = a.allocate(alignUp(total, writeAlignment), STAGING_ALIGNMENT);
                MemorySegment.copy(staging, 0, big, 0, stagingUsed);
                JournalFormat.encodeRecord(big, stagingUsed, active.salt(), lsn, timestamp, key, value, crc);
                writeOut(big, total);
            }
        } else {
            JournalFormat.encodeRecord(staging, stagingUsed, active.salt(), lsn, timestamp, key, value, crc);
            stagingUsed += frameBytes;
        }
    }

    /**
     * Lock held, staging flushed (so no round is writing from either buffer): replaces both
     * staging buffers with ones of at least {@code bytes}, keeping the staged bytes. So records
     * larger than {@link JournalOptions#writeBufferBytes} but within {@link #STAGING_GROWTH_LIMIT}
     * are written by sync rounds, outside the lock, like small ones; the larger buffers stay
     * (two of them: at most twice the limit).
     */
    private void growStaging(long bytes) {
        long size = alignUp(bytes, STAGING_ALIGNMENT);
        MemorySegment grown = Arena.ofAuto().allocate(size, STAGING_ALIGNMENT);
        MemorySegment.copy(staging, 0, grown, 0, stagingUsed);
        staging = grown;
        sealedStaging = Arena.ofAuto().allocate(size, STAGING_ALIGNMENT);
    }

    /** Writes the staged frames not yet written, after the running round's write (so the file holds every appended frame). */
    void flush() throws IOException {
        awaitRoundWrite();
        if (stagingUsed > stagingWritten) {
            writeOut(staging, stagingUsed);
        }
    }

    /**
     * Writes {@code buf[0, used)}, which starts at file offset {@link #stagingOffset}, and
     * leaves staging ready for the next frame. Buffered: only the bytes not yet written go
     * out. Direct: everything from the first (aligned) byte through the zero-padded end of the
     * last block, and the last partial block stays at the start of staging to be written again
     * with the next frames: the same bytes before them, so whichever sectors of the rewrite
     * reach the disk, the frames written before are intact.
     */
    private void writeOut(MemorySegment buf, long used) throws IOException {
        awaitRoundWrite();
        segments.active().writer().write(writeOffset(), writeRegion(buf, used));
        advanceStaging(buf, used, staging);
    }

    /** Lock held: the file offset of {@link #writeRegion}. */
    private long writeOffset() {
        return writeAlignment > 1 ? stagingOffset : stagingOffset + stagingWritten;
    }

    /** Lock held: what of {@code buf[0, used)} is to be written (direct: zero-padded to whole blocks). */
    private MemorySegment writeRegion(MemorySegment buf, long used) {
        if (writeAlignment > 1) {
            long padded = alignUp(used, writeAlignment);
            buf.asSlice(used, padded - used).fill((byte) 0);
            return buf.asSlice(0, padded);
        }
        return buf.asSlice(stagingWritten, used - stagingWritten);
    }

    /**
     * Lock held, once {@code buf[0, used)} is written or handed to a round: staging goes on at
     * its end, in {@code next}; in direct mode the last partial block is carried to the start
     * of {@code next}, to be written again with the frames after it.
     */
    private void advanceStaging(MemorySegment buf, long used, MemorySegment next) {
        long keep = writeAlignment > 1 ? used % writeAlignment : 0;
        MemorySegment.copy(buf, used - keep, next, 0, keep);
        stagingOffset += used - keep;
        stagingUsed = keep;
        stagingWritten = keep;
    }

    /**
     * A sync round's write of the staged frames, made outside the lock. Whoever must write
     * the active segment under the lock meanwhile waits for it first ({@link #awaitRoundWrite}),
     * still holding the lock: the write needs no lock, and no two writes of the active segment
     * may be in flight at once (in direct mode both would write the carried block).
     */
    static final class RoundWrite {
        private final IoFile file;
        private final long offset;
        private final MemorySegment bytes;
        private final CountDownLatch done = new CountDownLatch(1);
        private volatile IOException error;

        RoundWrite(IoFile file, long offset, MemorySegment bytes) {
            this.file = file;
            this.offset = offset;
            this.bytes = bytes;
        }

        /** The bytes this write puts on the file (the staged frames, aligned for O_DIRECT). */
        long bytes() {
            return bytes.byteSize();
        }

        /** Outside the lock: writes, and says so to whoever waits; false if the write failed. */
        boolean run() {
            try {
                file.write(offset, bytes);
                return true;
            } catch (IOException e) {
                error = e;
                return false;
            } finally {
                done.countDown();
            }
        }

        IOException error() {
            return error;
        }
    }

    /** Lock held: hands the staged frames to a round's write and goes on staging in the other buffer. */
    RoundWrite seal() {
        MemorySegment sealed = staging;
        long used = stagingUsed;
        RoundWrite w = new RoundWrite(segments.active().writer(), writeOffset(), writeRegion(sealed, used));
        advanceStaging(sealed, used, sealedStaging);
        staging = sealedStaging;
        sealedStaging = sealed;
        roundWrite = w;
        return w;
    }

    /** Lock held, the round that made {@code w} has ended: no write of it is in flight any more. */
    void roundEnded(RoundWrite w) {
        if (roundWrite == w) {
            roundWrite = null;
        }
    }

    /** Lock held: waits until the running round's write, if any, has returned; its failure is this caller's too. */
    void awaitRoundWrite() throws IOException {
        RoundWrite w = roundWrite;
        if (w == null) {
            return;
        }
        Committer.awaitUninterruptibly(w.done);
        roundWrite = null;
        if (w.error != null) {
            throw w.error;
        }
    }

    /**
     * Lock held, a round about to seal its frames: if an earlier round made more of the active
     * segment durable than the last SYNC_MARK says, a SYNC_MARK saying so goes at the end of
     * this round's frames (24 bytes a round; none if staging is full). Recovery then knows that
     * an invalid frame before that offset is damage to durable data, not a torn tail, as long
     * as a later round's mark survives.
     */
    void stageSyncMark(Segment active) {
        if (activeSyncedEnd > activeMarkedEnd && activeSyncedEnd > JournalFormat.HEADER_BLOCK_BYTES
                && stagingUsed + JournalFormat.MARK_FRAME_BYTES <= staging.byteSize()) {
            stagingUsed += JournalFormat.encodeSyncMark(staging, stagingUsed, active.salt(), activeSyncedEnd, crc);
            active.skipped(JournalFormat.MARK_FRAME_BYTES);
            activeMarkedEnd = activeSyncedEnd;
        }
    }

    /**
     * Appends a DURABLE_MARK frame saying every segment up to {@code segmentId} is synced, and
     * writes it (the caller syncs the active segment).
     */
    void writeDurableMark(long segmentId) throws IOException {
        if (stagingUsed + JournalFormat.MARK_FRAME_BYTES > staging.byteSize()) {
            flush();
        }
        Segment active = segments.active();
        stagingUsed += JournalFormat.encodeDurableMark(staging, stagingUsed, active.salt(), segmentId, crc);
        active.skipped(JournalFormat.MARK_FRAME_BYTES);
        flush();
    }
}

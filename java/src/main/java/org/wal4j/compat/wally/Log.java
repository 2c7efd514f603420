package org.wal4j.compat.wally;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32;
import org.wal4j.AlreadyOpenException;
import org.wal4j.format.WallyFormat;
import org.wal4j.format.WallyFormat.Verdict;
import org.wal4j.io.Closing;
import org.wal4j.io.ExclusiveLock;
import org.wal4j.io.IoBackend;
import org.wal4j.io.IoFile;
import org.wal4j.io.OpenFlag;
import org.wal4j.log.FailStop;
import org.wal4j.log.OffsetIndex;

// Over 700 lines on purpose: the port is one type, as go-wally's Log is, and its file, index,
// writer and recovery share one lock and one descriptor; a quarter of the lines are its
// documentation.
/**
 * A go-wally log: one file of WALLY records ({@link WallyFormat}), byte-for-byte what
 * go-wally writes for the same calls, with 1-based indexes, batches, an optional full or
 * sparse index, and truncation from the back. The Go names are kept: {@code Open} is
 * {@link #open}, {@code Append} is {@link #append}, and so on.
 *
 * <p><b>Durability</b> ({@link Options#noSync()}). With {@code noSync=false} (the default)
 * {@link #append}, {@link #appendBatch}, {@link #writeBatch} and {@link #truncateBack} return
 * only after their bytes were written and fdatasynced: one write and one fdatasync per call
 * when the call's records fit in the buffer. With {@code noSync=true} appends are encoded into
 * an off-heap staging buffer ({@link Options#bufferSize()}, 256 KiB by default) that is written
 * with one write when full; the OS decides when written data reaches the disk, until
 * {@link #sync()} (always write + fdatasync) or {@link #close()} (write; no fdatasync, as
 * go-wally). Every record {@code open} found is durable when it returns, and the file's
 * directory has been fsynced (see "Recovery").
 *
 * <p><b>Failure.</b> If a write, fdatasync or truncate fails, the log is failed: that call and
 * every later one throw {@link LogFailedException} carrying the first failure; nothing is
 * retried (a retried fdatasync can report success for lost data). Re-open to recover.
 *
 * <p><b>Reads</b> see every appended record, buffered or not. Without an index (the default,
 * {@code retainIndex=false}) a read scans headers from the start of the file in 64 KiB reads,
 * or from the last record read if that is closer, so reading {@code 1..lastIndex()} in order is
 * one pass; with {@code checkpointInterval} 1 a read is a direct lookup; with K &gt; 1 it scans
 * at most K-1 headers from a checkpoint.
 *
 * <p><b>Recovery.</b> Once it has checked the first record, {@code open} writes the whole file
 * back through the page cache and fdatasyncs it, so that it never trusts bytes it did not see
 * become durable: after a failed fdatasync Linux keeps the lost pages cached, marked clean,
 * and a reopen in the same boot would read them back and append after a hole that a power
 * loss opens (cost: a write and an fdatasync of the whole file per open). Then it checks every
 * record (length, reserved field, CRC32). The log ends at the first invalid record after the
 * first (a torn tail): those bytes are reported
 * ({@link #droppedBytes()}, and one WARNING on the {@code org.wal4j.compat.wally} logger), left
 * in place while the log is only read, and cut off (truncate + fdatasync) before the first new
 * append or truncation. A non-empty file whose first record is invalid is not a wally log:
 * {@code open} throws {@link InvalidLogException} and does not modify it.
 *
 * <p><b>Threads.</b> Every method may be called from many threads; one lock serializes them
 * (as go-wally's mutex), so appends get indexes in the order they take the lock.
 *
 * <p>Why one file of this size: it is the port of go-wally's one type, method for method, so
 * that it can be read beside the Go source; the format ({@code WallyFormat}) and the index
 * ({@code OffsetIndex}) are their own units, and what remains shares one lock and one state.
 */
public final class Log implements Closeable {
    /** Bytes read per call when scanning or reading records. */
    static final int READ_CHUNK_BYTES = 64 << 10;
    /** Bytes read and written back per call when open rewrites the file. */
    private static final int REWRITE_CHUNK_BYTES = 1 << 20;
    private static final int MAX_ARRAY_BYTES = Integer.MAX_VALUE - 8;
    private static final System.Logger LOGGER = System.getLogger("org.wal4j.compat.wally");
    /** The permission bits of a file open creates (the umask applies), as go-wally's os.OpenFile. */
    private static final int FILE_MODE = 0644;

    private final ReentrantLock lock = new ReentrantLock();
    private final Path path;
    private final IoFile file;
    /** The lock on the file: one writer, across this JVM and across processes (released after the file is closed). */
    private final ExclusiveLock fileLock;
    private final boolean noSync;
    /** 0 = no index (scan), 1 = full, K = sparse. */
    private final int checkpointInterval;
    private final OffsetIndex index;
    private final Arena arena;
    private final MemorySegment staging;
    private final MemorySegment window;
    private final CRC32 crc = new CRC32();
    private final long droppedBytes;

    /** The log's bytes in the file: [0, flushedEnd). */
    private long flushedEnd;
    /** The log's bytes in the staging buffer: file offsets [flushedEnd, flushedEnd + staged). */
    private int staged;
    /** The file holds invalid bytes after flushedEnd that must be cut before the next append. */
    private boolean cutPending;
    /** A copy of the log's bytes [windowStart, windowStart + windowLength); valid until truncateBack. */
    private long windowStart;
    private int windowLength;
    /** The last record located (its index, 0 for none, and header offset): where scans resume. */
    private long cursorIndex;
    private long cursorOffset;
    private boolean closed;
    private final FailStop failStop;
    /** index.count(), published for lastIndex() without the lock (written under it). */
    private volatile long lastIndex;

    private Log(Path path, IoFile file, ExclusiveLock lock, Options options, Arena arena) throws IOException {
        this.path = path;
        this.failStop = new FailStop("go-wally log path=" + path);
        this.file = file;
        this.fileLock = lock;
        this.noSync = options.noSync();
        this.checkpointInterval = options.effectiveCheckpointInterval();
        this.index = switch (checkpointInterval) {
            case 0 -> OffsetIndex.none();
            case 1 -> OffsetIndex.full();
            default -> OffsetIndex.sparse(checkpointInterval);
        };
        this.arena = arena;
        this.staging = arena.allocate(options.effectiveBufferSize(), 8);
        this.window = arena.allocate(READ_CHUNK_BYTES, 8);
        this.droppedBytes = recover();
    }

    /**
     * Opens the log in {@code file}, creating it if it does not exist, fsyncs its directory,
     * makes what the file holds durable (a write of the file back through the page cache and an
     * fdatasync) and checks its records (see "Recovery" above). I/O goes through the
     * backend chosen at run time (native calls where enabled, else FileChannel).
     *
     * @param file the log file; it is created (mode 0644, before the umask) if missing
     * @param options see {@link Options}; {@link Options#defaults()} is Go's {@code nil}
     * @return the open log; close it when done
     * @throws NullPointerException if {@code file} or {@code options} is null
     * @throws AlreadyOpenException if the file is open as a log in this process or another one
     * @throws InvalidLogException if the file is not empty and its first record is invalid;
     *     the file is then left as it was
     * @throws IOException if the file cannot be opened, created, read, written back or synced
     */
    public static Log open(Path file, Options options) throws IOException {
        return open(file, options, IoBackend.select());
    }

    /** {@link #open(Path, Options)} on a given backend (tests wrap one to count or fail calls). */
    static Log open(Path file, Options options, IoBackend io) throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(options, "options");
        // The lock creates a missing file (0644, as go-wally), before any other descriptor of
        // it is opened: see ExclusiveLock. Every other descriptor stays open until close, so a
        // POSIX record lock (JavaIo) is not released early either.
        ExclusiveLock lock;
        try {
            lock = ExclusiveLock.acquire(io, file, FILE_MODE, "wally log file=" + file);
        } catch (ExclusiveLock.Held held) {
            throw new AlreadyOpenException(held.getMessage(), held.lockFile(), held.inThisProcess());
        }
        IoFile f = null;
        Arena arena = null;
        try {
            f = io.open(file, OpenFlag.READ, OpenFlag.WRITE);
            arena = Arena.ofShared();
            // An existing file too: an earlier open whose directory fsync failed (or a crash
            // right after its create) left a name a power loss may remove, and nothing tells.
            io.syncDirectory(file.toAbsolutePath().getParent());
            return new Log(file, f, lock, options, arena);
        } catch (IOException | RuntimeException | Error e) {
            IOException closeFailure = Closing.closeAll(null, java.util.Arrays.asList(f, lock));
            if (closeFailure != null) {
                e.addSuppressed(closeFailure);
            }
            if (arena != null) {
                arena.close();
            }
            throw e;
        }
    }

    /**
     * Appends one record (may be empty) and returns its index: 1 for the first record of the
     * log, then 2, 3, ... Durable on return unless {@code noSync}.
     *
     * @param data the record's bytes, any length (empty allowed); copied into the buffer or
     *     written before this returns
     * @return the record's index, {@code lastIndex() + 1}
     * @throws NullPointerException if {@code data} is null
     * @throws LogFailedException if this or an earlier write or sync failed
     * @throws LogClosedException after {@link #close()}
     */
    public long append(byte[] data) throws IOException {
        Objects.requireNonNull(data, "data");
        lock.lock();
        try {
            checkUsable();
            cutTornTail();
            long appended = stage(data);
            if (!noSync) {
                commit();
            }
            lastIndex = appended;
            return appended;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Appends records as one batch: written together, and with {@code noSync=false} made
     * durable by one fdatasync. No record is written if one of them is null.
     *
     * @param records the records' bytes, each any length (empty allowed)
     * @return the indexes the records got; for no records, an empty range whose
     *     {@code first} is {@code lastIndex() + 1}
     * @throws NullPointerException if {@code records} or one of them is null
     * @throws LogFailedException if this or an earlier write or sync failed
     * @throws LogClosedException after {@link #close()}
     * @throws IOException if I/O fails
     */
    public Range appendBatch(byte[]... records) throws IOException {
        Objects.requireNonNull(records, "records");
        return appendAll(records, records.length);
    }

    /**
     * Appends the records of {@code batch} as {@link #appendBatch} does, without copying them
     * into a new array. The batch is not changed; {@link Batch#reset()} it to reuse it.
     *
     * @param batch the records to append
     * @return the indexes the records got; for an empty batch, an empty range whose
     *     {@code first} is {@code lastIndex() + 1}
     * @throws NullPointerException if {@code batch} is null
     * @throws IOException as {@link #appendBatch} does
     */
    public Range writeBatch(Batch batch) throws IOException {
        Objects.requireNonNull(batch, "batch");
        return appendAll(batch.array(), batch.len());
    }

    /**
     * Reads record {@code index} into a new array.
     *
     * @param index the record's index, 1 to {@link #lastIndex()}
     * @return the record's bytes (a new array the caller owns)
     * @throws LogClosedException after {@link #close()}
     * @throws LogFailedException if a write or sync failed earlier
     * @throws EOFException if {@code index} is not in {@code [1, lastIndex()]} (go-wally's
     *     {@code io.EOF}); the message names the index and the valid range
     * @throws InvalidLogException if the record's bytes no longer check out (CRC, length)
     */
    public byte[] read(long index) throws IOException {
        lock.lock();
        try {
            long offset = locateForRead(index);
            long payloadLength = headerLength(offset, index);
            if (payloadLength > MAX_ARRAY_BYTES) {
                throw new IOException("record too large for a Java array: index=" + index
                        + " length=" + payloadLength + " path=" + path);
            }
            byte[] dst = new byte[(int) payloadLength];
            copyPayload(index, offset, dst, (int) payloadLength);
            return dst;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Reads record {@code index} into the start of {@code dst} and returns the payload's
     * length; allocates nothing. This is go-wally's {@code ReadInto} adapted to Java arrays,
     * which cannot be resliced: Go returns {@code dst[:n]}, growing it when too small; here the
     * caller gets {@code n} and supplies an array large enough.
     *
     * @param index the record's index, 1 to {@link #lastIndex()}
     * @param dst where the payload goes, from index 0; at least the payload's length
     * @return the payload's length in bytes (what was copied)
     * @throws NullPointerException if {@code dst} is null
     * @throws IllegalArgumentException if {@code dst} is shorter than the payload; the message
     *     names both lengths ({@code dst} is then unchanged)
     * @throws EOFException if {@code index} is not in {@code [1, lastIndex()]}
     * @throws InvalidLogException if the record's bytes no longer check out
     */
    public int readInto(long index, byte[] dst) throws IOException {
        Objects.requireNonNull(dst, "dst");
        lock.lock();
        try {
            long offset = locateForRead(index);
            long payloadLength = headerLength(offset, index);
            if (payloadLength > dst.length) {
                throw new IllegalArgumentException("readInto index=" + index + ": payload length=" + payloadLength
                        + " does not fit dst.length=" + dst.length);
            }
            copyPayload(index, offset, dst, (int) payloadLength);
            return (int) payloadLength;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The index of the last record, 0 if the log is empty. Does not wait for the lock (an
     * append in progress is counted once it returns); also answers after close.
     *
     * @return the last record's index, 0 for an empty log
     */
    public long lastIndex() {
        return lastIndex;
    }

    /**
     * Keeps records {@code 1..index} and removes the rest; 0 empties the log (the file becomes
     * 0 bytes). Records still in the buffer are dropped without I/O; otherwise the file is
     * truncated, and with {@code noSync=false} fdatasynced. {@code truncateBack(lastIndex())}
     * is a no-op.
     *
     * @param index the last index to keep, 0 to {@link #lastIndex()}
     * @throws LogClosedException after {@link #close()}
     * @throws LogFailedException if this or an earlier write, truncate or sync failed
     * @throws IllegalArgumentException if {@code index} is negative
     * @throws EOFException if {@code index > lastIndex()} (go-wally's {@code io.EOF})
     */
    public void truncateBack(long index) throws IOException {
        if (index < 0) {
            throw new IllegalArgumentException("truncateBack index=" + index + " must be >= 0");
        }
        lock.lock();
        try {
            checkUsable();
            long count = this.index.count();
            if (index > count) {
                throw new EOFException("truncateBack index=" + index + " is beyond lastIndex=" + count + " path=" + path);
            }
            if (index == count) {
                return;
            }
            long newEnd = index == 0 ? 0 : locate(index + 1);
            cursorIndex = 0;
            windowLength = 0;
            if (newEnd >= flushedEnd) {
                staged = (int) (newEnd - flushedEnd);
            } else {
                staged = 0;
                try {
                    file.truncate(newEnd);
                    flushedEnd = newEnd;
                    if (!noSync || cutPending) {
                        file.datasync();
                    }
                } catch (IOException e) {
                    throw fail(e);
                }
                cutPending = false;
            }
            this.index.truncateAfter(index);
            lastIndex = index;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Writes the buffer and fdatasyncs, whatever {@code noSync} says: everything appended so
     * far is durable when this returns.
     *
     * @throws LogClosedException after {@link #close()}
     * @throws LogFailedException if this or an earlier write or sync failed
     * @throws IOException if I/O fails
     */
    public void sync() throws IOException {
        lock.lock();
        try {
            checkUsable();
            commit();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Writes the buffer, fdatasyncs unless {@code noSync} (as go-wally), and closes the file.
     * Idempotent. On a failed log it only releases the file and memory. Later calls throw
     * {@link LogClosedException}, except {@link #lastIndex()} and {@link #droppedBytes()}.
     */
    @Override
    public void close() throws IOException {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            IOException error = null;
            if (!failStop.hasFailed()) {
                try {
                    flushStaged();
                    if (!noSync) {
                        datasync();
                    }
                } catch (LogFailedException e) {
                    error = e;
                }
            }
            error = Closing.closeAll(error, java.util.Arrays.asList(file, fileLock)); // the lock last
            arena.close();
            if (error != null) {
                throw error;
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * The bytes of an invalid tail found by {@code open} (0 if the file ended cleanly): they
     * are cut off before the first append or truncation.
     *
     * @return the length of the invalid tail in bytes, 0 if there was none
     */
    public long droppedBytes() {
        return droppedBytes;
    }

    @Override
    public String toString() {
        return "wally.Log[path=" + path + "]";
    }

    // ---- recovery ------------------------------------------------------------------------

    /**
     * Makes what the file holds durable, then scans it, fills the index, and returns the bytes
     * after the last valid record.
     *
     * <p>Why open rewrites the file: after a failed fdatasync Linux marks the lost pages clean
     * and keeps them cached, and reports the error once, to the descriptor that synced. A
     * reopen in the same boot reads the lost records back through the page cache, and nothing
     * it does later writes them again (a later fdatasync returns 0: nothing is dirty), so the
     * records appended after them are acknowledged behind a hole. After a power loss that hole
     * reads as zeros, which WALLY reads as valid empty records (16 zero bytes each): the lost
     * record becomes several empty ones and every later record moves to another index. Reading
     * the device instead (O_DIRECT, as the gohacks port does) would not help here, because the
     * device's zeros are valid records too. So open writes every byte of the file back through
     * the page cache, from the buffer its read filled, and fdatasyncs: the bytes it then scans
     * are durable, or open fails with the error. Nothing records where the last successful
     * sync ended, so it is the whole file: an open costs a write of the file and an fdatasync
     * of all of it, besides the scan (which then reads from the page cache). Only a file whose
     * first record is valid is rewritten (a file that is not a log is never modified).
     *
     * <p>Records after the first invalid one are not read. With the rewrite, this port never
     * acknowledges a record behind bytes it did not see become durable, so they can only be
     * unsynced writes that reached the disk out of order before a power loss (never
     * acknowledged) or damage to durable bytes, which the format cannot tell from a torn
     * write; they are cut before the first append, with the rest of the tail.
     */
    private long recover() throws IOException {
        long size = file.size();
        flushedEnd = size; // the window reads the whole file while scanning
        if (size > 0) {
            Scanned first = checkRecord(0, size);
            if (first.verdict() != Verdict.VALID) {
                throw new InvalidLogException("not a wally log (its first record is invalid; the file was not modified)",
                        path, 0, 1, first.verdict().description() + " " + first.detail());
            }
            rewriteThroughTheCache(size);
            file.datasync();
            windowLength = 0;
        }
        long offset = 0;
        Scanned last = new Scanned(Verdict.VALID, "", 0);
        while (offset < size) {
            last = checkRecord(offset, size);
            if (last.verdict() != Verdict.VALID) {
                break;
            }
            index.add(index.count() + 1, offset);
            offset += WallyFormat.recordLength(last.payloadLength());
        }
        lastIndex = index.count();
        windowLength = 0; // it may hold bytes past the valid end, which appends will overwrite
        flushedEnd = offset;
        if (offset == size) {
            return 0;
        }
        String reason = last.verdict().description() + " " + last.detail();
        if (offset == 0) {
            throw new InvalidLogException("not a wally log (its first record is invalid; the file was not modified)",
                    path, 0, 1, reason);
        }
        cutPending = true;
        long dropped = size - offset;
        LOGGER.log(System.Logger.Level.WARNING, "wally log ends with an invalid tail, cut before the first append:"
                + " path=" + path + " offset=" + offset + " index=" + (index.count() + 1) + " droppedBytes=" + dropped
                + " reason=" + reason + " validRecords=" + index.count());
        return dropped;
    }

    /** What open's scan found at one offset: the verdict, its facts, and the payload length of a valid record. */
    private record Scanned(Verdict verdict, String detail, long payloadLength) {}

    /** Checks the record at {@code offset} of a file of {@code size} bytes (header, reserved field, CRC). */
    private Scanned checkRecord(long offset, long size) throws IOException {
        long remaining = size - offset;
        if (remaining < WallyFormat.HEADER_LENGTH) {
            return new Scanned(Verdict.SHORT_HEADER, "remaining=" + remaining, 0);
        }
        ensureWindow(offset, WallyFormat.HEADER_LENGTH);
        long at = offset - windowStart;
        Verdict verdict = WallyFormat.checkHeader(window, at, remaining);
        long length = WallyFormat.payloadLength(window, at);
        if (verdict == Verdict.LENGTH_BEYOND_END) {
            return new Scanned(verdict, "length=" + Long.toUnsignedString(length) + " remaining="
                    + (remaining - WallyFormat.HEADER_LENGTH), 0);
        }
        if (verdict == Verdict.RESERVED_NOT_ZERO) {
            return new Scanned(verdict, "reserved=0x" + Integer.toHexString(WallyFormat.reserved(window, at)), 0);
        }
        int stored = WallyFormat.storedCrc(window, at);
        int computed = streamCrc(WallyFormat.payloadOffset(offset), length);
        if (computed != stored) {
            return new Scanned(Verdict.CHECKSUM_MISMATCH, "length=" + length + " stored=0x" + Integer.toHexString(stored)
                    + " computed=0x" + Integer.toHexString(computed), 0);
        }
        return new Scanned(Verdict.VALID, "", length);
    }

    /**
     * Writes {@code [0, size)} back where it was read, each chunk from the buffer its read
     * filled (a second read could find a page the kernel evicted meanwhile and return the
     * device's bytes instead): every page becomes dirty, so the next fdatasync writes it.
     */
    private void rewriteThroughTheCache(long size) throws IOException {
        try (Arena chunkArena = Arena.ofConfined()) {
            MemorySegment chunk = chunkArena.allocate(Math.min(size, REWRITE_CHUNK_BYTES), 8);
            for (long at = 0; at < size; ) {
                long got = file.read(at, chunk.asSlice(0, Math.min(chunk.byteSize(), size - at)));
                if (got == 0) {
                    throw new InvalidLogException("wally log file changed under the log", path, at, 0,
                            "file ended early while open rewrote it: size=" + size);
                }
                file.write(at, chunk.asSlice(0, got));
                at += got;
            }
        }
    }

    /** The CRC32 of the log's bytes [offset, offset + length), read through the window. */
    private int streamCrc(long offset, long length) throws IOException {
        crc.reset();
        long end = offset + length;
        for (long p = offset; p < end; ) {
            ensureWindow(p, 1);
            long n = Math.min(windowStart + windowLength - p, end - p);
            crc.update(window.asSlice(p - windowStart, n).asByteBuffer());
            p += n;
        }
        return (int) crc.getValue();
    }

    // ---- appending -----------------------------------------------------------------------

    private Range appendAll(byte[][] records, int count) throws IOException {
        for (int i = 0; i < count; i++) {
            if (records[i] == null) {
                throw new NullPointerException("records[" + i + "] is null");
            }
        }
        lock.lock();
        try {
            checkUsable();
            long first = index.count() + 1;
            if (count == 0) {
                return new Range(first, first - 1);
            }
            cutTornTail();
            for (int i = 0; i < count; i++) {
                stage(records[i]);
            }
            if (!noSync) {
                commit();
            }
            lastIndex = index.count();
            return new Range(first, lastIndex);
        } finally {
            lock.unlock();
        }
    }

    /** Encodes a record into the staging buffer (or writes it through) and indexes it. */
    private long stage(byte[] data) throws LogFailedException {
        long offset = flushedEnd + staged;
        long recordLength = WallyFormat.recordLength(data.length);
        if (recordLength > staging.byteSize()) {
            flushStaged();
            writeThrough(data);
        } else {
            if (staged + recordLength > staging.byteSize()) {
                flushStaged();
            }
            staged += (int) WallyFormat.encode(staging, staged, MemorySegment.ofArray(data));
        }
        long appended = index.count() + 1;
        index.add(appended, offset);
        return appended;
    }

    /** Writes a record larger than the buffer now, in buffer-sized pieces (no copy of its size). */
    private void writeThrough(byte[] data) throws LogFailedException {
        int capacity = (int) staging.byteSize();
        WallyFormat.encodeHeader(staging, 0, data.length, WallyFormat.crc(MemorySegment.ofArray(data), 0, data.length));
        int piece = Math.min(data.length, capacity - WallyFormat.HEADER_LENGTH);
        MemorySegment.copy(data, 0, staging, ValueLayout.JAVA_BYTE, WallyFormat.HEADER_LENGTH, piece);
        writeStaging(WallyFormat.HEADER_LENGTH + piece);
        for (int done = piece; done < data.length; done += piece) {
            piece = Math.min(data.length - done, capacity);
            MemorySegment.copy(data, done, staging, ValueLayout.JAVA_BYTE, 0, piece);
            writeStaging(piece);
        }
    }

    private void flushStaged() throws LogFailedException {
        if (staged > 0) {
            int n = staged;
            staged = 0;
            writeStaging(n);
        }
    }

    /** Writes staging[0, n) at flushedEnd. */
    private void writeStaging(int n) throws LogFailedException {
        try {
            file.write(flushedEnd, staging.asSlice(0, n));
        } catch (IOException e) {
            throw fail(e);
        }
        flushedEnd += n;
    }

    private void commit() throws LogFailedException {
        flushStaged();
        datasync();
    }

    private void datasync() throws LogFailedException {
        try {
            file.datasync();
        } catch (IOException e) {
            throw fail(e);
        }
    }

    /** Cuts an invalid tail found by open, durably, before anything new goes to the file. */
    private void cutTornTail() throws LogFailedException {
        if (!cutPending) {
            return;
        }
        try {
            file.truncate(flushedEnd);
            file.datasync();
        } catch (IOException e) {
            throw fail(e);
        }
        cutPending = false;
    }

    // ---- reading -------------------------------------------------------------------------

    /** Checks that the log is usable and the index in range, and returns the record's header offset. */
    private long locateForRead(long index) throws IOException {
        checkUsable();
        long count = this.index.count();
        if (index < 1 || index > count) {
            throw new EOFException("index=" + index + " out of range: "
                    + (count == 0 ? "the log is empty" : "valid indexes are [1, " + count + "]") + " path=" + path);
        }
        return locate(index);
    }

    /** Copies the payload of the record at offset into dst and checks its CRC. */
    private void copyPayload(long index, long offset, byte[] dst, int length) throws IOException {
        ensureWindow(offset, WallyFormat.HEADER_LENGTH);
        int stored = WallyFormat.storedCrc(window, offset - windowStart);
        long p = WallyFormat.payloadOffset(offset);
        for (int done = 0; done < length; ) {
            ensureWindow(p, 1);
            int n = (int) Math.min(windowStart + windowLength - p, length - done);
            MemorySegment.copy(window, ValueLayout.JAVA_BYTE, p - windowStart, dst, done, n);
            done += n;
            p += n;
        }
        crc.reset();
        crc.update(dst, 0, length);
        int computed = (int) crc.getValue();
        if (computed != stored) {
            throw new InvalidLogException("wally record invalid", path, offset, index,
                    Verdict.CHECKSUM_MISMATCH.description() + " length=" + length + " stored=0x"
                            + Integer.toHexString(stored) + " computed=0x" + Integer.toHexString(computed));
        }
    }

    /** The header offset of record {@code index} (1 <= index <= count), also left in the cursor. */
    private long locate(long index) throws IOException {
        long startIndex;
        long startOffset;
        if (checkpointInterval == 1) {
            startIndex = index;
            startOffset = this.index.exactOffset(index);
        } else if (checkpointInterval > 1) {
            startIndex = this.index.floorLsn(index);
            startOffset = this.index.floorOffset(index);
        } else {
            startIndex = 1;
            startOffset = 0;
        }
        if (cursorIndex > startIndex && cursorIndex <= index) {
            startIndex = cursorIndex;
            startOffset = cursorOffset;
        }
        long offset = startOffset;
        for (long i = startIndex; i < index; i++) {
            offset = WallyFormat.payloadOffset(offset) + headerLength(offset, i);
        }
        cursorIndex = index;
        cursorOffset = offset;
        return offset;
    }

    /** The payload length in the header at offset, checked against the log's end. */
    private long headerLength(long offset, long index) throws IOException {
        ensureWindow(offset, WallyFormat.HEADER_LENGTH);
        long length = WallyFormat.payloadLength(window, offset - windowStart);
        long available = flushedEnd + staged - WallyFormat.payloadOffset(offset);
        if (Long.compareUnsigned(length, available) > 0) {
            throw new InvalidLogException("wally log file changed under the log", path, offset, index,
                    Verdict.LENGTH_BEYOND_END.description() + " length=" + Long.toUnsignedString(length)
                            + " remaining=" + available);
        }
        return length;
    }

    /**
     * Makes the window hold the log's bytes [offset, offset + need), reading up to
     * {@link #READ_CHUNK_BYTES} from offset: from the file below flushedEnd, from the staging
     * buffer above it (so reads see buffered records).
     */
    private void ensureWindow(long offset, int need) throws IOException {
        if (offset >= windowStart && offset + need <= windowStart + windowLength) {
            return;
        }
        windowLength = 0;
        long end = flushedEnd + staged;
        if (offset < 0 || end - offset < need) {
            throw new InvalidLogException("wally log file changed under the log", path, offset, 0,
                    "log ends early: need=" + need + " end=" + end);
        }
        int length = (int) Math.min(READ_CHUNK_BYTES, end - offset);
        int fromFile = Math.clamp(flushedEnd - offset, 0, length);
        if (fromFile > 0) {
            long read = file.read(offset, window.asSlice(0, fromFile));
            if (read < fromFile) {
                throw new InvalidLogException("wally log file changed under the log", path, offset, 0,
                        "file ended early: read=" + read + " expected=" + fromFile + " end=" + flushedEnd);
            }
        }
        if (fromFile < length) {
            MemorySegment.copy(staging, offset + fromFile - flushedEnd, window, fromFile, length - fromFile);
        }
        windowStart = offset;
        windowLength = length;
    }

    // ---- state ---------------------------------------------------------------------------

    private void checkUsable() throws IOException {
        if (closed) {
            throw new LogClosedException(path);
        }
        if (failStop.hasFailed()) {
            throw new LogFailedException(path, failStop.failure());
        }
    }

    /** Puts the log in the failed state (keeping the first cause) and returns the exception to throw. */
    private LogFailedException fail(IOException e) {
        failStop.fail(e);
        return new LogFailedException(path, failStop.failure());
    }
}

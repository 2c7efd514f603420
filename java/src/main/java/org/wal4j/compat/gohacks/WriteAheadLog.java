package org.wal4j.compat.gohacks;

import static org.wal4j.format.WalxFormat.HEADER_LENGTH;
import static org.wal4j.format.WalxFormat.KEY_OFFSET;
import static org.wal4j.format.WalxFormat.SIZE_LENGTH;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.wal4j.AlreadyOpenException;
import org.wal4j.format.WalxFormat;
import org.wal4j.format.WalxFormat.HeaderState;
import org.wal4j.format.WalxFormat.RecordState;
import org.wal4j.io.Closing;
import org.wal4j.io.DeviceReads;
import org.wal4j.io.ExclusiveLock;
import org.wal4j.io.IoBackend;
import org.wal4j.io.IoFile;
import org.wal4j.io.OpenFlag;
import org.wal4j.log.FailStop;

// Over 700 lines on purpose: the port is one type, as the seed's WAL is, and its file, writer,
// recovery and sync thread share one lock and one descriptor; a third of the lines are its
// documentation, the list of where it differs from gohacks among them.
/**
 * The gohacks {@code wal} package's write-ahead log, ported: one WALX file
 * ({@link WalxFormat}) of records {@code (lsn, timestamp, key, value)}, each with a CRC32C.
 * A file this class writes is byte for byte what gohacks writes for the same calls (the
 * header's creation time aside), and it reads the files gohacks writes.
 *
 * <pre>{@code
 * try (WriteAheadLog wal = WriteAheadLog.open(Path.of("data.wal"), 4 << 20)) {
 *     wal.append(next, Instant.now().getEpochSecond(), key, value);
 *     wal.sync();
 *     long highest = wal.replay(0, (lsn, ts, k, v) -> apply(lsn, k, v));
 * }
 * }</pre>
 *
 * <h2>Where it differs from gohacks (the seed's bugs, fixed)</h2>
 * <ul>
 *   <li><b>Torn tail.</b> {@link #open} scans the file and cuts it after the last valid record
 *       (ftruncate, then fdatasync, before open returns). gohacks keeps the torn bytes and
 *       appends after them, so replay stops at the torn record and never sees anything
 *       appended later. What was cut is in {@link #recovery()} and logged once.</li>
 *   <li><b>Bad headers are refused, never touched.</b> A file of 1 to 23 bytes, or with a
 *       wrong magic, version or features, is {@link InvalidHeader} (gohacks checks neither
 *       version nor features, and calls a short file {@code ErrInvalidLog}).</li>
 *   <li><b>Creation is durable and atomic.</b> A missing file is created under a temporary
 *       name, its header written and fdatasynced, renamed into place and the directory
 *       fsynced, so a crash never leaves a half-written header that no open would accept.
 *       An existing empty file gets its header in place, then fdatasync and directory fsync.</li>
 *   <li><b>Limits apply to appends only.</b> gohacks' replay rejects records above the current
 *       limits; here a file written with larger limits replays.</li>
 *   <li><b>LSNs must increase.</b> {@link #append} refuses an LSN not greater (unsigned) than the
 *       greatest in the log, and therefore refuses LSN 0 in an empty log: replay's
 *       "LSN &gt; base" only means something for increasing LSNs, and {@code replay(0, ...)}
 *       would never return a record with LSN 0. gohacks leaves this to the caller. Replay of an
 *       existing file never checks the order.</li>
 *   <li><b>Fail-stop.</b> When a write, sync or truncate fails, that call throws the
 *       an {@code IOException} naming the call, path and errno and the log is failed: every later operation
 *       throws an {@link IOException} whose cause is that first failure. A failed fdatasync is
 *       never retried (the kernel may have dropped the dirty pages; a retry could report a
 *       success that is not one). Reopen to recover from what is on disk.</li>
 *   <li><b>A reopen trusts only what the device holds.</b> After a failed fdatasync Linux keeps
 *       the lost pages cached, marked clean, so a reopen in the same boot would read the lost
 *       records back and append after them, over a hole a power loss opens. {@link #open}
 *       therefore scans the file with O_DIRECT reads, which return the device's bytes: the log
 *       ends where the durable records end, and the cut drops the lost ones from the cache
 *       too. Where the filesystem refuses O_DIRECT, open first writes the whole file back
 *       through the page cache and fdatasyncs it, so what it then scans is durable or the open
 *       fails. Open also fsyncs the directory (an earlier open's failed directory fsync
 *       would otherwise go unnoticed).</li>
 *   <li><b>Replay reports corruption.</b> Every byte before the end of the log was validated
 *       by open or written by this log, so an invalid record there is {@link InvalidLog},
 *       not a quiet end of the replay.</li>
 *   <li><b>Syncs are fdatasync</b> (gohacks: fsync), and a sync does not block appends.</li>
 *   <li>{@code null} key or value is the empty array (as Go's nil slice).</li>
 * </ul>
 *
 * <h2>Durability</h2>
 * An appended record is durable once {@link #sync()}, {@link #reset()} or {@link #close()}
 * returned, or once the append that crossed {@link Policy#syncEveryBytes()} returned, or
 * after the next background sync ({@link Policy#syncEvery()}). Everything {@code open} found
 * is durable when it returns: it read it from the device (O_DIRECT) and fdatasyncs once, or,
 * where O_DIRECT is refused, rewrote and synced it first. The cost of an open is a read of the
 * whole file from the device (not from the page cache), one fdatasync and one directory
 * fsync; where O_DIRECT is refused, also a write of the whole file and a second fdatasync.
 *
 * <h2>Threads</h2>
 * All methods may be called from any thread. Appends are serialized (one pwrite each, from an
 * off-heap buffer, at the end of the log; no user-space buffering, so a replay sees every
 * append that returned before it started). A sync runs outside the append lock, so appends
 * go on while it waits for the disk. {@link #replay} runs concurrently with appends and reads
 * up to the end it saw when it started, in 1 MiB reads.
 * {@link #reset()} and {@link #close()} wait for running replays; a replay callback may
 * append, sync or set the policy, but calling reset or close from it throws
 * {@link IllegalStateException}. With {@link Policy#syncEvery()} set, one daemon thread named
 * {@code wal4j-gohacks-sync <path>} runs per log; {@link #setPolicy} starts and stops it and
 * {@link #close()} ends it. With the JavaIo backend, interrupting a thread inside an append or
 * sync closes the file (a FileChannel rule) and so fails the log.
 *
 * <h2>Errors</h2>
 * Bad arguments: {@link KeyTooLarge}, {@link ValueTooLarge}, {@link RecordTooLarge},
 * {@link TimestampNegative}, and {@link IllegalArgumentException} for an LSN out of order.
 * Files: {@link InvalidHeader}, {@link InvalidLog}, an {@code IOException} naming the call, path and errno.
 * A closed log throws {@link IllegalStateException} ({@code "log is closed"}) from every
 * operation; the accessors ({@link #path()}, {@link #recovery()}, ...) keep working.
 *
 * <p>Why one file of this size: it is the port of one Go type, method for method, so that it
 * can be read beside gohacks' source; scanning ({@link LogScanner}), policy and interval
 * syncing already live in their own classes. What remains is the open/recover sequence and
 * the append/sync/replay/reset/close protocol, which share one set of locks.
 */
public final class WriteAheadLog implements AutoCloseable {

    /**
     * The largest record (32 bytes plus key and value) this implementation writes or reads:
     * {@value}, what a Java array and a CRC over a ByteBuffer can hold. (WALX itself allows
     * up to 2^32+3.)
     */
    public static final long MAX_RECORD_BYTES = Integer.MAX_VALUE - 8;

    private static final System.Logger LOG = System.getLogger(WriteAheadLog.class.getPackageName());
    private static final String SYNC_THREAD_PREFIX = "wal4j-gohacks-sync ";
    /** Encode buffers up to this size are kept for the next append; larger ones are freed. */
    private static final long KEPT_BUFFER_BYTES = 1 << 20;
    private static final byte[] EMPTY = new byte[0];
    /** The permission bits of a file the lock creates (the umask applies), as gohacks' os.OpenFile. */
    private static final int FILE_MODE = 0644;

    private final Path path;
    private final IoBackend io;
    private final IoFile file;
    private final RecoveryReport recovery;
    /** The lock on the file: one writer, across this JVM and across processes. */
    private final ExclusiveLock lock;
    /**
     * Other descriptors of the file, kept open until close where the lock is a POSIX record
     * lock (JavaIo), which closing any descriptor of the file would release.
     */
    private final List<IoFile> heldOpen;

    // Lock order: lifecycle -> syncLock -> appendLock. Replays hold lifecycle's read lock;
    // reset and close its write lock. Syncs are serialized by syncLock and issue fdatasync
    // without appendLock, so appends go on meanwhile.
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private final ReentrantLock syncLock = new ReentrantLock();
    private final ReentrantLock appendLock = new ReentrantLock();

    // Guarded by appendLock.
    private long end;
    private long syncedEnd;
    private long lastLsn;
    private final Arena bufferArena = Arena.ofShared();
    private MemorySegment encodeBuffer;

    private volatile Policy policy;
    private final FailStop failStop;
    private volatile boolean closed;

    // Guarded by syncerGuard.
    private final Object syncerGuard = new Object();
    private IntervalSyncer syncer;
    private boolean closing;

    private WriteAheadLog(Path path, IoBackend io, IoFile file, RecoveryReport recovery, ExclusiveLock lock,
                          List<IoFile> heldOpen) {
        this.path = path;
        this.failStop = new FailStop("WALX log path=" + path);
        this.io = io;
        this.file = file;
        this.recovery = recovery;
        this.lock = lock;
        this.heldOpen = heldOpen;
        this.end = recovery.validBytes();
        this.syncedEnd = end;
        this.lastLsn = recovery.lastLsn();
        this.policy = Policy.defaults();
    }

    // ---------------------------------------------------------------- open

    /**
     * gohacks' {@code OpenWAL}: opens or creates {@code file} with
     * {@code new Policy(syncEveryBytes, Duration.ZERO, 0, 0)}: fdatasync after every
     * {@code syncEveryBytes} appended bytes (0: never on its own), no background sync, keys up
     * to 256 bytes, values up to 2048.
     *
     * @param file the log file
     * @param syncEveryBytes fdatasync once this many bytes were appended since the last sync,
     *     0 or more; 0 = never on its own
     * @return the open log; close it when done
     * @throws IllegalArgumentException if {@code syncEveryBytes} is negative
     * @throws IOException as {@link #open(Path, Policy)} does
     * @see #open(Path, Policy)
     */
    public static WriteAheadLog open(Path file, long syncEveryBytes) throws IOException {
        return open(file, new Policy(syncEveryBytes, Duration.ZERO, 0, 0));
    }

    /**
     * gohacks' {@code OpenWALWithPolicy}: opens or creates {@code file}, through the I/O
     * backend chosen at run time (native calls where enabled, else FileChannel).
     * <ul>
     *   <li>Missing: created with a header ({@code created_at} = now), durably (see the class
     *       comment). Empty (0 bytes): the header is written in place, fdatasynced, and the
     *       directory fsynced.</li>
     *   <li>1 to 23 bytes, or a header with a wrong magic, version or features, or a
     *       {@code created_at} above 2^63-1: {@link InvalidHeader}; the file is not modified.</li>
     *   <li>Otherwise the records are scanned from the header on, with O_DIRECT reads of what
     *       the device holds (see the class comment; where O_DIRECT is refused, after writing
     *       the file back and fdatasyncing it); the log ends at the first invalid record (see
     *       {@link TailState}). Anything after that is cut off (truncate, fdatasync) before
     *       this method returns, and reported in {@link #recovery()}. The directory is
     *       fsynced.</li>
     * </ul>
     *
     * @param file the log file
     * @param policy when the log syncs on its own and how large keys and values may be
     *     ({@link Policy#defaults()} for gohacks' zero Policy)
     * @return the open log; close it when done
     * @throws AlreadyOpenException if the file is open as a log in this process or another one
     * @throws InvalidHeader as above
     * @throws InvalidLog if a well-framed record is larger than {@link #MAX_RECORD_BYTES}
     *     (the file is not modified)
     * @throws java.io.IOException (naming the call, the path and the errno) if a system call failed
     */
    public static WriteAheadLog open(Path file, Policy policy) throws IOException {
        return open(file, policy, IoBackend.select());
    }

    /** {@link #open(Path, Policy)} through {@code io}. */
    static WriteAheadLog open(Path file, Policy policy, IoBackend io) throws IOException {
        return open(file, policy, io, InstantSource.system());
    }

    /** {@link #open(Path, Policy)} through {@code io}, with the clock that dates a new header. */
    static WriteAheadLog open(Path file, Policy policy, IoBackend io, InstantSource clock) throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(io, "io");
        Path dir = file.toAbsolutePath().getParent();
        boolean headerWritten = false;
        if (Files.notExists(file, LinkOption.NOFOLLOW_LINKS)) {
            create(io, file, dir, clock);
            headerWritten = true;
        }
        // Before any other descriptor of the file is opened: see ExclusiveLock
        ExclusiveLock lock;
        try {
            lock = ExclusiveLock.acquire(io, file, FILE_MODE, "gohacks log file=" + file);
        } catch (ExclusiveLock.Held held) {
            throw new AlreadyOpenException(held.getMessage(), held.lockFile(), held.inThisProcess());
        }
        List<IoFile> held = new ArrayList<>();
        IoFile f = null;
        try {
            f = io.open(file, OpenFlag.READ, OpenFlag.WRITE);
            RecoveryReport report = recover(file, dir, io, f, clock, headerWritten, lock, held);
            log(report);
            WriteAheadLog wal = new WriteAheadLog(file, io, f, report, lock, held);
            wal.setPolicy(policy);
            return wal;
        } catch (Throwable t) {
            closeAll(t, f, held, lock);
            throw t;
        }
    }

    /** Closes what a failed open holds, the lock last; adds what fails to {@code t}. */
    private static void closeAll(Throwable t, IoFile f, List<IoFile> held, ExclusiveLock lock) {
        List<AutoCloseable> all = new ArrayList<>();
        all.add(f);
        all.addAll(held);
        all.add(lock);
        IOException failed = Closing.closeAll(null, all);
        if (failed != null) {
            t.addSuppressed(failed);
        }
    }

    /**
     * Writes a header to a temporary file, syncs it and links it into place, never over a file
     * another process created meanwhile (link fails on an existing name, where a rename would
     * replace it and leave that process writing to an unlinked file); where the filesystem
     * has no hard links, renames it.
     */
    private static void create(IoBackend io, Path file, Path dir, InstantSource clock) throws IOException {
        Path temporary = file.resolveSibling(file.getFileName() + ".creating");
        try {
            try (IoFile f = io.open(temporary, OpenFlag.WRITE, OpenFlag.CREATE, OpenFlag.TRUNCATE)) {
                writeHeader(f, clock);
            }
            try {
                Files.createLink(file, temporary);
                Files.delete(temporary);
            } catch (FileAlreadyExistsException createdMeanwhile) {
                Files.delete(temporary); // open goes on with that file: its lock decides who writes
            } catch (UnsupportedOperationException | FileSystemException noHardLinks) {
                if (noHardLinks instanceof FileSystemException && Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                    throw noHardLinks;
                }
                Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (Throwable t) {
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException e) {
                t.addSuppressed(e);
            }
            throw t;
        }
        io.syncDirectory(dir);
    }

    private static void writeHeader(IoFile f, InstantSource clock) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment header = arena.allocate(HEADER_LENGTH, 8);
            WalxFormat.encodeHeader(header, 0, clock.instant().getEpochSecond());
            f.write(0, header);
        }
        f.datasync();
    }

    private static RecoveryReport recover(Path path, Path dir, IoBackend io, IoFile f, InstantSource clock,
                                          boolean created, ExclusiveLock lock, List<IoFile> held) throws IOException {
        long fileBytes = f.size();
        if (fileBytes == 0) {
            writeHeader(f, clock);
            io.syncDirectory(dir);
            return new RecoveryReport(path, true, 0, 0, 0, HEADER_LENGTH, 0, TailState.VALID, "", 0, -1);
        }
        if (fileBytes < HEADER_LENGTH) {
            throw new InvalidHeader(path, fileBytes, "file shorter than a header: headerBytes=" + HEADER_LENGTH, null);
        }
        LogScanner.Result scan;
        IoFile direct = openDirect(io, path);
        if (direct != null && !lock.ownedByDescriptor()) {
            held.add(direct); // closing it would release a POSIX record lock: it stays open until close
        }
        try {
            if (direct != null) {
                checkHeader(path, direct, fileBytes);
                scan = LogScanner.scan(path, direct, fileBytes);
            } else {
                checkHeader(path, f, fileBytes);
                rewriteThroughTheCache(f, fileBytes);
                f.datasync();
                scan = LogScanner.scan(path, f, fileBytes);
            }
        } finally {
            if (direct != null && lock.ownedByDescriptor()) {
                direct.close();
            }
        }
        long dropped = fileBytes - scan.validBytes();
        if (dropped > 0) {
            // Never acknowledged as durable (see RecoveryReport#recordsAfterCut for what records
            // after the cut can be): cut it, durably, before anything is appended after it
            // (gohacks appends after the torn record, where replay never looks). The truncation
            // also drops the cached pages of a failed sync's writes past the cut.
            f.truncate(scan.validBytes());
        }
        // What the scan read came from the device (perhaps only its volatile cache; a crashed
        // process's dirty pages were written back before the O_DIRECT reads), or was rewritten
        // and synced above: this fdatasync makes it, and the cut, durable.
        f.datasync();
        // The name too: an earlier open whose directory fsync failed left a file a power loss
        // may remove, and nothing in the file tells.
        io.syncDirectory(dir);
        return new RecoveryReport(path, created, created ? 0 : fileBytes, scan.records(), scan.lastLsn(),
                scan.validBytes(), dropped, TailState.of(scan.tailState()), scan.tailDetail(), scan.recordsAfterCut(),
                scan.firstRecordAfterCutOffset());
    }

    /**
     * The file opened for O_DIRECT reads, or null where the filesystem refuses O_DIRECT
     * (EINVAL; JavaIo reports errno 0 for it in a non-English locale, and the same file has
     * just opened without O_DIRECT, so 0 means the refusal here).
     *
     * <p>Why open scans through O_DIRECT: after a failed fdatasync Linux marks the lost pages
     * clean and keeps them cached, and reports the error once, to the descriptor that synced.
     * A reopen in the same boot would read the lost records back through the page cache, its
     * own fdatasync would return 0 (nothing dirty), and records acknowledged after them would
     * sit behind a hole that a power loss opens. An O_DIRECT read returns what the device
     * holds, so the scan ends where durable data ends: a lost record's space reads as zeros or
     * old bytes, never a valid WALX record (size 0 is below the minimum). The scan reads the
     * whole file either way; O_DIRECT reads it from the device, in aligned 1 MiB reads, without
     * the page cache (a reopen of a cached file no longer reads at memory speed), and writes
     * nothing.
     */
    private static IoFile openDirect(IoBackend io, Path path) throws IOException {
        IoFile direct = DeviceReads.openOrNull(io, path);
        if (direct == null) {
            LOG.log(System.Logger.Level.DEBUG, "O_DIRECT refused, so open rewrites the file through the page cache"
                    + " and syncs it before scanning it: path={0}", path);
        }
        return direct;
    }

    /**
     * Where O_DIRECT is refused (ramfs, whose pages are never written back, or a filesystem
     * that does write back), open cannot read past the page cache, so it writes every byte of
     * {@code [0, fileBytes)} back through it, from the very buffer each read filled: the next
     * fdatasync then writes them to the device or fails, whatever an earlier failed sync left
     * behind. (The bytes a read returns are either cached, and now dirty, or the device's.)
     */
    static void rewriteThroughTheCache(IoFile f, long fileBytes) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment chunk = arena.allocate(Math.min(fileBytes, ReadWindow.CHUNK_BYTES), 8);
            for (long at = 0; at < fileBytes; ) {
                long got = f.read(at, chunk.asSlice(0, Math.min(chunk.byteSize(), fileBytes - at)));
                if (got == 0) {
                    throw new InvalidLog(f.path(), at, "file shrank while open rewrote it: fileBytes=" + fileBytes);
                }
                f.write(at, chunk.asSlice(0, got));
                at += got;
            }
        }
    }

    private static void checkHeader(Path path, IoFile f, long fileBytes) throws IOException {
        try (ReadWindow window = new ReadWindow(f, HEADER_LENGTH)) {
            long at = window.load(0, HEADER_LENGTH);
            MemorySegment header = window.segment();
            HeaderState state = at < 0 ? HeaderState.TOO_SHORT : WalxFormat.checkHeader(header, at, HEADER_LENGTH);
            String facts = switch (state) {
                case VALID -> null;
                case TOO_SHORT -> "file shorter than a header: headerBytes=" + HEADER_LENGTH;
                case BAD_MAGIC -> "bad magic: magic=0x" + Integer.toHexString(WalxFormat.magic(header, at))
                        + " expected=0x" + Integer.toHexString(WalxFormat.MAGIC);
                case BAD_VERSION -> "unsupported version: version=" + WalxFormat.version(header, at)
                        + " expected=" + WalxFormat.VERSION;
                case UNSUPPORTED_FEATURES -> "unsupported features: features=0x"
                        + Long.toHexString(WalxFormat.features(header, at))
                        + " expected=0x" + Long.toHexString(WalxFormat.SUPPORTED_FEATURES);
                case CREATED_AT_TOO_BIG -> "created_at above 2^63-1: createdAt="
                        + Long.toUnsignedString(WalxFormat.createdAt(header, at));
            };
            if (facts != null) {
                Throwable cause = state == HeaderState.CREATED_AT_TOO_BIG
                        ? new TimestampTooBig("created_at", WalxFormat.createdAt(header, at)) : null;
                throw new InvalidHeader(path, fileBytes, facts, cause);
            }
        }
    }

    private static void log(RecoveryReport report) {
        if (report.recordsAfterCut() > 0) {
            LOG.log(System.Logger.Level.WARNING, "WALX log had an invalid record followed by valid-looking ones; cut"
                    + " them all off (unsynced writes the disk took out of order, never acknowledged; or damage to"
                    + " durable bytes, which WALX cannot tell from that): {0}", report);
        } else if (report.droppedTail()) {
            LOG.log(System.Logger.Level.WARNING, "WALX log had an invalid tail; cut it off: {0}", report);
        } else {
            LOG.log(System.Logger.Level.DEBUG, "WALX log opened: {0}", report);
        }
    }

    // ---------------------------------------------------------------- append

    /**
     * gohacks' {@code Append}: writes one record at the end of the log (one pwrite). Durable
     * as the {@link Policy} says: if this append brings the unsynced bytes to
     * {@link Policy#syncEveryBytes()} or more, it returns after an fdatasync.
     *
     * @param lsn the record's LSN, an unsigned 64-bit value that must be greater than every
     *     LSN in the log ({@link #lastLsn()}); so never 0
     * @param timestamp seconds (gohacks: unix time), {@code >= 0}
     * @param key at most {@link Policy#maxKeyBytes()} bytes; null is empty
     * @param value at most {@link Policy#maxValueBytes()} bytes; null is empty
     * @throws KeyTooLarge if the key is longer than the policy allows
     * @throws ValueTooLarge if the value is longer than the policy allows
     * @throws TimestampNegative if {@code timestamp < 0}
     * @throws RecordTooLarge if the record would exceed {@link #MAX_RECORD_BYTES}
     * @throws IllegalArgumentException if {@code lsn} is not greater than {@link #lastLsn()}
     * @throws java.io.IOException (naming the call, the path and the errno) if the write or the sync failed; the log is then failed
     * @throws IOException if the log failed earlier (the cause is the first failure)
     * @throws IllegalStateException if the log is closed
     */
    public void append(long lsn, long timestamp, byte[] key, byte[] value) throws IOException {
        byte[] k = key == null ? EMPTY : key;
        byte[] v = value == null ? EMPTY : value;
        boolean syncNow;
        appendLock.lock();
        try {
            checkUsable();
            Policy p = policy;
            if (k.length > p.maxKeyBytes()) {
                throw new KeyTooLarge(k.length, p.maxKeyBytes());
            }
            if (v.length > p.maxValueBytes()) {
                throw new ValueTooLarge(v.length, p.maxValueBytes());
            }
            if (timestamp < 0) {
                throw new TimestampNegative(timestamp);
            }
            checkRecordLength(k.length, v.length);
            if (Long.compareUnsigned(lsn, lastLsn) <= 0) {
                throw new IllegalArgumentException("lsn=" + Long.toUnsignedString(lsn)
                        + " must be greater than lastLsn=" + Long.toUnsignedString(lastLsn)
                        + (lastLsn == 0 ? " (LSN 0 is reserved: replay(0, ...) would never return it)" : "")
                        + " path=" + path);
            }
            long length = WalxFormat.recordLength(k.length, v.length);
            try (Arena oversize = length > KEPT_BUFFER_BYTES ? Arena.ofConfined() : null) {
                MemorySegment buffer = oversize != null ? oversize.allocate(length, 8) : encodeBuffer(length);
                WalxFormat.encodeRecord(buffer, 0, lsn, timestamp, MemorySegment.ofArray(k), MemorySegment.ofArray(v));
                try {
                    file.write(end, buffer.asSlice(0, length));
                } catch (IOException e) {
                    throw fail(e);
                }
            }
            end += length;
            lastLsn = lsn;
            syncNow = p.syncsByBytes() && end - syncedEnd >= p.syncEveryBytes();
        } finally {
            appendLock.unlock();
        }
        if (syncNow) {
            syncIfDirty(false);
        }
    }

    /** RecordTooLarge unless a record with these lengths fits {@link #MAX_RECORD_BYTES}. */
    static void checkRecordLength(long keyBytes, long valueBytes) {
        long length = WalxFormat.recordLength(keyBytes, valueBytes);
        if (length > MAX_RECORD_BYTES) {
            throw new RecordTooLarge(length, MAX_RECORD_BYTES);
        }
    }

    /** The kept encode buffer, grown to at least {@code length}. Under appendLock. */
    private MemorySegment encodeBuffer(long length) {
        if (encodeBuffer == null || encodeBuffer.byteSize() < length) {
            Policy p = policy;
            long usual = WalxFormat.recordLength(p.maxKeyBytes(), p.maxValueBytes());
            long grown = Math.max(length, Math.min(KEPT_BUFFER_BYTES,
                    Math.max(usual, encodeBuffer == null ? 0 : 2 * encodeBuffer.byteSize())));
            encodeBuffer = bufferArena.allocate(grown, 8);
        }
        return encodeBuffer;
    }

    // ---------------------------------------------------------------- sync

    /**
     * gohacks' {@code Sync}: fdatasync if anything was appended since the last sync; otherwise
     * a no-op. Appends may go on while it waits for the disk (they are not covered by it).
     *
     * @throws java.io.IOException (naming the call, the path and the errno) if fdatasync failed; the log is then failed (the
     *     sync is not retried: a retry could claim durability the kernel did not provide)
     * @throws IOException if the log failed earlier
     * @throws IllegalStateException if the log is closed
     */
    public void sync() throws IOException {
        syncIfDirty(true);
    }

    /**
     * Syncs up to the current end. {@code explicit}: a caller asked (a closed log throws);
     * otherwise an append or the background thread did, and a closed log (which close
     * synced) is left alone.
     */
    private void syncIfDirty(boolean explicit) throws IOException {
        syncLock.lock();
        try {
            long target;
            appendLock.lock();
            try {
                if (explicit) {
                    checkUsable();
                } else {
                    checkNotFailed();
                    if (closed) {
                        return;
                    }
                }
                if (end == syncedEnd) {
                    return;
                }
                target = end;
            } finally {
                appendLock.unlock();
            }
            try {
                file.datasync();
            } catch (IOException e) {
                throw fail(e);
            }
            appendLock.lock();
            try {
                syncedEnd = Math.max(syncedEnd, target);
            } finally {
                appendLock.unlock();
            }
        } finally {
            syncLock.unlock();
        }
    }

    /** The background thread's task: false stops the thread (the log failed). */
    private boolean syncInBackground() {
        try {
            syncIfDirty(false);
            return true;
        } catch (IOException e) {
            return false; // fail() logged the failure when it happened
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "background sync stopped: path=" + path, e);
            return false;
        }
    }

    // ---------------------------------------------------------------- policy

    /**
     * gohacks' {@code SetPolicy}: replaces the policy. The limits apply to later appends; the
     * byte threshold is checked at the next append; the background sync thread is started,
     * restarted with the new interval, or stopped (and waited for) as {@link Policy#syncEvery()}
     * says. On a failed log the policy is stored but no thread is started.
     *
     * @param policy the policy from now on
     * @throws NullPointerException if {@code policy} is null
     * @throws IllegalStateException if the log is closed
     */
    public void setPolicy(Policy policy) {
        Objects.requireNonNull(policy, "policy");
        synchronized (syncerGuard) {
            if (closing) {
                throw closedException();
            }
            Policy previous = this.policy;
            this.policy = policy;
            boolean sameInterval = syncer != null && previous.syncEvery().equals(policy.syncEvery());
            if (sameInterval) {
                return;
            }
            if (syncer != null) {
                syncer.stop();
                syncer = null;
            }
            if (policy.syncsByTime() && !failStop.hasFailed()) {
                syncer = new IntervalSyncer(SYNC_THREAD_PREFIX + path, policy.syncEvery(), this::syncInBackground);
                syncer.start();
            }
        }
    }

    /**
     * The policy in force.
     *
     * @return the policy given at open or by the last {@link #setPolicy}, defaults filled in
     */
    public Policy policy() {
        return policy;
    }

    // ---------------------------------------------------------------- replay

    /**
     * gohacks' {@code Replay}: calls {@code callback} for each record with an LSN greater
     * (unsigned) than {@code baseLsn}, in log order, up to the end of the log as it was when
     * replay started (appends made meanwhile are not included). Reads in large sequential
     * chunks. If the callback throws, replay stops and the exception propagates unchanged.
     *
     * @param <X> the checked exception the callback may throw
     * @param baseLsn deliver the records with an LSN greater than this, compared unsigned; 0
     *     for every record
     * @param callback receives each record
     * @return the greatest LSN passed to the callback, or {@code baseLsn} if none was
     * @throws InvalidLog if a record before the end of the log is invalid, or the file is
     *     shorter than the log (it changed underneath this log: corruption or another writer)
     * @throws X what the callback threw
     * @throws IOException if a read failed, or the log failed earlier
     * @throws IllegalStateException if the log is closed
     */
    public <X extends Exception> long replay(long baseLsn, ApplyCallback<X> callback) throws IOException, X {
        Objects.requireNonNull(callback, "callback");
        lifecycle.readLock().lock();
        try {
            long logEnd;
            appendLock.lock();
            try {
                checkUsable();
                logEnd = end;
            } finally {
                appendLock.unlock();
            }
            long highest = baseLsn;
            try (ReadWindow window = new ReadWindow(file, logEnd)) {
                long position = HEADER_LENGTH;
                while (position < logEnd) {
                    long available = logEnd - position;
                    long at = loadForReplay(window, position, Math.min(available, KEY_OFFSET));
                    MemorySegment seg = window.segment();
                    RecordState state = WalxFormat.checkFraming(seg, at, available);
                    if (state == RecordState.VALID) {
                        long length = SIZE_LENGTH + WalxFormat.size(seg, at);
                        if (length > MAX_RECORD_BYTES) {
                            throw new InvalidLog(path, position, "record larger than open accepted: recordBytes=" + length);
                        }
                        at = loadForReplay(window, position, length);
                        seg = window.segment();
                        state = WalxFormat.checkRecord(seg, at, available);
                    }
                    if (state != RecordState.VALID) {
                        throw new InvalidLog(path, position, "invalid record before the end of the log: state=" + state
                                + " " + LogScanner.describe(state, seg, at, available) + " logEnd=" + logEnd);
                    }
                    long lsn = WalxFormat.lsn(seg, at);
                    if (Long.compareUnsigned(lsn, baseLsn) > 0) {
                        byte[] key = WalxFormat.key(seg, at).toArray(ValueLayout.JAVA_BYTE);
                        byte[] value = WalxFormat.value(seg, at).toArray(ValueLayout.JAVA_BYTE);
                        callback.apply(lsn, WalxFormat.timestamp(seg, at), key, value);
                        if (Long.compareUnsigned(lsn, highest) > 0) {
                            highest = lsn;
                        }
                    }
                    position += SIZE_LENGTH + WalxFormat.size(seg, at);
                }
            }
            return highest;
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    private long loadForReplay(ReadWindow window, long position, long length) throws IOException {
        long at = window.load(position, length);
        if (at < 0) {
            throw new InvalidLog(path, position, "file is shorter than the log: wanted=" + (position + length));
        }
        return at;
    }

    // ---------------------------------------------------------------- reset, close

    /**
     * gohacks' {@code Reset}: discards every record (truncates the file to its header), then
     * fdatasyncs. {@link #lastLsn()} is 0 afterwards, so LSNs may start again. Waits for
     * running replays.
     *
     * @throws java.io.IOException (naming the call, the path and the errno) if truncate or fdatasync failed; the log is then failed
     * @throws IOException if the log failed earlier
     * @throws IllegalStateException if the log is closed, or if called from a replay callback
     */
    public void reset() throws IOException {
        refuseInsideReplay("reset");
        lifecycle.writeLock().lock();
        syncLock.lock();
        appendLock.lock();
        try {
            checkUsable();
            try {
                file.truncate(HEADER_LENGTH);
                file.datasync();
            } catch (IOException e) {
                throw fail(e);
            }
            end = HEADER_LENGTH;
            syncedEnd = HEADER_LENGTH;
            lastLsn = 0;
        } finally {
            appendLock.unlock();
            syncLock.unlock();
            lifecycle.writeLock().unlock();
        }
    }

    /**
     * gohacks' {@code Close}: stops the background sync thread (waiting for it), fdatasyncs if
     * anything is unsynced, closes the file. Waits for running replays. Idempotent: later
     * calls return at once. On a failed log it releases everything and throws the failure.
     *
     * @throws java.io.IOException (naming the call, the path and the errno) if the final fdatasync or the close failed (the file is
     *     closed anyway)
     * @throws IOException if the log had failed earlier (the cause is the first failure)
     * @throws IllegalStateException if called from a replay callback
     */
    @Override
    public void close() throws IOException {
        refuseInsideReplay("close");
        IntervalSyncer running;
        synchronized (syncerGuard) {
            closing = true;
            running = syncer;
            syncer = null;
        }
        if (running != null) {
            running.stop();
        }
        lifecycle.writeLock().lock();
        syncLock.lock();
        appendLock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            IOException error = failStop.hasFailed() ? failedException() : null;
            if (error == null && end != syncedEnd) {
                try {
                    file.datasync();
                    syncedEnd = end;
                } catch (IOException e) {
                    error = fail(e);
                }
            }
            List<AutoCloseable> descriptors = new ArrayList<>(List.of(file));
            descriptors.addAll(heldOpen);
            descriptors.add(lock); // last: the file is no longer written when another writer may take it
            error = Closing.closeAll(error, descriptors);
            bufferArena.close();
            encodeBuffer = null;
            if (error != null) {
                throw error;
            }
        } finally {
            appendLock.unlock();
            syncLock.unlock();
            lifecycle.writeLock().unlock();
        }
    }

    // ---------------------------------------------------------------- accessors

    /**
     * The log's file.
     *
     * @return the path the log was opened on
     */
    public Path path() {
        return path;
    }

    /**
     * What open found and did: records, dropped tail, records after the cut.
     *
     * @return the recovery report
     */
    public RecoveryReport recovery() {
        return recovery;
    }

    /**
     * The greatest LSN in the log (unsigned; 0 when it is empty): the next append needs a
     * greater one.
     *
     * @return the greatest LSN, as an unsigned 64-bit value ({@link Long#toUnsignedString}), 0
     *     for an empty log
     */
    public long lastLsn() {
        appendLock.lock();
        try {
            return lastLsn;
        } finally {
            appendLock.unlock();
        }
    }

    /**
     * The log's length: the header and the records.
     *
     * @return the length in bytes, including the 24-byte header
     */
    public long sizeBytes() {
        appendLock.lock();
        try {
            return end;
        } finally {
            appendLock.unlock();
        }
    }

    /**
     * The I/O backend in use.
     *
     * @return {@code "posix"} or {@code "java"}
     */
    public String ioBackend() {
        return io.name();
    }

    /**
     * Whether a write or sync failed; every operation of a failed log throws.
     *
     * @return true if the log has failed
     */
    public boolean isFailed() {
        return failStop.hasFailed();
    }

    /** The background sync thread, or null: for tests. */
    Thread syncThread() {
        synchronized (syncerGuard) {
            return syncer == null ? null : syncer.thread();
        }
    }

    @Override
    public String toString() {
        return "WriteAheadLog[path=" + path + " io=" + io.name() + (closed ? " closed" : "")
                + (failStop.hasFailed() ? " failed" : "") + "]";
    }

    // ---------------------------------------------------------------- state

    /** Marks the log failed with its first failure; returns {@code e} for the caller to throw. */
    private IOException fail(IOException e) {
        failStop.fail(e);
        return e;
    }

    private void checkUsable() throws IOException {
        if (closed) {
            throw closedException();
        }
        checkNotFailed();
    }

    private void checkNotFailed() throws IOException {
        if (failStop.hasFailed()) {
            throw failedException();
        }
    }

    private IOException failedException() {
        IOException first = failStop.failure();
        return new IOException("log failed earlier; reopen to recover: path=" + path + " firstFailure="
                + first.getMessage(), first);
    }

    private IllegalStateException closedException() {
        return new IllegalStateException("log is closed: path=" + path);
    }

    private void refuseInsideReplay(String operation) {
        if (lifecycle.getReadHoldCount() > 0) {
            throw new IllegalStateException(operation + " called from a replay callback (it waits for replays "
                    + "to finish, so it would wait forever): path=" + path);
        }
    }
}

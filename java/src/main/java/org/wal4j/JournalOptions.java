package org.wal4j;

import org.wal4j.format.JournalFormat;

/**
 * How a {@link Journal} is opened. Immutable; build with {@link #builder()}. Every default
 * is stated on its builder method.
 */
public final class JournalOptions {
    private final long segmentBytes;
    private final IndexMode indexMode;
    private final SyncPolicy syncPolicy;
    private final String ioBackend;
    private final int maxKeyBytes;
    private final int maxValueBytes;
    private final int writeBufferBytes;
    private final RecoveryMode recoveryMode;
    private final boolean strictTail;
    private final boolean preallocate;
    private final int recycleSegments;
    private final long maxRecordBytes;
    private final boolean verifyOnOpen;
    private final boolean createIfMissing;
    private final boolean errorIfExists;
    private final boolean direct;
    private final boolean directFallback;
    private final java.time.Duration followerSpin;
    private final int fileMode;

    private JournalOptions(Builder b) {
        this.segmentBytes = b.segmentBytes;
        this.indexMode = b.indexMode;
        this.syncPolicy = b.syncPolicy;
        this.ioBackend = b.ioBackend;
        this.maxKeyBytes = b.maxKeyBytes;
        this.maxValueBytes = b.maxValueBytes;
        this.writeBufferBytes = b.writeBufferBytes;
        this.recoveryMode = b.recoveryMode;
        this.strictTail = b.strictTail;
        this.preallocate = b.preallocate;
        this.recycleSegments = b.recycleSegments;
        this.verifyOnOpen = b.verifyOnOpen;
        this.createIfMissing = b.createIfMissing;
        this.errorIfExists = b.errorIfExists;
        this.direct = b.direct;
        this.directFallback = b.directFallback;
        this.followerSpin = b.followerSpin;
        this.fileMode = b.fileMode;
        this.maxRecordBytes = b.maxRecordBytes >= 0 ? b.maxRecordBytes : (long) maxKeyBytes + maxValueBytes;
        long maxFrame = maxFrameBytes();
        if (segmentBytes < JournalFormat.HEADER_BLOCK_BYTES + maxFrame) {
            throw new IllegalArgumentException("segmentBytes=" + segmentBytes + " cannot hold the largest record: "
                    + "header " + JournalFormat.HEADER_BLOCK_BYTES + " + frame " + maxFrame
                    + " (maxKeyBytes=" + maxKeyBytes + " maxValueBytes=" + maxValueBytes + "): lower maxValueBytes"
                    + " (or maxKeyBytes) to fit, or raise segmentBytes to at least "
                    + JournalFormat.align(JournalFormat.HEADER_BLOCK_BYTES + maxFrame + 4095) / 4096 * 4096);
        }
    }

    /**
     * The options with every default, as each builder method states it.
     *
     * @return the default options
     */
    public static JournalOptions defaults() {
        return builder().build();
    }

    /**
     * A builder with every option at its default.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The size of a segment file ({@link Builder#segmentBytes}).
     *
     * @return the size in bytes, a multiple of 4096
     */
    public long segmentBytes() {
        return segmentBytes;
    }

    /**
     * How much of each segment's LSN index is kept in memory ({@link Builder#indexMode}).
     *
     * @return the index mode
     */
    public IndexMode indexMode() {
        return indexMode;
    }

    /**
     * When appends become durable, at open ({@link Builder#syncPolicy(SyncPolicy)}).
     *
     * @return the sync policy the journal opens with
     */
    public SyncPolicy syncPolicy() {
        return syncPolicy;
    }

    /**
     * Whether the active segment is written with O_DIRECT ({@link Builder#direct}).
     *
     * @return true if O_DIRECT was asked for
     */
    public boolean direct() {
        return direct;
    }

    /**
     * Whether a refused O_DIRECT falls back to buffered writes ({@link Builder#directFallback}).
     *
     * @return true if it falls back, false if open fails
     */
    public boolean directFallback() {
        return directFallback;
    }

    /**
     * How long a group-commit follower yields before it parks ({@link Builder#followerSpin}).
     *
     * @return the spin time, zero to one second
     */
    public java.time.Duration followerSpin() {
        return followerSpin;
    }

    /**
     * The I/O backend asked for ({@link Builder#ioBackend}).
     *
     * @return {@code "posix"}, {@code "java"} or {@code "auto"}
     */
    public String ioBackend() {
        return ioBackend;
    }

    /**
     * The largest key an append takes ({@link Builder#maxKeyBytes}).
     *
     * @return the limit in bytes, 0 to 65535
     */
    public int maxKeyBytes() {
        return maxKeyBytes;
    }

    /**
     * The largest value an append takes ({@link Builder#maxValueBytes}).
     *
     * @return the limit in bytes, 0 to 1 GiB
     */
    public int maxValueBytes() {
        return maxValueBytes;
    }

    /**
     * The size of the staging buffer appends are encoded into ({@link Builder#writeBufferBytes}).
     *
     * @return the size in bytes, at least 4096
     */
    public int writeBufferBytes() {
        return writeBufferBytes;
    }

    /**
     * What open does on damage inside a sealed segment ({@link Builder#recoveryMode}).
     *
     * @return the recovery mode
     */
    public RecoveryMode recoveryMode() {
        return recoveryMode;
    }

    /**
     * Whether valid-looking frames after a torn tail fail the open ({@link Builder#strictTail}).
     *
     * @return true if they fail it, false if they are reported and cut
     */
    public boolean strictTail() {
        return strictTail;
    }

    /**
     * The largest key + value of one record (see {@link Builder#maxRecordBytes}).
     *
     * @return the limit in bytes; if none was set, {@link #maxKeyBytes()} + {@link #maxValueBytes()}
     */
    public long maxRecordBytes() {
        return maxRecordBytes;
    }

    /**
     * Whether segment files are zero-filled before records go into them ({@link Builder#preallocate}).
     *
     * @return true if they are
     */
    public boolean preallocate() {
        return preallocate;
    }

    /**
     * Whether open scans every sealed segment ({@link Builder#verifyOnOpen}).
     *
     * @return true if it does
     */
    public boolean verifyOnOpen() {
        return verifyOnOpen;
    }

    /**
     * Whether open creates a journal where there is none ({@link Builder#createIfMissing}).
     *
     * @return true if it does, false if it fails
     */
    public boolean createIfMissing() {
        return createIfMissing;
    }

    /**
     * Whether open fails if the directory already holds a journal ({@link Builder#errorIfExists}).
     *
     * @return true if it fails
     */
    public boolean errorIfExists() {
        return errorIfExists;
    }

    /**
     * How many removed segment files an O_DIRECT journal keeps for reuse ({@link Builder#recycleSegments}).
     *
     * @return the number of files, 0 (off) to 64
     */
    public int recycleSegments() {
        return recycleSegments;
    }

    /**
     * The permission bits of the files (and directories) the journal creates, before the
     * umask ({@link Builder#fileMode}).
     *
     * @return the mode bits, e.g. {@code 0600}
     */
    public int fileMode() {
        return fileMode;
    }

    /**
     * The largest frame a record within the limits takes: header, key, value and alignment.
     *
     * @return the frame size in bytes
     */
    public long maxFrameBytes() {
        return Math.min(JournalFormat.recordFrameBytes(maxKeyBytes, maxValueBytes), JournalFormat.recordFrameBytes(0, maxRecordBytes));
    }

    /** Builds {@link JournalOptions}; each setter states its default. */
    public static final class Builder {
        private long segmentBytes = 64L << 20;
        private IndexMode indexMode = IndexMode.full();
        private SyncPolicy syncPolicy = SyncPolicy.always();
        private String ioBackend = "auto";
        private int maxKeyBytes = 1024;
        private int maxValueBytes = 16 << 20;
        private int writeBufferBytes = 1 << 20;
        private RecoveryMode recoveryMode = RecoveryMode.FAIL;
        private boolean strictTail;
        private boolean preallocate = true;
        private int recycleSegments = 2;
        private long maxRecordBytes = -1;
        private boolean verifyOnOpen;
        private boolean createIfMissing = true;
        private boolean errorIfExists;
        private boolean direct;
        private boolean directFallback;
        private java.time.Duration followerSpin = java.time.Duration.ZERO;
        private int fileMode = 0600;

        private Builder() {}

        /**
         * Size of a segment file; a new one starts when the next record would not fit. It
         * must hold the 4096-byte header block and the largest record's frame, which
         * {@link #build()} checks. Default 64 MiB.
         *
         * @param bytes the size in bytes: a multiple of 4096, at least 8192
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is not a multiple of 4096 or below 8192
         */
        public Builder segmentBytes(long bytes) {
            if (bytes < 2 * JournalFormat.HEADER_BLOCK_BYTES || bytes % JournalFormat.HEADER_BLOCK_BYTES != 0) {
                throw new IllegalArgumentException("segmentBytes=" + bytes + " must be a multiple of 4096, >= 8192");
            }
            this.segmentBytes = bytes;
            return this;
        }

        /**
         * Per-segment LSN index. Default {@link IndexMode#full()}.
         *
         * @param mode the index mode
         * @return this builder
         * @throws NullPointerException if {@code mode} is null
         */
        public Builder indexMode(IndexMode mode) {
            this.indexMode = java.util.Objects.requireNonNull(mode, "indexMode");
            return this;
        }

        /**
         * When appends become durable: {@link SyncPolicy#of(SyncMode)} (INTERVAL with its
         * default bounds). Default {@link SyncMode#ALWAYS}.
         *
         * @param mode the sync mode
         * @return this builder
         * @throws NullPointerException if {@code mode} is null
         */
        public Builder syncPolicy(SyncMode mode) {
            this.syncPolicy = SyncPolicy.of(java.util.Objects.requireNonNull(mode, "mode"));
            return this;
        }

        /**
         * When appends become durable, with INTERVAL's bounds. Default {@link SyncPolicy#always()}:
         * an append returns once its record is on the disk. NONE and INTERVAL are for callers
         * that make records durable themselves ({@link Journal#sync}) or accept losing the
         * last ones on power loss; they must say so (docs/decisions.md, "The default sync
         * policy is ALWAYS").
         *
         * @param policy the sync policy
         * @return this builder
         * @throws NullPointerException if {@code policy} is null
         */
        public Builder syncPolicy(SyncPolicy policy) {
            this.syncPolicy = java.util.Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * Whether the active segment is written with O_DIRECT from the aligned staging buffer:
         * each write goes from the block holding the last written byte through the padded end
         * of the last frame, so a partial tail block is rewritten (with the same bytes before
         * the new frames), never skipped. O_DIRECT alone is not durable: fdatasync still
         * follows as the sync mode says. Reads go through a separate buffered descriptor.
         * If the filesystem refuses O_DIRECT, open fails naming the errno, unless
         * {@link #directFallback} is set. Default false.
         *
         * @param direct true to write with O_DIRECT
         * @return this builder
         */
        public Builder direct(boolean direct) {
            this.direct = direct;
            return this;
        }

        /**
         * With {@link #direct(boolean) direct(true)}: when the filesystem refuses O_DIRECT
         * (EINVAL), write buffered instead, log it once, and report it in
         * {@link Journal#isDirect()}. Default false: open fails.
         *
         * @param fallback true to fall back to buffered writes
         * @return this builder
         */
        public Builder directFallback(boolean fallback) {
            this.directFallback = fallback;
            return this;
        }

        /**
         * The I/O backend: {@code "posix"} (libc calls through the FFM API: Linux x86-64 with
         * native access enabled), {@code "java"} (NIO channels), or {@code "auto"}: posix where
         * it is available, else java, unless the system property {@code wal4j.io} names one
         * ({@code -Dwal4j.io=java}: the operator's choice for every journal and port the JVM
         * opens). With {@code "posix"} where it is unavailable, open throws
         * {@link IllegalStateException} saying why. {@link Journal#ioBackend()} says which one
         * a journal got. Default {@code "auto"}.
         *
         * @param name {@code "posix"}, {@code "java"} or {@code "auto"}
         * @return this builder
         * @throws IllegalArgumentException if {@code name} is none of those
         */
        public Builder ioBackend(String name) {
            java.util.Objects.requireNonNull(name, "name");
            if (!name.equals("posix") && !name.equals("java") && !name.equals("auto")) {
                throw new IllegalArgumentException("ioBackend=" + name + " (expected posix, java or auto)");
            }
            this.ioBackend = name;
            return this;
        }

        /**
         * Largest key an append takes. Default 1024.
         *
         * @param bytes the limit in bytes, 0 to 65535 (the format's limit)
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is outside [0, 65535]
         */
        public Builder maxKeyBytes(int bytes) {
            if (bytes < 0 || bytes > JournalFormat.MAX_KEY_BYTES) {
                throw new IllegalArgumentException("maxKeyBytes=" + bytes + " must be in [0, 65535]");
            }
            this.maxKeyBytes = bytes;
            return this;
        }

        /**
         * Largest value an append takes. Default 16 MiB.
         *
         * @param bytes the limit in bytes, 0 to 1 GiB
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is outside [0, 1 GiB]
         */
        public Builder maxValueBytes(int bytes) {
            if (bytes < 0 || bytes > (1 << 30)) {
                throw new IllegalArgumentException("maxValueBytes=" + bytes + " must be in [0, 1 GiB]");
            }
            this.maxValueBytes = bytes;
            return this;
        }

        /**
         * Largest key + value of one record, checked in addition to the key and value limits.
         * Default: maxKeyBytes + maxValueBytes (no further limit).
         *
         * @param bytes the limit in bytes, 0 to 1 GiB + 65535
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is outside [0, 1 GiB + 65535]
         */
        public Builder maxRecordBytes(long bytes) {
            if (bytes < 0 || bytes > (1L << 30) + JournalFormat.MAX_KEY_BYTES) {
                throw new IllegalArgumentException("maxRecordBytes=" + bytes + " must be in [0, 1 GiB + 65535]");
            }
            this.maxRecordBytes = bytes;
            return this;
        }

        /**
         * The in-memory staging buffer appends are encoded into before a write; a full buffer
         * is written out. Default 1 MiB.
         *
         * @param bytes the buffer's size in bytes, at least 4096
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is below 4096
         */
        public Builder writeBufferBytes(int bytes) {
            if (bytes < 4096) {
                throw new IllegalArgumentException("writeBufferBytes=" + bytes + " must be >= 4096");
            }
            this.writeBufferBytes = bytes;
            return this;
        }

        /**
         * What open does on damage inside a sealed segment. Default {@link RecoveryMode#FAIL}.
         *
         * @param mode the recovery mode
         * @return this builder
         * @throws NullPointerException if {@code mode} is null
         */
        public Builder recoveryMode(RecoveryMode mode) {
            this.recoveryMode = java.util.Objects.requireNonNull(mode, "recoveryMode");
            return this;
        }

        /**
         * Whether valid-looking frames after a torn tail fail the open (they mean an unsynced
         * write reached the disk out of order). Default false: they are reported and cut.
         *
         * @param strict true to fail the open
         * @return this builder
         */
        public Builder strictTail(boolean strict) {
            this.strictTail = strict;
            return this;
        }

        /**
         * Whether segment files are written full of zeros to their {@link #segmentBytes}
         * before records go into them, so that appends are pure overwrites of written blocks:
         * fdatasync then has no metadata (block allocation, unwritten-extent conversion, file
         * size) to write, and the disk cannot fill up mid-segment on an overwrite-in-place
         * filesystem (ext4, XFS). The next segment is prepared by a background thread while
         * the active one fills (the first is written at the first append); the directory is
         * fsynced before it is used. Both backends. Costs one extra write of each segment.
         * Default true.
         *
         * @param preallocate true to zero-fill segments ahead of use
         * @return this builder
         */
        public Builder preallocate(boolean preallocate) {
            this.preallocate = preallocate;
            return this;
        }

        /**
         * How many files of segments removed by {@link Journal#truncateFront} or
         * {@link Journal#reset} an O_DIRECT journal keeps, renamed aside, to write its next
         * segments into instead of zero-filling new ones (RocksDB's
         * {@code recycle_log_file_num}): a journal that checkpoints then writes each byte
         * once, not twice. A recycled segment's header says so; recovery ends its log at the
         * first frame that is not its own, as it does at zeros (the former segment's frames
         * have another salt and LSNs below the new segment's). A torn last write whose record
         * header reached the disk is cut and reported there as anywhere; one torn before its
         * header did cannot be told from the former contents, and is cut without a report.
         * Applies only with {@link #preallocate} and
         * O_DIRECT ({@link #direct}): a buffered write of part of a page that is not cached
         * reads the page first, which a recycled file's old pages would make every small
         * append pay. Only files of exactly {@link #segmentBytes} are kept; the rest, and any
         * beyond this count, are deleted. Kept files are deleted by {@link Journal#close} and
         * at open. 0 turns it off. Default 2.
         *
         * @param files how many files to keep, 0 to 64
         * @return this builder
         * @throws IllegalArgumentException if {@code files} is outside [0, 64]
         */
        public Builder recycleSegments(int files) {
            if (files < 0 || files > 64) {
                throw new IllegalArgumentException("recycleSegments=" + files + " must be in [0, 64]");
            }
            this.recycleSegments = files;
            return this;
        }

        /**
         * Whether open scans every sealed segment and checks it ends where its successor
         * recorded (reads the whole journal). Default false: open scans the active segment
         * and any sealed segment not known to be durable; a durable sealed segment is scanned
         * and checked when first read, and damage there is a {@code CorruptionException} from
         * that read. {@link RecoveryMode#STOP} always verifies at open (it must find the
         * damage to stop before it).
         *
         * @param verify true to scan every segment at open
         * @return this builder
         */
        public Builder verifyOnOpen(boolean verify) {
            this.verifyOnOpen = verify;
            return this;
        }

        /**
         * Whether open creates a journal where there is none (no directory, or one without
         * segment files). Default true. With false, a mistyped path fails with
         * {@link java.nio.file.NoSuchFileException} instead of giving a new, empty journal.
         *
         * @param create true to create a missing journal
         * @return this builder
         */
        public Builder createIfMissing(boolean create) {
            this.createIfMissing = create;
            return this;
        }

        /**
         * Whether open fails if the directory already holds a journal (segment files), with
         * {@link java.nio.file.FileAlreadyExistsException}. Default false.
         *
         * @param error true to fail on an existing journal
         * @return this builder
         */
        public Builder errorIfExists(boolean error) {
            this.errorIfExists = error;
            return this;
        }

        /**
         * How long an ALWAYS appender whose record waits for another thread's fdatasync
         * (group commit) yields in a loop before it parks. Spinning keeps the cores busy, so
         * the appender sees the sync's end at once instead of being woken (an idle virtual CPU
         * takes tens of microseconds to wake); it costs CPU time for as long as it lasts, and
         * helps only with many concurrent appenders (see docs/measurements.md). Default
         * {@link java.time.Duration#ZERO}: park at once.
         *
         * @param spin the spin time, zero to one second
         * @return this builder
         * @throws IllegalArgumentException if {@code spin} is negative or longer than one second
         */
        public Builder followerSpin(java.time.Duration spin) {
            java.util.Objects.requireNonNull(spin, "spin");
            if (spin.isNegative() || spin.compareTo(java.time.Duration.ofSeconds(1)) > 0) {
                throw new IllegalArgumentException("followerSpin=" + spin + " must be in [0, 1s]");
            }
            this.followerSpin = spin;
            return this;
        }

        /**
         * The permission bits the journal creates its files with (segments, spares, the lock
         * file), as {@code open(2)} takes them: the process's umask still applies. A directory
         * the journal creates gets the same bits plus search ({@code x}) wherever read is
         * given (0600: 0700). Records are often a database's contents, so the default is
         * 0600: owner only. 0640 or 0644 let a group or everyone read the journal (a backup
         * user, a tool run as another user); the owner must keep read and write.
         * Existing files keep their mode. Default 0600.
         *
         * @param mode the permission bits, at most 0777, including 0600
         * @return this builder
         * @throws IllegalArgumentException if {@code mode} has bits outside 0777 or lacks owner
         *     read or write
         */
        public Builder fileMode(int mode) {
            if ((mode & ~0777) != 0 || (mode & 0600) != 0600) {
                throw new IllegalArgumentException("fileMode=0" + Integer.toOctalString(mode)
                        + " must be permission bits (at most 0777) that give the owner read and write (0600)");
            }
            this.fileMode = mode;
            return this;
        }

        /**
         * Builds the options.
         *
         * @return the options
         * @throws IllegalArgumentException if a segment of {@link #segmentBytes} cannot hold
         *     the header block and the largest record's frame the key, value and record limits
         *     allow (the message says which size would)
         */
        public JournalOptions build() {
            return new JournalOptions(this);
        }
    }
}

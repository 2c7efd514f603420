package org.wal4j.jraft;

import com.alipay.sofa.jraft.conf.Configuration;
import com.alipay.sofa.jraft.conf.ConfigurationEntry;
import com.alipay.sofa.jraft.conf.ConfigurationManager;
import com.alipay.sofa.jraft.entity.EnumOutter.EntryType;
import com.alipay.sofa.jraft.entity.LogEntry;
import com.alipay.sofa.jraft.entity.LogId;
import com.alipay.sofa.jraft.entity.codec.LogEntryDecoder;
import com.alipay.sofa.jraft.entity.codec.LogEntryEncoder;
import com.alipay.sofa.jraft.option.LogStorageOptions;
import com.alipay.sofa.jraft.option.RaftOptions;
import com.alipay.sofa.jraft.storage.LogStorage;
import com.alipay.sofa.jraft.util.Describer;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wal4j.Batch;
import org.wal4j.Journal;
import org.wal4j.JournalClosedException;
import org.wal4j.JournalFailedException;
import org.wal4j.JournalOptions;
import org.wal4j.JournalRecord;
import org.wal4j.LsnNotFoundException;
import org.wal4j.SyncPolicy;

/**
 * A SOFAJRaft {@link LogStorage} on a wal4j {@link Journal}: one journal directory per Raft
 * group, the Raft log index as the journal's LSN.
 *
 * <p>Each entry is one journal record: its value is the entry as JRaft's configured
 * {@code LogEntryCodecFactory} encodes it (V2 by default), so JRaft's own decoder reads it;
 * its timestamp field holds the entry's term, and its key is one byte, the entry's type
 * number, so that open finds the configuration entries without decoding the others and
 * {@code wal4j dump} shows both.
 *
 * <p>Semantics are those of JRaft's own storages: an empty log has first index 1 and last
 * index 0; the first index follows the first entry appended, which need not be 1; after
 * {@link #reset(long) reset(n)} the log holds exactly one entry, at n: the old entry at n if
 * the log had it, else a no-op entry (n, term 0). Indexes start at 1 (a journal LSN is
 * positive; JRaft never writes index 0): an entry at index 0 or below is refused.
 *
 * <p>Durability. With {@code RaftOptions.sync} (JRaft's default) the journal runs in
 * {@code SyncPolicy.always()}: {@link #appendEntries} returns once every entry is durable,
 * in one write and one fdatasync for the batch, shared with concurrent appenders of the same
 * journal. Without it, a background sync makes entries durable within 10 ms or 1 MiB
 * ({@link SyncPolicy#interval}): a crash of the process or of the machine loses at most the
 * entries of that window, and nothing older. {@link #truncatePrefix} of an index beyond the
 * last entry, {@link #truncateSuffix} and {@link #reset} are durable when they return.
 * {@link #truncatePrefix} within the log deletes the journal's segments that lie wholly below
 * the index and hides the entries below it. The first index is not recorded on disk: after
 * a restart, entries below it that shared a segment with kept ones are visible again (they
 * are committed entries the snapshot covers), until JRaft's next snapshot truncates the log
 * again.
 *
 * <p>Errors. A failed write or sync puts the journal in fail-stop: the call that met it, and
 * every later append, returns failure to JRaft (which reports an EIO error and stops the node
 * from leading), and the cause is logged once. A failed append is never reported as appended.
 * Reads that fail return null, as JRaft's storages do, and are logged.
 */
public class Wal4jLogStorage implements LogStorage, Describer {
    private static final Logger LOG = LoggerFactory.getLogger(Wal4jLogStorage.class);
    /** The one-byte keys, by entry type number. */
    private static final MemorySegment[] TYPE_KEYS = new MemorySegment[256];

    static {
        for (int i = 0; i < TYPE_KEYS.length; i++) {
            TYPE_KEYS[i] = MemorySegment.ofArray(new byte[] {(byte) i});
        }
    }

    private final Path dir;
    private final JournalOptions options;
    private volatile Journal journal;
    private LogEntryEncoder encoder;
    private LogEntryDecoder decoder;
    /** Entries below this are gone to JRaft (truncatePrefix), though their segment may stay; 0: none hidden. */
    private volatile long hiddenBelow;
    private final AtomicBoolean failureLogged = new AtomicBoolean();
    /**
     * The batch the last append used, kept for the next: a {@link Batch} holds a 64 KiB
     * off-heap buffer, and making one per call (JRaft appends on one thread, a batch per call)
     * cost more than the append. An append that finds it taken (a reset on another thread)
     * makes its own.
     */
    private final AtomicReference<Batch> spareBatch = new AtomicReference<>();

    /**
     * A storage in {@code path} whose sync policy follows {@code raftOptions.isSync()}:
     * {@code SyncPolicy.always()} if set, else {@code SyncPolicy.interval} (1 MiB, 10 ms);
     * every other journal option is the default.
     *
     * @param path the journal's directory (created by {@link #init} if missing)
     * @param raftOptions the node's Raft options
     */
    public Wal4jLogStorage(String path, RaftOptions raftOptions) {
        this(Path.of(Objects.requireNonNull(path, "path")), JournalOptions.builder()
                .syncPolicy(Objects.requireNonNull(raftOptions, "raftOptions").isSync() ? SyncPolicy.always()
                        : SyncPolicy.interval(SyncPolicy.DEFAULT_INTERVAL_BYTES, SyncPolicy.DEFAULT_INTERVAL))
                .build());
    }

    /**
     * A storage in {@code dir} with the caller's journal options, used as given. Raft's
     * guarantee needs {@code SyncPolicy.always()} (the journal's default).
     *
     * @param dir the journal's directory
     * @param options the journal's options
     */
    public Wal4jLogStorage(Path dir, JournalOptions options) {
        this.dir = Objects.requireNonNull(dir, "dir");
        this.options = Objects.requireNonNull(options, "options");
    }

    /**
     * Opens the journal (recovering it after a crash) and loads every configuration entry
     * it holds into the options' {@code ConfigurationManager}. That reads the whole log once,
     * sequentially, and decodes only the configuration entries.
     *
     * @return true if the journal is open; false if it could not be opened (logged)
     */
    @Override
    public synchronized boolean init(LogStorageOptions opts) {
        Objects.requireNonNull(opts.getConfigurationManager(), "Null conf manager");
        Objects.requireNonNull(opts.getLogEntryCodecFactory(), "Null log entry codec factory");
        if (journal != null) {
            LOG.warn("Wal4jLogStorage init() in {} already.", dir);
            return true;
        }
        encoder = Objects.requireNonNull(opts.getLogEntryCodecFactory().encoder(), "Null log entry encoder");
        decoder = Objects.requireNonNull(opts.getLogEntryCodecFactory().decoder(), "Null log entry decoder");
        Journal j;
        try {
            j = Journal.open(dir, options);
        } catch (IOException | RuntimeException e) {
            LOG.error("Fail to open the wal4j journal in {}.", dir, e);
            return false;
        }
        try {
            loadConfigurations(j, opts.getConfigurationManager());
        } catch (IOException | RuntimeException e) {
            LOG.error("Fail to load configuration entries from the wal4j journal in {}.", dir, e);
            try {
                j.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            return false;
        }
        hiddenBelow = 0;
        failureLogged.set(false);
        journal = j;
        return true;
    }

    private void loadConfigurations(Journal j, ConfigurationManager confManager) throws IOException {
        int configurationType = EntryType.ENTRY_TYPE_CONFIGURATION.getNumber();
        j.replay(1, record -> {
            MemorySegment key = record.key();
            if (key.byteSize() != 1 || key.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0) != configurationType) {
                return;
            }
            byte[] bytes = record.value().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
            LogEntry entry = decoder.decode(bytes);
            if (entry == null) {
                throw new IOException("configuration entry at index " + record.lsn() + " in " + dir
                        + " does not decode (" + bytes.length + " bytes)");
            }
            ConfigurationEntry conf = new ConfigurationEntry();
            conf.setId(new LogId(entry.getId().getIndex(), entry.getId().getTerm()));
            conf.setConf(new Configuration(entry.getPeers(), entry.getLearners()));
            if (entry.getOldPeers() != null) {
                conf.setOldConf(new Configuration(entry.getOldPeers(), entry.getOldLearners()));
            }
            confManager.add(conf);
        });
    }

    /** Closes the journal (syncing it); calls after this see a closed storage. */
    @Override
    public synchronized void shutdown() {
        Journal j = journal;
        journal = null;
        if (j != null) {
            try {
                j.close();
            } catch (IOException e) {
                LOG.error("Fail to close the wal4j journal in {}.", dir, e);
            }
        }
    }

    @Override
    public long getFirstLogIndex() {
        Journal j = open();
        try {
            long first = j.firstLsn();
            return first < 0 ? j.nextLsn() : Math.max(first, hiddenBelow);
        } catch (IOException e) {
            throw failedRead("getFirstLogIndex", e);
        }
    }

    @Override
    public long getLastLogIndex() {
        Journal j = open();
        try {
            long last = j.lastLsn();
            return last < 0 ? j.nextLsn() - 1 : last;
        } catch (IOException e) {
            throw failedRead("getLastLogIndex", e);
        }
    }

    /** The entry at {@code index}, or null if the log has none there (or it cannot be read: logged). */
    @Override
    public LogEntry getEntry(long index) {
        JournalRecord record = read(index, "getEntry");
        if (record == null) {
            return null;
        }
        LogEntry entry = decoder.decode(record.value());
        if (entry == null) {
            LOG.error("Bad log entry format for index={} in {}: {} bytes do not decode.", index, dir,
                    record.value().length);
        }
        return entry;
    }

    /** The term of the entry at {@code index}, from the record's timestamp field; 0 if there is none. */
    @Override
    @Deprecated
    public long getTerm(long index) {
        JournalRecord record = read(index, "getTerm");
        return record == null ? 0 : record.timestamp();
    }

    private JournalRecord read(long index, String op) {
        Journal j = journal;
        if (j == null || index <= 0 || index < hiddenBelow) {
            return null;
        }
        try {
            return j.read(index);
        } catch (LsnNotFoundException e) {
            return null;
        } catch (IOException e) {
            if (journal != null) { // (a read racing shutdown is not worth an error)
                LOG.error("Fail to read the log entry at index {} in {} ({}).", index, dir, op, e);
            }
            return null;
        }
    }

    @Override
    public boolean appendEntry(LogEntry entry) {
        return appendEntries(List.of(entry)) == 1;
    }

    /**
     * Appends the entries, each run of consecutive indexes as one journal batch (JRaft's
     * batches are one run): one write and, with sync on, one fdatasync. Returns how many
     * entries, from the first, are appended (durable, with sync on); fewer than given means
     * the rest failed (logged) and are not in the log.
     */
    @Override
    public int appendEntries(List<LogEntry> entries) {
        if (entries == null || entries.isEmpty()) {
            return 0;
        }
        Journal j = journal;
        if (j == null) {
            LOG.warn("Wal4jLogStorage in {} is not initialized or shut down: {} entries not appended.", dir, entries.size());
            return 0;
        }
        int appended = 0;
        Batch spare = spareBatch.getAndSet(null);
        Batch batch = spare != null ? spare : new Batch();
        try {
            while (appended < entries.size()) {
                batch.reset();
                long first = entries.get(appended).getId().getIndex();
                if (first <= 0) {
                    throw new IllegalArgumentException("log index=" + first + " must be > 0");
                }
                int n = 0;
                while (appended + n < entries.size() && entries.get(appended + n).getId().getIndex() == first + n) {
                    add(batch, entries.get(appended + n));
                    n++;
                }
                j.appendBatch(first, batch);
                appended += n;
            }
        } catch (IOException e) {
            failedWrite("append " + (entries.size() - appended) + " entries from index "
                    + entries.get(appended).getId().getIndex(), e);
        } catch (IllegalArgumentException e) {
            LOG.error("Fail to append {} log entries from index {} in {}: {}.", entries.size() - appended,
                    entries.get(appended).getId().getIndex(), dir, e.getMessage());
        } finally {
            batch.reset();
            spareBatch.set(batch);
        }
        return appended;
    }

    private void add(Batch batch, LogEntry entry) {
        byte[] value = encoder.encode(entry);
        batch.add(entry.getId().getTerm(), TYPE_KEYS[entry.getType().getNumber() & 0xFF], MemorySegment.ofArray(value));
    }

    /**
     * Drops the entries below {@code firstIndexKept}. Beyond the last entry the log becomes
     * empty with first index {@code firstIndexKept} (a durable journal reset); within it, the
     * journal's segments wholly below go and the rest below is hidden (see the class comment
     * for what a restart shows).
     */
    @Override
    public boolean truncatePrefix(long firstIndexKept) {
        Journal j = journal;
        if (j == null) {
            return false;
        }
        try {
            long last = getLastLogIndex();
            if (firstIndexKept > last) {
                j.reset(firstIndexKept);
                hiddenBelow = 0;
            } else if (firstIndexKept > getFirstLogIndex()) {
                hiddenBelow = firstIndexKept;
                j.truncateFront(firstIndexKept);
            }
            return true;
        } catch (IOException e) {
            failedWrite("truncatePrefix(" + firstIndexKept + ")", e);
            return false;
        } catch (IllegalStateException e) {
            return false; // shut down meanwhile (logged there)
        }
    }

    /** Removes the entries after {@code lastIndexKept}, durably. */
    @Override
    public boolean truncateSuffix(long lastIndexKept) {
        Journal j = journal;
        if (j == null) {
            return false;
        }
        try {
            j.truncateBack(Math.max(lastIndexKept, 0));
            return true;
        } catch (IOException e) {
            failedWrite("truncateSuffix(" + lastIndexKept + ")", e);
            return false;
        }
    }

    /**
     * Drops every entry and leaves one at {@code nextLogIndex}: the old entry there if the log
     * had it, else a no-op entry (nextLogIndex, term 0). The drop is durable (and atomic)
     * before the entry is appended; a crash between the two leaves an empty log whose first
     * index is {@code nextLogIndex}.
     *
     * @throws IllegalArgumentException if {@code nextLogIndex <= 0}, as JRaft's storages do
     */
    @Override
    public boolean reset(long nextLogIndex) {
        if (nextLogIndex <= 0) {
            throw new IllegalArgumentException("Invalid next log index: " + nextLogIndex + " (must be > 0)");
        }
        Journal j = journal;
        if (j == null) {
            return false;
        }
        LogEntry entry = getEntry(nextLogIndex);
        try {
            j.reset(nextLogIndex);
            hiddenBelow = 0;
        } catch (IOException e) {
            failedWrite("reset(" + nextLogIndex + ")", e);
            return false;
        }
        if (entry == null) {
            entry = new LogEntry(EntryType.ENTRY_TYPE_NO_OP);
            entry.setId(new LogId(nextLogIndex, 0));
            LOG.warn("Entry not found for nextLogIndex {} when reset in {}.", nextLogIndex, dir);
        }
        return appendEntry(entry);
    }

    /** Prints the journal's statistics (JRaft's {@code describe} of a node). */
    @Override
    public void describe(Printer out) {
        Journal j = journal;
        out.println(j == null ? "Wal4jLogStorage[" + dir + ", closed]" : "Wal4jLogStorage[" + j + "] " + j.stats());
    }

    @Override
    public String toString() {
        return "Wal4jLogStorage[dir=" + dir + "]";
    }

    private Journal open() {
        Journal j = journal;
        if (j == null) {
            throw new IllegalStateException("Wal4jLogStorage in " + dir + " is not initialized or shut down");
        }
        return j;
    }

    private RuntimeException failedRead(String op, IOException e) {
        LOG.error("Fail to {} in {}.", op, dir, e);
        return new IllegalStateException(op + " failed in " + dir + ": " + e.getMessage(), e);
    }

    /** Logs a write's failure: the cause in full once, and later failures (the journal has failed) in a line each. */
    private void failedWrite(String op, IOException e) {
        if (e instanceof JournalClosedException) {
            LOG.warn("Fail to {} in {}: the storage is shut down.", op, dir);
        } else if (failureLogged.compareAndSet(false, true)) {
            LOG.error("Fail to {} in {}: the wal4j journal has failed and refuses writes until reopened.", op, dir, e);
        } else if (!(e instanceof JournalFailedException)) {
            LOG.error("Fail to {} in {}: {}", op, dir, e.toString());
        } else {
            LOG.debug("Fail to {} in {}: {}", op, dir, e.toString());
        }
    }
}

package org.wal4j.examples.kv;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.zip.CRC32C;
import org.wal4j.Journal;
import org.wal4j.JournalOptions;
import org.wal4j.RecordView;
import org.wal4j.SyncMode;

/**
 * A durable key-value store on a wal4j journal, small enough to read in one sitting.
 *
 * <p>Every {@link #put} and {@link #delete} appends one record to the journal in
 * {@link SyncMode#ALWAYS} mode, so it is on disk when the call returns; concurrent callers
 * share one write and one fdatasync (the journal's group commit). The map itself lives in
 * memory. {@link #open} rebuilds it from the last checkpoint and the records after it.
 * {@link #checkpoint} writes the map to a file (temp file, fsync, rename, directory fsync: the
 * old checkpoint or the new one, never half of one) and then drops the journal's segments
 * that the checkpoint covers with {@link Journal#truncateFront}.
 *
 * <p>Each entry remembers the LSN of the record that wrote it, and an update applies only if
 * its LSN is higher. So concurrent puts of one key end as the journal orders them, which is
 * also the order a replay applies them in. A delete leaves a tombstone for the same reason;
 * checkpoints drop the tombstones.
 *
 * <p>Files in the store's directory: {@code journal/} (the log) and {@code checkpoint}.
 * Thread-safe.
 */
public final class KvStore implements AutoCloseable {
    private static final byte PUT = 1;
    private static final byte DELETE = 2;
    private static final int CHECKPOINT_MAGIC = 0x4b56434b; // "KCVK"

    /** A value and the LSN of the record that wrote it; a null value is a tombstone. */
    private record Entry(long lsn, byte[] value) {}

    private final Path dir;
    private final Journal journal;
    private final Map<String, Entry> map = new ConcurrentHashMap<>();
    /** Updates hold it shared from their append to their map update; a checkpoint holds it alone to take its snapshot. */
    private final ReentrantReadWriteLock snapshotLock = new ReentrantReadWriteLock();

    private KvStore(Path dir, Journal journal) {
        this.dir = dir;
        this.journal = journal;
    }

    /** Opens (or creates) the store in {@code dir}: loads the checkpoint, then replays the journal after it. */
    public static KvStore open(Path dir) throws IOException {
        Files.createDirectories(dir);
        JournalOptions options = JournalOptions.builder().syncPolicy(SyncMode.ALWAYS).build();
        Journal journal = Journal.open(dir.resolve("journal"), options);
        KvStore store = new KvStore(dir, journal);
        try {
            long checkpointLsn = store.loadCheckpoint();
            if (checkpointLsn > 0 && journal.lastLsn() < checkpointLsn) {
                throw new IOException("the checkpoint covers up to lsn " + checkpointLsn + " but the journal ends at "
                        + journal.lastLsn() + ": the journal in " + dir + " is not the one this checkpoint was taken of");
            }
            journal.replay(checkpointLsn + 1, store::replayed);
        } catch (Exception e) {
            journal.close();
            throw e instanceof IOException io ? io : new IOException("opening " + dir + " failed", e);
        }
        return store;
    }

    /** The value stored under {@code key}, or null. */
    public byte[] get(String key) {
        Entry e = map.get(key);
        return e == null || e.value == null ? null : e.value.clone();
    }

    /** Stores {@code value} under {@code key}; returns once the change is durable. */
    public void put(String key, byte[] value) throws IOException {
        update(PUT, key, value);
    }

    /** Removes {@code key}; returns once the change is durable. */
    public void delete(String key) throws IOException {
        update(DELETE, key, null);
    }

    /** The live keys (a copy). */
    public Map<String, byte[]> snapshot() {
        Map<String, byte[]> copy = new HashMap<>();
        map.forEach((k, e) -> {
            if (e.value != null) {
                copy.put(k, e.value.clone());
            }
        });
        return copy;
    }

    private void update(byte op, String key, byte[] value) throws IOException {
        byte[] record = encode(op, key, value);
        snapshotLock.readLock().lock();
        try {
            long lsn = journal.append(record); // durable when it returns (ALWAYS)
            apply(lsn, op, key, value);
        } finally {
            snapshotLock.readLock().unlock();
        }
    }

    private void replayed(RecordView r) {
        ByteBuffer b = ByteBuffer.wrap(r.valueBytes());
        byte op = b.get();
        byte[] key = new byte[b.getInt()];
        b.get(key);
        byte[] value = new byte[b.remaining()];
        b.get(value);
        apply(r.lsn(), op, new String(key, StandardCharsets.UTF_8), op == PUT ? value : null);
    }

    private void apply(long lsn, byte op, String key, byte[] value) {
        Entry update = new Entry(lsn, op == PUT ? value.clone() : null);
        map.merge(key, update, (old, now) -> now.lsn > old.lsn ? now : old);
    }

    private static byte[] encode(byte op, String key, byte[] value) {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(1 + 4 + k.length + (value == null ? 0 : value.length));
        b.put(op).putInt(k.length).put(k);
        if (value != null) {
            b.put(value);
        }
        return b.array();
    }

    /**
     * Writes the map to the checkpoint file, durably, then removes the journal segments whose
     * records it covers. A crash at any point leaves the old checkpoint or the new one, and a
     * journal that holds every record after it.
     */
    public void checkpoint() throws IOException {
        long lsn;
        Map<String, Entry> copy;
        snapshotLock.writeLock().lock(); // every update that got an LSN has applied it
        try {
            lsn = journal.lastLsn();
            copy = new HashMap<>(map);
        } finally {
            snapshotLock.writeLock().unlock();
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(CHECKPOINT_MAGIC);
            out.writeLong(lsn);
            out.writeInt((int) copy.values().stream().filter(e -> e.value != null).count());
            for (Map.Entry<String, Entry> e : copy.entrySet()) {
                if (e.getValue().value != null) {
                    byte[] k = e.getKey().getBytes(StandardCharsets.UTF_8);
                    out.writeInt(k.length);
                    out.write(k);
                    out.writeLong(e.getValue().lsn);
                    out.writeInt(e.getValue().value.length);
                    out.write(e.getValue().value);
                }
            }
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes.toByteArray());
        ByteBuffer file = ByteBuffer.allocate(bytes.size() + 8).put(bytes.toByteArray()).putLong(crc.getValue()).flip();
        Path tmp = dir.resolve("checkpoint.tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            while (file.hasRemaining()) {
                ch.write(file);
            }
            ch.force(true);
        }
        Files.move(tmp, dir.resolve("checkpoint"), StandardCopyOption.ATOMIC_MOVE);
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true); // the rename is durable before the records it replaces go
        }
        journal.truncateFront(lsn + 1);
        // the tombstones the checkpoint dropped can go from memory too, unless overwritten since
        copy.forEach((k, e) -> {
            if (e.value == null) {
                map.remove(k, e);
            }
        });
    }

    /** Loads the checkpoint into the map; returns the LSN it covers (0 if there is none: LSNs start at 1). */
    private long loadCheckpoint() throws IOException {
        Path file = dir.resolve("checkpoint");
        if (!Files.exists(file)) {
            return 0;
        }
        byte[] all = Files.readAllBytes(file);
        CRC32C crc = new CRC32C();
        crc.update(all, 0, Math.max(0, all.length - 8));
        if (all.length < 24 || ByteBuffer.wrap(all, all.length - 8, 8).getLong() != crc.getValue()) {
            throw new IOException("checkpoint " + file + " is damaged (CRC32C mismatch): it was synced before it was"
                    + " renamed into place, so this is not a torn write");
        }
        try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(all, 0, all.length - 8))) {
            if (in.readInt() != CHECKPOINT_MAGIC) {
                throw new IOException(file + " is not a checkpoint");
            }
            long lsn = in.readLong();
            int n = in.readInt();
            for (int i = 0; i < n; i++) {
                byte[] k = in.readNBytes(in.readInt());
                long entryLsn = in.readLong();
                byte[] v = in.readNBytes(in.readInt());
                map.put(new String(k, StandardCharsets.UTF_8), new Entry(entryLsn, v));
            }
            return lsn;
        }
    }

    /** Closes the journal (every change that returned is durable already). */
    @Override
    public void close() throws IOException {
        journal.close();
    }

    /** For the kill -9 test: puts {@code args[1]..} keys until killed, printing each acknowledged change. */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        long first = Long.parseLong(args[1]);
        try (KvStore store = open(dir)) {
            for (long i = first; ; i++) {
                store.put("k" + i, ("value " + i).getBytes(StandardCharsets.UTF_8));
                System.out.println("put " + i);
                if (i % 7 == 0) {
                    store.delete("k" + (i - 3));
                    System.out.println("delete " + (i - 3));
                }
                if (i % 200 == 0) {
                    store.checkpoint();
                    System.out.println("checkpoint " + i);
                }
                System.out.flush();
            }
        }
    }
}

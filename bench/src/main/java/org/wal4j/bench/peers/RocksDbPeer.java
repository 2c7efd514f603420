package org.wal4j.bench.peers;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.NoSuchElementException;
import java.util.concurrent.atomic.AtomicLong;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * RocksDB ({@code org.rocksdb:rocksdbjni}) used as a log: record i is the value of the key i,
 * 8 bytes big-endian (so the default bytewise order is the record order), in the default
 * column family. Options: {@code create_if_missing}, everything else RocksDB's defaults (WAL
 * on, default memtable, compaction and compression). Numbers come from an {@link AtomicLong}
 * taken before the write, so concurrent appenders need no lock of ours; RocksDB groups their
 * writes itself (one writer thread writes and, with {@code sync=true}, fsyncs the WAL for the
 * group). On reopen, the numbering resumes after the last key.
 *
 * <p>Acknowledged: {@link #durable()}, a {@code put} (a batch: one {@code WriteBatch}) with
 * {@code WriteOptions.sync=true} has returned, so its WAL record was fsync'd; {@link #noSync()},
 * with {@code sync=false}, the WAL record was written to the OS (page cache) but not fsync'd.
 */
final class RocksDbPeer implements Peer {
    private final Options options;
    private final WriteOptions writeOptions;
    private final RocksDB db;
    private final AtomicLong last;

    private RocksDbPeer(Options options, WriteOptions writeOptions, RocksDB db, long last) {
        this.options = options;
        this.writeOptions = writeOptions;
        this.db = db;
        this.last = new AtomicLong(last);
    }

    static PeerKind durable() {
        return new PeerKind("rocksdb-sync", true, "durable: put with WriteOptions.sync=true (WAL fsync'd)",
                (dir, recordBytes) -> open(dir, true));
    }

    static PeerKind noSync() {
        return new PeerKind("rocksdb-nosync", false, "page cache: put with sync=false (WAL written, not fsync'd)",
                (dir, recordBytes) -> open(dir, false));
    }

    static Peer open(Path dir, boolean sync) throws Exception {
        Files.createDirectories(dir);
        Options options = new Options().setCreateIfMissing(true);
        WriteOptions writeOptions = new WriteOptions().setSync(sync);
        RocksDB db;
        try {
            db = RocksDB.open(options, dir.toString());
        } catch (RocksDBException e) {
            writeOptions.close();
            options.close();
            throw e;
        }
        long last = 0;
        try (RocksIterator it = db.newIterator()) {
            it.seekToLast();
            if (it.isValid()) {
                last = ByteBuffer.wrap(it.key()).getLong();
            }
            it.status();
        }
        return new RocksDbPeer(options, writeOptions, db, last);
    }

    private static byte[] key(long index) {
        return ByteBuffer.allocate(Long.BYTES).putLong(index).array();
    }

    @Override
    public void append(byte[] record) throws RocksDBException {
        db.put(writeOptions, key(last.incrementAndGet()), record);
    }

    @Override
    public void appendBatch(byte[][] records) throws RocksDBException {
        long first = last.getAndAdd(records.length) + 1;
        try (WriteBatch batch = new WriteBatch()) {
            for (int i = 0; i < records.length; i++) {
                batch.put(key(first + i), records[i]);
            }
            db.write(writeOptions, batch);
        }
    }

    /** {@code FlushWAL(sync=true)}: writes out what the WAL buffers (nothing, by default) and fsyncs it. */
    @Override
    public void sync() throws RocksDBException {
        db.flushWal(true);
    }

    @Override
    public byte[] read(long index) throws RocksDBException {
        byte[] value = db.get(key(index));
        if (value == null) {
            throw new NoSuchElementException("no record " + index);
        }
        return value;
    }

    @Override
    public long replay() throws RocksDBException {
        long bytes = 0;
        try (RocksIterator it = db.newIterator()) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                bytes += it.value().length;
            }
            it.status();
        }
        return bytes;
    }

    @Override
    public void close() {
        db.close();
        writeOptions.close();
        options.close();
    }
}

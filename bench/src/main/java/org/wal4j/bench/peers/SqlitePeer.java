package org.wal4j.bench.peers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.NoSuchElementException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * SQLite ({@code org.xerial:sqlite-jdbc}, which bundles the native library) used as a log: one
 * table {@code log(id INTEGER PRIMARY KEY, v BLOB)}, record i in the row of id i,
 * {@code journal_mode=WAL}, the other settings SQLite's defaults. One connection, its prepared
 * statements reused, shared by all callers under one lock: SQLite lets one writer in at a time
 * anyway, and a connection is not for concurrent use. Each append is its own transaction
 * (autocommit); a batch is one transaction. On reopen, the numbering resumes after the
 * largest id.
 *
 * <p>Acknowledged: {@link #full()}, {@code synchronous=FULL}: the commit has appended its
 * frames to the WAL file and fsync'd it; {@link #off()}, {@code synchronous=OFF}: the frames
 * are written to the WAL file (page cache) and nothing is fsync'd.
 */
final class SqlitePeer implements Peer {
    private final Connection connection;
    private final boolean full;
    private final PreparedStatement insert;
    private final PreparedStatement select;
    private final PreparedStatement selectAll;
    private final ReentrantLock lock = new ReentrantLock();
    private long last;

    private SqlitePeer(Connection connection, boolean full, long last) throws SQLException {
        this.connection = connection;
        this.full = full;
        this.insert = connection.prepareStatement("INSERT INTO log(id, v) VALUES (?, ?)");
        this.select = connection.prepareStatement("SELECT v FROM log WHERE id = ?");
        this.selectAll = connection.prepareStatement("SELECT v FROM log ORDER BY id");
        this.last = last;
    }

    static PeerKind full() {
        return new PeerKind("sqlite-full", true,
                "durable: autocommit insert, journal_mode=WAL, synchronous=FULL (WAL fsync'd per commit)",
                (dir, recordBytes) -> open(dir, true));
    }

    static PeerKind off() {
        return new PeerKind("sqlite-off", false,
                "page cache: autocommit insert, journal_mode=WAL, synchronous=OFF (WAL written, never fsync'd)",
                (dir, recordBytes) -> open(dir, false));
    }

    static Peer open(Path dir, boolean full) throws SQLException, IOException {
        Files.createDirectories(dir);
        Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("log.db"));
        try (Statement s = c.createStatement()) {
            try (ResultSet mode = s.executeQuery("PRAGMA journal_mode=WAL")) {
                if (!mode.next() || !"wal".equalsIgnoreCase(mode.getString(1))) {
                    throw new SQLException("journal_mode=WAL was refused");
                }
            }
            s.execute("PRAGMA synchronous=" + (full ? "FULL" : "OFF"));
            s.execute("CREATE TABLE IF NOT EXISTS log(id INTEGER PRIMARY KEY, v BLOB)");
            long last;
            try (ResultSet max = s.executeQuery("SELECT coalesce(max(id), 0) FROM log")) {
                max.next();
                last = max.getLong(1);
            }
            return new SqlitePeer(c, full, last);
        } catch (SQLException e) {
            c.close();
            throw e;
        }
    }

    @Override
    public void append(byte[] record) throws SQLException {
        lock.lock();
        try {
            insert.setLong(1, last + 1);
            insert.setBytes(2, record);
            insert.executeUpdate();
            last++;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void appendBatch(byte[][] records) throws SQLException {
        lock.lock();
        try {
            connection.setAutoCommit(false);
            try {
                for (int i = 0; i < records.length; i++) {
                    insert.setLong(1, last + 1 + i);
                    insert.setBytes(2, records[i]);
                    insert.addBatch();
                }
                insert.executeBatch();
                connection.commit();
                last += records.length;
            } catch (SQLException e) {
                insert.clearBatch();
                connection.rollback();
                throw e;
            } finally {
                connection.setAutoCommit(true);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Under {@code synchronous=OFF} a checkpoint syncs nothing either (SQLite derives its
     * checkpoint sync flags from the connection's synchronous level), so this switches the
     * connection to FULL for one {@code wal_checkpoint(FULL)} (fsync the WAL, copy every frame
     * into the database file, fsync that) and back to OFF.
     */
    @Override
    public void sync() throws SQLException {
        lock.lock();
        try (Statement s = connection.createStatement()) {
            if (!full) {
                s.execute("PRAGMA synchronous=FULL");
            }
            try (ResultSet r = s.executeQuery("PRAGMA wal_checkpoint(FULL)")) {
                r.next();
                if (r.getInt(1) != 0 || r.getInt(2) != r.getInt(3)) {
                    throw new SQLException("wal_checkpoint(FULL) incomplete: busy " + r.getInt(1) + ", "
                            + r.getInt(3) + " of " + r.getInt(2) + " frames");
                }
            } finally {
                if (!full) {
                    s.execute("PRAGMA synchronous=OFF");
                }
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public byte[] read(long index) throws SQLException {
        lock.lock();
        try {
            select.setLong(1, index);
            try (ResultSet r = select.executeQuery()) {
                if (!r.next()) {
                    throw new NoSuchElementException("no record " + index);
                }
                return r.getBytes(1);
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long replay() throws SQLException {
        long bytes = 0;
        lock.lock();
        try (ResultSet r = selectAll.executeQuery()) {
            while (r.next()) {
                bytes += r.getBytes(1).length;
            }
        } finally {
            lock.unlock();
        }
        return bytes;
    }

    @Override
    public void close() throws SQLException {
        lock.lock();
        try {
            insert.close();
            select.close();
            selectAll.close();
            connection.close();
        } finally {
            lock.unlock();
        }
    }
}

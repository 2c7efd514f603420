package org.wal4j.bench.peers;

import java.nio.file.Path;

/**
 * A peer as the benchmark lists it: its name in the tables, what an acknowledged append
 * means for it, and how to open it.
 *
 * @param name the row's name, e.g. {@code rocksdb-sync}
 * @param durable whether an append is durable (fsync'd) when it returns; the durable rows
 *     run only durable peers, the no-sync rows only the others
 * @param acknowledged what "acknowledged" means for this peer, in words, for the table
 * @param opener opens the peer on an empty (or, to reopen, its own) directory
 */
public record PeerKind(String name, boolean durable, String acknowledged, Opener opener) {
    /** Opens a peer for records of {@code recordBytes} (a peer may need the size up front). */
    @FunctionalInterface
    public interface Opener {
        Peer open(Path dir, int recordBytes) throws Exception;
    }
}

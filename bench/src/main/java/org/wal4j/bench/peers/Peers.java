package org.wal4j.bench.peers;

import java.util.List;
import org.wal4j.SyncMode;

/** Every peer the benchmark knows, wal4j's configurations first. */
final class Peers {
    /** The pre-zeroed FileChannel ring's size: larger than any durable row appends. */
    static final long PREZEROED_BYTES = 256L << 20;

    /** Keeps what a replay read from being optimised away. */
    static volatile int sink;

    private Peers() {}

    static List<PeerKind> all() {
        return List.of(
                new PeerKind("wal4j", true, "durable: fdatasync (group commit), buffered",
                        (dir, bytes) -> Wal4jPeer.open(dir, bytes, SyncMode.ALWAYS, false)),
                new PeerKind("wal4j-direct", true, "durable: fdatasync (group commit), O_DIRECT",
                        (dir, bytes) -> Wal4jPeer.open(dir, bytes, SyncMode.ALWAYS, true)),
                new PeerKind("wal4j-nosync", false, "page cache (SyncMode.NONE)",
                        (dir, bytes) -> Wal4jPeer.open(dir, bytes, SyncMode.NONE, false)),
                new PeerKind("wal4j-nosync-growing", false, "page cache (SyncMode.NONE), segments not zero-filled ahead",
                        (dir, bytes) -> Wal4jPeer.open(dir, bytes, SyncMode.NONE, false, false)),
                new PeerKind("fc-force", true, "durable: write + force(false) per record, growing file, one lock",
                        (dir, bytes) -> FileChannelPeer.open(dir, bytes, FileChannelPeer.Mode.GROWING_FORCE, 0)),
                new PeerKind("fc-prezeroed", true,
                        "durable: write + force(false) per record over a zero-filled file, one lock",
                        (dir, bytes) -> FileChannelPeer.open(dir, bytes, FileChannelPeer.Mode.PREZEROED_FORCE,
                                PREZEROED_BYTES)),
                CLoopPeer.kind(),
                new PeerKind("fc-nosync", false, "page cache: write, no force, growing file",
                        (dir, bytes) -> FileChannelPeer.open(dir, bytes, FileChannelPeer.Mode.GROWING_NO_FORCE, 0)),
                RocksDbPeer.durable(),
                RocksDbPeer.noSync(),
                SqlitePeer.full(),
                SqlitePeer.off(),
                JRaftLogPeer.durable(),
                ChroniclePeer.durable(),
                ChroniclePeer.noSync());
    }

    static void consume(int value) {
        sink += value;
    }

    static boolean isWal4j(String name) {
        return name.startsWith("wal4j");
    }
}

package org.wal4j.jraft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.alipay.sofa.jraft.NodeManager;
import com.alipay.sofa.jraft.entity.EnumOutter.EntryType;
import com.alipay.sofa.jraft.entity.LogEntry;
import com.alipay.sofa.jraft.storage.LogStorage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.wal4j.jraft.Cluster.LogContents;
import org.wal4j.jraft.Cluster.Member;

/**
 * A real three-node SOFAJRaft group on 127.0.0.1 whose logs are {@link Wal4jLogStorage}s
 * (through {@link Wal4jJRaftServiceFactory}), running a counter state machine.
 *
 * <p>{@link #failoverAndCatchUp} proves that the cluster survives the loss of its leader with
 * no committed write lost, keeps taking writes, and that the old leader restarted on its own
 * directories catches up; at the end every state machine holds the same value, each write
 * applied exactly once and in order, and the three logs, read back from disk after shutdown,
 * hold the same entries (index, term, type, data) with nothing missing.
 *
 * <p>{@link #laggingFollowerCatchesUpByInstallSnapshot} proves that snapshots truncate the
 * wal4j log's prefix, and that a follower whose log ends below the leader's first index is
 * brought up to date by installing the leader's snapshot, then by the entries after it.
 *
 * <p>Both check that every node's log directory holds wal4j segments and no RocksDB files,
 * so that the cluster demonstrably ran on wal4j.
 */
class ClusterTest {
    /** Short, for a quick failover; not shorter, as a 2-core machine's GC pauses could cost a leader its lease. */
    static final int ELECTION_TIMEOUT_MS = 1000;

    @TempDir
    Path tmp;

    private Cluster cluster;

    @AfterEach
    @Timeout(value = 15, unit = TimeUnit.SECONDS)
    void stopEverything() {
        try {
            if (cluster != null) {
                cluster.close();
            }
        } finally {
            // Nodes remove themselves on shutdown; this also drops what a failed start left.
            NodeManager.getInstance().clear();
        }
    }

    @Test
    @Timeout(value = 45, unit = TimeUnit.SECONDS)
    void failoverAndCatchUp() throws Exception {
        cluster = Cluster.start(tmp, 3, ELECTION_TIMEOUT_MS);
        for (Member m : cluster.members()) {
            assertInstanceOf(Wal4jLogStorage.class, m.liveLogStorage(), m + "'s log storage");
        }
        Member first = cluster.awaitLeader(cluster.members());
        long firstTerm = first.fsm().leaderTerm();
        cluster.apply(first, 1, 10_000);

        cluster.stop(first);
        List<Member> others = cluster.running();
        assertEquals(2, others.size());
        Member second = cluster.awaitLeader(others);
        assertNotEquals(first.peer, second.peer);
        assertTrue(second.fsm().leaderTerm() > firstTerm,
                () -> "new leader's term " + second.fsm().leaderTerm() + " after " + firstTerm);
        // Every write the old leader acknowledged was committed, so the new leader must hold it.
        cluster.await("the new leader " + second + " to apply the 10000 acknowledged ops",
                () -> second.fsm().appliedOps() >= 10_000);
        assertEquals(sum(1, 10_000), second.fsm().value(), () -> "value on the new leader " + second.describe());

        cluster.apply(second, 10_001, 1_000);
        cluster.awaitCaughtUp(second);

        cluster.restart(first);
        cluster.awaitCaughtUp(second);

        long leaderLast = second.node().getLastLogIndex();
        for (Member m : cluster.members()) {
            assertTrue(m.running(), m + " running");
            assertEquals(sum(1, 11_000), m.fsm().value(), () -> "value on " + m.describe());
            assertEquals(leaderLast, m.node().getLastAppliedLogIndex(), () -> "applied index on " + m.describe());
            // No snapshot in this test: each run's state machine applied every op itself, once.
            assertEquals(11_000, m.fsm().appliedOps(), () -> "ops applied on " + m.describe());
            assertEquals(List.of(), m.fsm().loads(), () -> "snapshots loaded on " + m);
            assertEquals(List.of(), m.fsm().errors(), () -> "state machine errors on " + m);
        }

        cluster.stopAll();
        List<LogContents> logs = new ArrayList<>();
        for (Member m : cluster.members()) {
            assertRanOnWal4j(m);
            LogContents log = Cluster.readLog(m.logDir());
            assertEquals(1, log.firstIndex(), () -> m + "'s first log index");
            assertEquals(leaderLast, log.lastIndex(), () -> m + "'s last log index");
            assertOpsInOrder(m, log, 1, 11_000);
            logs.add(log);
        }
        for (int i = 1; i < logs.size(); i++) {
            assertSameEntries(cluster.members().get(0), logs.get(0), cluster.members().get(i), logs.get(i));
        }
    }

    @Test
    @Timeout(value = 45, unit = TimeUnit.SECONDS)
    void laggingFollowerCatchesUpByInstallSnapshot() throws Exception {
        cluster = Cluster.start(tmp, 3, ELECTION_TIMEOUT_MS);
        Member leader = cluster.awaitLeader(cluster.members());
        cluster.apply(leader, 1, 500);
        cluster.awaitCaughtUp(leader);

        Member lagging = cluster.members().stream().filter(m -> m != leader).findFirst().orElseThrow();
        long laggingLast = lagging.node().getLastLogIndex();
        cluster.stop(lagging);
        assertEquals(List.of(), snapshotsIn(lagging), "the stopped follower has no snapshot of its own");
        List<Member> live = cluster.running();

        cluster.apply(leader, 501, 500);
        cluster.awaitCaughtUp(leader);
        long firstSnapshotIndex = leader.node().getLastAppliedLogIndex();
        assertTrue(firstSnapshotIndex > laggingLast, "the first snapshot covers entries the stopped follower lacks");
        for (Member m : live) {
            cluster.snapshot(m);
        }
        // JRaft truncates a log only up to its previous snapshot (LogManagerImpl.setSnapshot
        // keeps the entries since then for slow followers), so it takes a second snapshot to
        // drop the entries the stopped follower would need.
        cluster.apply(leader, 1_001, 200);
        cluster.awaitCaughtUp(leader);
        long secondSnapshotIndex = leader.node().getLastAppliedLogIndex();
        for (Member m : live) {
            cluster.snapshot(m);
        }
        for (Member m : live) {
            LogStorage storage = m.liveLogStorage();
            assertInstanceOf(Wal4jLogStorage.class, storage, m + "'s log storage");
            // The truncation runs on the log manager's disk thread, after the snapshot's closure.
            cluster.await(m + "'s storage to drop the entries below " + (firstSnapshotIndex + 1)
                    + ", past the stopped follower's last " + laggingLast,
                    () -> storage.getFirstLogIndex() == firstSnapshotIndex + 1);
        }
        CounterStateMachine.SnapshotState leaderSnapshot = leader.fsm().lastSaved();
        assertEquals(secondSnapshotIndex, leaderSnapshot.lastOpIndex(), "the leader's last snapshot's last op");

        cluster.apply(leader, 1_201, 100);
        cluster.restart(lagging);
        cluster.awaitCaughtUp(leader);

        CounterStateMachine restarted = lagging.fsm();
        List<CounterStateMachine.SnapshotState> loads = restarted.loads();
        assertEquals(1, loads.size(), () -> "snapshots loaded by the restarted follower: " + loads);
        CounterStateMachine.SnapshotState loaded = loads.get(0);
        assertEquals(secondSnapshotIndex, loaded.includedIndex(), () -> "the installed snapshot's index: " + loaded);
        assertEquals(leaderSnapshot.value(), loaded.value(), () -> "the installed snapshot's value: " + loaded);
        assertEquals(leaderSnapshot.lastOpIndex(), loaded.lastOpIndex(), () -> "the installed snapshot's op: " + loaded);
        // Only the ops after the snapshot were applied one by one: the old log was not replayed.
        assertEquals(100, restarted.appliedOps(), () -> "ops applied by the restarted follower: " + restarted);
        assertFalse(snapshotsIn(lagging).isEmpty(), "the restarted follower keeps the installed snapshot");

        long leaderLast = leader.node().getLastLogIndex();
        for (Member m : cluster.members()) {
            assertEquals(sum(1, 1_300), m.fsm().value(), () -> "value on " + m.describe());
            assertEquals(leaderLast, m.node().getLastAppliedLogIndex(), () -> "applied index on " + m.describe());
            assertEquals(List.of(), m.fsm().errors(), () -> "state machine errors on " + m);
        }
        assertTrue(lagging.liveLogStorage().getFirstLogIndex() > laggingLast + 1,
                () -> "the restarted follower's log was reset past its old entries: first index "
                        + lagging.liveLogStorage().getFirstLogIndex());

        cluster.stopAll();
        List<LogContents> logs = new ArrayList<>();
        for (Member m : cluster.members()) {
            assertRanOnWal4j(m);
            LogContents log = Cluster.readLog(m.logDir());
            assertEquals(leaderLast, log.lastIndex(), () -> m + "'s last log index");
            logs.add(log);
        }
        LogContents laggingLog = logs.get(cluster.members().indexOf(lagging));
        assertEquals(secondSnapshotIndex + 1, laggingLog.firstIndex(),
                "the restarted follower's log on disk starts after the installed snapshot");
        for (int i = 1; i < logs.size(); i++) {
            assertSameEntries(cluster.members().get(0), logs.get(0), cluster.members().get(i), logs.get(i));
        }
    }

    /** The node's log directory holds wal4j segment files ({@code <20-digit base LSN>.wal4j}) and nothing of RocksDB's. */
    private static void assertRanOnWal4j(Member m) throws IOException {
        List<String> names;
        try (Stream<Path> files = Files.walk(m.logDir())) {
            names = files.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).sorted().toList();
        }
        assertTrue(names.stream().anyMatch(n -> n.matches("\\d{20}\\.wal4j")), () -> m + "'s log directory has no wal4j segment: " + names);
        List<String> rocks = names.stream()
                .filter(n -> n.equals("CURRENT") || n.equals("LOCK") || n.equals("LOG") || n.equals("IDENTITY")
                        || n.endsWith(".sst") || n.startsWith("MANIFEST-") || n.startsWith("OPTIONS-")
                        || n.startsWith("LOG.old"))
                .toList();
        assertEquals(List.of(), rocks, () -> m + "'s log directory has RocksDB files: " + names);
    }

    /** The log's data entries are exactly the ops {@code firstOp..lastOp}, each once, in order. */
    private static void assertOpsInOrder(Member m, LogContents log, long firstOp, long lastOp) {
        long expected = firstOp;
        for (LogEntry e : log.entries()) {
            if (e.getType() != EntryType.ENTRY_TYPE_DATA) {
                continue;
            }
            ByteBuffer data = e.getData();
            assertEquals(Long.BYTES, data.remaining(), () -> m + " entry " + e.getId() + " size");
            long op = data.getLong(data.position());
            if (op != expected) {
                fail(m + " entry " + e.getId() + " holds op " + op + ", expected op " + expected);
            }
            expected++;
        }
        assertEquals(lastOp + 1, expected, () -> m + "'s log ends before op " + lastOp);
    }

    /** Same entries over the common index range of two logs: term, type, data, peers. */
    private static void assertSameEntries(Member am, LogContents a, Member bm, LogContents b) {
        long from = Math.max(a.firstIndex(), b.firstIndex());
        long to = Math.min(a.lastIndex(), b.lastIndex());
        assertTrue(from <= to, () -> "no common range between " + am + " " + a.firstIndex() + ".." + a.lastIndex()
                + " and " + bm + " " + b.firstIndex() + ".." + b.lastIndex());
        for (long i = from; i <= to; i++) {
            LogEntry x = a.at(i);
            LogEntry y = b.at(i);
            long index = i;
            String where = " at index " + index + " (" + am + " vs " + bm + ")";
            assertEquals(index, x.getId().getIndex(), () -> am + "'s entry index" + where);
            assertEquals(index, y.getId().getIndex(), () -> bm + "'s entry index" + where);
            assertEquals(x.getId().getTerm(), y.getId().getTerm(), () -> "term" + where);
            assertEquals(x.getType(), y.getType(), () -> "type" + where);
            assertEquals(x.getData(), y.getData(), () -> "data" + where);
            assertEquals(x.getPeers(), y.getPeers(), () -> "peers" + where);
            assertEquals(x.getOldPeers(), y.getOldPeers(), () -> "old peers" + where);
            assertFalse(x.isCorrupted() || y.isCorrupted(), () -> "checksum" + where);
        }
    }

    /** The snapshot directories JRaft keeps ({@code snapshot_<index>}) in the member's snapshot path. */
    private static List<String> snapshotsIn(Member m) throws IOException {
        if (!Files.isDirectory(m.snapshotDir())) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(m.snapshotDir())) {
            return dirs.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("snapshot_")).sorted().toList();
        }
    }

    private static long sum(long from, long to) {
        return (from + to) * (to - from + 1) / 2;
    }
}

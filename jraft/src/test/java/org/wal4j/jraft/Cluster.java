package org.wal4j.jraft;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.alipay.sofa.jraft.Node;
import com.alipay.sofa.jraft.RaftGroupService;
import com.alipay.sofa.jraft.Status;
import com.alipay.sofa.jraft.conf.Configuration;
import com.alipay.sofa.jraft.conf.ConfigurationManager;
import com.alipay.sofa.jraft.core.NodeImpl;
import com.alipay.sofa.jraft.entity.LogEntry;
import com.alipay.sofa.jraft.entity.PeerId;
import com.alipay.sofa.jraft.entity.Task;
import com.alipay.sofa.jraft.entity.codec.v2.LogEntryV2CodecFactory;
import com.alipay.sofa.jraft.option.LogStorageOptions;
import com.alipay.sofa.jraft.option.NodeOptions;
import com.alipay.sofa.jraft.option.RaftOptions;
import com.alipay.sofa.jraft.rpc.RaftRpcServerFactory;
import com.alipay.sofa.jraft.rpc.RpcServer;
import com.alipay.sofa.jraft.rpc.impl.BoltRpcServer;
import com.alipay.sofa.jraft.storage.LogStorage;
import com.alipay.sofa.jraft.util.Endpoint;
import java.io.IOException;
import java.lang.reflect.Field;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * A SOFAJRaft group of counter nodes on 127.0.0.1 for the cluster tests, each node with its
 * own log, Raft meta and snapshot directories under one root, its log on wal4j through
 * {@link Wal4jJRaftServiceFactory}. Nodes can be stopped and started again on the same
 * port and directories. Every wait has a deadline and fails saying what it awaited and what
 * each node looked like.
 */
final class Cluster implements AutoCloseable {
    static final String GROUP = "wal4j-cluster";
    static final String HOST = "127.0.0.1";
    /** The bound of every single wait (a leader, a catch-up, a batch of writes). */
    static final Duration WAIT = Duration.ofSeconds(15);
    static final int MAX_IN_FLIGHT = 256;

    /** One node: fixed identity and directory; the running parts are null while it is stopped. */
    static final class Member {
        final PeerId peer;
        final Path dir;
        private volatile RaftGroupService service;
        private volatile Node node;
        private volatile CounterStateMachine fsm;

        Member(PeerId peer, Path dir) {
            this.peer = peer;
            this.dir = dir;
        }

        boolean running() {
            return node != null;
        }

        Node node() {
            Node n = node;
            if (n == null) {
                throw new IllegalStateException(peer + " is stopped");
            }
            return n;
        }

        /** The state machine of the node's current (or last) run. */
        CounterStateMachine fsm() {
            return fsm;
        }

        Path logDir() {
            return dir.resolve("log");
        }

        Path snapshotDir() {
            return dir.resolve("snapshot");
        }

        /** The LogStorage the running node writes to. */
        LogStorage liveLogStorage() {
            // JRaft 1.4.1 has no public accessor for a node's storage or log manager.
            try {
                Field f = NodeImpl.class.getDeclaredField("logStorage");
                f.setAccessible(true);
                return (LogStorage) f.get(node());
            } catch (ReflectiveOperationException e) {
                throw new AssertionError("cannot reach NodeImpl.logStorage of " + peer, e);
            }
        }

        String describe() {
            Node n = node;
            if (n == null) {
                return peer + ": stopped";
            }
            return peer + ": " + n.getNodeState() + " leader=" + n.getLeaderId() + " lastLog=" + n.getLastLogIndex()
                    + " committed=" + n.getLastCommittedIndex() + " applied=" + n.getLastAppliedLogIndex() + " " + fsm;
        }

        @Override
        public String toString() {
            return peer.toString();
        }
    }

    private final int electionTimeoutMs;
    private final Configuration conf;
    private final List<Member> members;

    private Cluster(int electionTimeoutMs, Configuration conf, List<Member> members) {
        this.electionTimeoutMs = electionTimeoutMs;
        this.conf = conf;
        this.members = members;
    }

    /**
     * Starts {@code size} nodes in directories {@code root/n0..}. Each RPC server is bound
     * before the configuration is made, so that the ports it names are ours.
     */
    static Cluster start(Path root, int size, int electionTimeoutMs) throws IOException {
        List<RpcServer> servers = new ArrayList<>();
        try {
            for (int i = 0; i < size; i++) {
                servers.add(bindFreePort());
            }
        } catch (IOException | RuntimeException | Error e) {
            servers.forEach(Cluster::shutdownQuietly);
            throw e;
        }
        List<Member> members = new ArrayList<>();
        Configuration conf = new Configuration();
        for (int i = 0; i < size; i++) {
            PeerId peer = new PeerId(new Endpoint(HOST, servers.get(i).boundPort()), 0);
            conf.addPeer(peer);
            members.add(new Member(peer, root.resolve("n" + i)));
        }
        Cluster cluster = new Cluster(electionTimeoutMs, conf, List.copyOf(members));
        for (int i = 0; i < size; i++) {
            RpcServer server = servers.get(i);
            servers.set(i, null);
            try {
                cluster.startNode(members.get(i), server);
            } catch (IOException | RuntimeException | Error e) {
                servers.stream().filter(s -> s != null).forEach(Cluster::shutdownQuietly);
                cluster.close();
                throw e;
            }
        }
        return cluster;
    }

    List<Member> members() {
        return members;
    }

    List<Member> running() {
        return members.stream().filter(Member::running).toList();
    }

    /** Starts a stopped member again, on its port and directories, with a new state machine. */
    void restart(Member m) throws IOException {
        if (m.running()) {
            throw new IllegalStateException(m + " is running");
        }
        long deadline = deadline(WAIT);
        RpcServer server;
        // The port was ours a moment ago; another process may hold it briefly, so retry.
        while ((server = bind(m.peer.getPort())) == null) {
            if (System.nanoTime() > deadline) {
                fail("could not bind " + m.peer + " again within " + WAIT);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
        startNode(m, server);
    }

    private void startNode(Member m, RpcServer server) throws IOException {
        try {
            Files.createDirectories(m.dir);
            CounterStateMachine fsm = new CounterStateMachine();
            NodeOptions o = new NodeOptions();
            o.setElectionTimeoutMs(electionTimeoutMs);
            // Snapshots only when a test asks for one.
            o.setSnapshotIntervalSecs(0);
            o.setInitialConf(conf.copy());
            o.setFsm(fsm);
            o.setLogUri(m.logDir().toString());
            o.setRaftMetaUri(m.dir.resolve("raft_meta").toString());
            o.setSnapshotUri(m.snapshotDir().toString());
            o.setServiceFactory(new Wal4jJRaftServiceFactory());
            RaftGroupService service = new RaftGroupService(GROUP, m.peer, o, server);
            // The RPC server is started already: bound before the node exists.
            Node node = service.start(false);
            m.fsm = fsm;
            m.service = service;
            m.node = node;
        } catch (IOException | RuntimeException | Error e) {
            shutdownQuietly(server);
            throw e;
        }
    }

    /** Shuts the member's node and RPC server down and waits for the node to finish. */
    void stop(Member m) throws InterruptedException {
        RaftGroupService service = m.service;
        if (service == null) {
            return;
        }
        m.node = null;
        m.service = null;
        service.shutdown();
        service.join();
    }

    /**
     * Stops every running member, followers first: a leader that outlives its followers
     * cannot commit and appends nothing, while followers outliving a leader could elect
     * another and append its configuration entry after the checks were made.
     */
    void stopAll() throws InterruptedException {
        List<Member> order = new ArrayList<>(running());
        order.sort((a, b) -> Boolean.compare(a.node().isLeader(), b.node().isLeader()));
        for (Member m : order) {
            stop(m);
        }
    }

    /** Stops every member, all of them even if one fails to stop; then throws the first failure. */
    @Override
    public void close() {
        RuntimeException failure = null;
        boolean interrupted = false;
        for (Member m : members) {
            try {
                stop(m);
            } catch (InterruptedException e) {
                interrupted = true;
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Waits for one of {@code candidates} to lead, with its state machine told so (onLeaderStart). */
    Member awaitLeader(Collection<Member> candidates) {
        Member[] found = new Member[1];
        await("a leader among " + candidates, () -> {
            for (Member m : candidates) {
                Node n = m.node;
                if (n != null && n.isLeader() && m.fsm.leaderTerm() > 0) {
                    found[0] = m;
                    return true;
                }
            }
            return false;
        });
        return found[0];
    }

    /**
     * Waits until every running member has applied the leader's whole log and holds the
     * leader's value. Call with no writes in flight.
     */
    void awaitCaughtUp(Member leader) {
        await("every running node to apply " + leader + "'s log", () -> {
            long last = leader.node().getLastLogIndex();
            long value = leader.fsm().value();
            for (Member m : running()) {
                if (m.node().getLastAppliedLogIndex() != last || m.fsm().value() != value) {
                    return false;
                }
            }
            return true;
        });
    }

    /**
     * Applies the operations {@code firstOp .. firstOp + count - 1} on {@code leader} (each
     * adds its own number to the counter), at most {@link #MAX_IN_FLIGHT} at a time, and
     * waits for all of them; fails unless every one succeeded.
     */
    void apply(Member leader, long firstOp, int count) throws InterruptedException {
        Node node = leader.node();
        long deadline = deadline(WAIT);
        Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
        CountDownLatch done = new CountDownLatch(count);
        List<String> failures = new CopyOnWriteArrayList<>();
        for (long op = firstOp; op < firstOp + count; op++) {
            if (!inFlight.tryAcquire(remainingNanos(deadline), TimeUnit.NANOSECONDS)) {
                fail("applying op " + op + " of " + firstOp + ".." + (firstOp + count - 1) + " on " + leader
                        + ": no closure returned within " + WAIT + "; " + done.getCount() + " pending, failures="
                        + failures + "\n" + describeAll());
            }
            long thisOp = op;
            node.apply(new Task(CounterStateMachine.encode(op), status -> {
                if (!status.isOk()) {
                    failures.add("op " + thisOp + ": " + status);
                }
                inFlight.release();
                done.countDown();
            }));
        }
        if (!done.await(remainingNanos(deadline), TimeUnit.NANOSECONDS)) {
            fail("applying ops " + firstOp + ".." + (firstOp + count - 1) + " on " + leader + ": " + done.getCount()
                    + " closures not run within " + WAIT + ", failures=" + failures + "\n" + describeAll());
        }
        assertTrue(failures.isEmpty(), () -> failures.size() + " of " + count + " ops failed on " + leader
                + ", the first: " + failures.subList(0, Math.min(5, failures.size())) + "\n" + describeAll());
    }

    /** Asks the member for a snapshot and waits for it; fails unless it succeeded. */
    void snapshot(Member m) throws InterruptedException {
        CompletableFuture<Status> result = new CompletableFuture<>();
        m.node().snapshot(result::complete);
        Status status;
        try {
            status = result.get(WAIT.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("snapshot of " + m + " not done within " + WAIT + "\n" + describeAll());
        } catch (ExecutionException e) {
            throw new AssertionError(e);
        }
        assertTrue(status.isOk(), () -> "snapshot of " + m + ": " + status + "\n" + describeAll());
    }

    /** Polls {@code condition} until it holds; fails after {@link #WAIT} with every node's state. */
    void await(String what, BooleanSupplier condition) {
        await(what, condition, this::describeAll);
    }

    static void await(String what, BooleanSupplier condition, Supplier<String> state) {
        long deadline = deadline(WAIT);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("waited " + WAIT + " for " + what + "; state:\n" + state.get());
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }

    String describeAll() {
        return members.stream().map(Member::describe).collect(Collectors.joining("\n"));
    }

    /** What a log directory holds, read back through a fresh {@link Wal4jLogStorage}. */
    record LogContents(long firstIndex, long lastIndex, List<LogEntry> entries) {
        LogEntry at(long index) {
            return entries.get((int) (index - firstIndex));
        }
    }

    /** Opens a stopped node's log with a new {@link Wal4jLogStorage} and reads every entry. */
    static LogContents readLog(Path logDir) {
        Wal4jLogStorage storage = new Wal4jLogStorage(logDir.toString(), new RaftOptions());
        LogStorageOptions opts = new LogStorageOptions();
        opts.setConfigurationManager(new ConfigurationManager());
        opts.setLogEntryCodecFactory(LogEntryV2CodecFactory.getInstance());
        opts.setGroupId(GROUP);
        assertTrue(storage.init(opts), () -> "Wal4jLogStorage.init in " + logDir);
        try {
            long first = storage.getFirstLogIndex();
            long last = storage.getLastLogIndex();
            List<LogEntry> entries = new ArrayList<>();
            for (long i = first; i <= last; i++) {
                LogEntry e = storage.getEntry(i);
                if (e == null) {
                    fail("no entry at index " + i + " in " + logDir + " (first " + first + ", last " + last + ")");
                }
                entries.add(e);
            }
            return new LogContents(first, last, entries);
        } finally {
            storage.shutdown();
        }
    }

    private static RpcServer bindFreePort() throws IOException {
        for (int attempt = 0; attempt < 20; attempt++) {
            int port;
            try (ServerSocket probe = new ServerSocket(0, 50, InetAddress.getByName(HOST))) {
                port = probe.getLocalPort();
            }
            // Another process may take the port between the probe's close and our bind.
            RpcServer server = bind(port);
            if (server != null) {
                return server;
            }
        }
        throw new IOException("could not bind a free port on " + HOST + " in 20 attempts");
    }

    /** A started Raft RPC server on HOST:port, or null if it could not bind. */
    private static RpcServer bind(int port) {
        RpcServer server = new BoltRpcServer(new com.alipay.remoting.rpc.RpcServer(HOST, port, true));
        RaftRpcServerFactory.addRaftRequestProcessors(server);
        try {
            if (server.init(null)) {
                return server;
            }
        } catch (RuntimeException e) {
            // bolt throws when the port is taken
        }
        shutdownQuietly(server);
        return null;
    }

    private static void shutdownQuietly(RpcServer server) {
        try {
            server.shutdown();
        } catch (RuntimeException e) {
            // it never started
        }
    }

    private static long deadline(Duration d) {
        return System.nanoTime() + d.toNanos();
    }

    private static long remainingNanos(long deadline) {
        return Math.max(0, deadline - System.nanoTime());
    }
}

package org.wal4j.jraft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.alipay.sofa.jraft.JRaftServiceFactory;
import com.alipay.sofa.jraft.JRaftUtils;
import com.alipay.sofa.jraft.conf.ConfigurationEntry;
import com.alipay.sofa.jraft.conf.ConfigurationManager;
import com.alipay.sofa.jraft.entity.EnumOutter.EntryType;
import com.alipay.sofa.jraft.entity.LogEntry;
import com.alipay.sofa.jraft.entity.LogId;
import com.alipay.sofa.jraft.entity.codec.v2.LogEntryV2CodecFactory;
import com.alipay.sofa.jraft.option.LogStorageOptions;
import com.alipay.sofa.jraft.option.NodeOptions;
import com.alipay.sofa.jraft.option.RaftOptions;
import com.alipay.sofa.jraft.storage.LogStorage;
import com.alipay.sofa.jraft.util.JRaftServiceLoader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.wal4j.Journal;
import org.wal4j.JournalOptions;
import org.wal4j.JournalRecord;
import org.wal4j.SyncMode;

/**
 * The {@link LogStorage} contract of {@link Wal4jLogStorage}, case by case: JRaft's own
 * storage test's cases (with indexes from 1), the edge cases of JRaft's semantics, the
 * encoding on disk, the SPI registration, and fail-stop on a full filesystem.
 */
class Wal4jLogStorageTest {
    @TempDir
    Path tmp;

    private ConfigurationManager confManager = new ConfigurationManager();
    private Wal4jLogStorage storage;

    static LogEntry entry(long index, long term, String data) {
        LogEntry e = new LogEntry(EntryType.ENTRY_TYPE_DATA);
        e.setId(new LogId(index, term));
        e.setData(ByteBuffer.wrap(data.getBytes(StandardCharsets.UTF_8)));
        return e;
    }

    static List<LogEntry> entries(long from, long to) {
        List<LogEntry> list = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            list.add(entry(i, i, "hello" + i));
        }
        return list;
    }

    private LogStorageOptions options() {
        LogStorageOptions o = new LogStorageOptions();
        o.setConfigurationManager(confManager);
        o.setLogEntryCodecFactory(LogEntryV2CodecFactory.getInstance());
        o.setGroupId("group001");
        return o;
    }

    private Path logDir() {
        return tmp.resolve("log");
    }

    private Wal4jLogStorage open() {
        storage = new Wal4jLogStorage(logDir().toString(), new RaftOptions());
        assertTrue(storage.init(options()));
        return storage;
    }

    private Wal4jLogStorage reopen() {
        storage.shutdown();
        confManager = new ConfigurationManager();
        return open();
    }

    @AfterEach
    void shutdown() {
        if (storage != null) {
            storage.shutdown();
        }
    }

    @Test
    void emptyLogHasFirstIndexOneAndLastIndexZero() {
        open();
        assertEquals(1, storage.getFirstLogIndex());
        assertEquals(0, storage.getLastLogIndex());
        assertNull(storage.getEntry(1));
        assertNull(storage.getEntry(100));
        assertEquals(0, storage.getTerm(1));
        reopen();
        assertEquals(1, storage.getFirstLogIndex());
        assertEquals(0, storage.getLastLogIndex());
    }

    @Test
    void theFirstIndexFollowsTheFirstEntryAppended() {
        open();
        LogEntry e100 = entry(100, 1, "a");
        assertTrue(storage.appendEntry(e100));
        assertEquals(100, storage.getFirstLogIndex());
        assertEquals(100, storage.getLastLogIndex());
        assertEquals(e100, storage.getEntry(100));
        assertTrue(storage.appendEntry(entry(200, 2, "b")), "a gap, as JRaft's own storage test appends");
        assertEquals(100, storage.getFirstLogIndex());
        assertEquals(200, storage.getLastLogIndex());
        assertNull(storage.getEntry(150));
        assertEquals(2, storage.getEntry(200).getId().getTerm());
        assertEquals(2, storage.getTerm(200));
        reopen();
        assertEquals(100, storage.getFirstLogIndex());
        assertEquals(200, storage.getLastLogIndex());
        assertEquals(e100, storage.getEntry(100));
    }

    @Test
    void appendEntriesReadsBackItsOwnWritesAndAcrossReopen() {
        open();
        List<LogEntry> list = entries(1, 10);
        assertEquals(10, storage.appendEntries(list));
        assertEquals(1, storage.getFirstLogIndex());
        assertEquals(10, storage.getLastLogIndex());
        for (LogEntry e : list) {
            assertEquals(e, storage.getEntry(e.getId().getIndex()), "read your own write at " + e.getId());
        }
        reopen();
        for (LogEntry e : list) {
            LogEntry got = storage.getEntry(e.getId().getIndex());
            assertEquals(e, got, "after reopen at " + e.getId());
            assertEquals(e.getId().getIndex(), got.getId().getTerm());
        }
        assertEquals(0, storage.appendEntries(List.of()));
        assertEquals(0, storage.appendEntries(null));
    }

    @Test
    void entriesThatAreNotOneRunAreAppendedRunByRun() {
        open();
        List<LogEntry> list = new ArrayList<>(entries(1, 3));
        list.addAll(entries(7, 8));
        assertEquals(5, storage.appendEntries(list));
        assertEquals(8, storage.getLastLogIndex());
        assertNull(storage.getEntry(5));
        assertEquals(list.get(3), storage.getEntry(7));
    }

    @Test
    void anEntryAtOrBelowTheLastIndexIsRefusedAndNothingOfItsBatchAppended() {
        open();
        assertEquals(5, storage.appendEntries(entries(1, 5)));
        assertEquals(0, storage.appendEntries(entries(5, 7)), "index 5 is taken");
        assertEquals(5, storage.getLastLogIndex());
        assertEquals("hello5", data(storage.getEntry(5)));
        assertFalse(storage.appendEntry(entry(0, 1, "zero")), "index 0 is refused");
        assertFalse(storage.appendEntry(entry(-1, 1, "negative")));
        assertEquals(1, storage.appendEntries(entries(6, 6)), "the storage still takes entries after a refusal");
    }

    @Test
    void configurationEntriesAreLoadedOnInit() {
        open();
        assertTrue(confManager.getLastConfiguration().isEmpty());
        LogEntry conf1 = new LogEntry(EntryType.ENTRY_TYPE_CONFIGURATION);
        conf1.setId(new LogId(99, 1));
        conf1.setPeers(JRaftUtils.getConfiguration("localhost:8081,localhost:8082").listPeers());
        LogEntry conf2 = new LogEntry(EntryType.ENTRY_TYPE_CONFIGURATION);
        conf2.setId(new LogId(101, 2));
        conf2.setPeers(JRaftUtils.getConfiguration("localhost:8081,localhost:8082,localhost:8083").listPeers());
        conf2.setOldPeers(conf1.getPeers());
        conf2.setLearners(JRaftUtils.getConfiguration("localhost:8090").listPeers());
        assertTrue(storage.appendEntry(conf1));
        assertEquals(2, storage.appendEntries(List.of(entry(100, 1, "data"), conf2)));
        reopen();
        ConfigurationEntry last = confManager.getLastConfiguration();
        assertEquals(new LogId(101, 2), last.getId());
        assertEquals("localhost:8081,localhost:8082,localhost:8083", last.getConf().getPeers().toString().replace("[", "")
                .replace("]", "").replace(" ", ""));
        assertEquals(JRaftUtils.getConfiguration("localhost:8090").listPeers(), new ArrayList<>(last.getConf().getLearners()));
        assertEquals(JRaftUtils.getConfiguration("localhost:8081,localhost:8082").getPeers(), last.getOldConf().getPeers());
        ConfigurationEntry at99 = confManager.get(99);
        assertEquals(new LogId(99, 1), at99.getId());
        assertEquals(JRaftUtils.getConfiguration("localhost:8081,localhost:8082").getPeers(), at99.getConf().getPeers());
        assertEquals(at99.getId(), confManager.get(100).getId(), "index 100 is a data entry under conf 99");
    }

    @Test
    void resetKeepsTheEntryAtTheNextIndexIfTheLogHadIt() {
        open();
        assertEquals(10, storage.appendEntries(entries(1, 10)));
        assertTrue(storage.reset(5));
        assertEquals(5, storage.getFirstLogIndex());
        assertEquals(5, storage.getLastLogIndex());
        assertEquals(entries(5, 5).get(0), storage.getEntry(5));
        assertNull(storage.getEntry(4));
        assertNull(storage.getEntry(6));
        assertEquals(1, storage.appendEntries(entries(6, 6)));
        reopen();
        assertEquals(5, storage.getFirstLogIndex());
        assertEquals(6, storage.getLastLogIndex());
        assertEquals(5, storage.getEntry(5).getId().getTerm());
    }

    @Test
    void resetBeyondTheLogLeavesANoOpEntryOfTermZero() {
        open();
        assertEquals(10, storage.appendEntries(entries(1, 10)));
        assertTrue(storage.reset(50));
        assertEquals(50, storage.getFirstLogIndex());
        assertEquals(50, storage.getLastLogIndex());
        LogEntry noOp = storage.getEntry(50);
        assertEquals(EntryType.ENTRY_TYPE_NO_OP, noOp.getType());
        assertEquals(new LogId(50, 0), noOp.getId());
        reopen();
        assertEquals(50, storage.getFirstLogIndex());
        assertEquals(50, storage.getLastLogIndex());
        assertEquals(new LogId(50, 0), storage.getEntry(50).getId());
        assertThrows(IllegalArgumentException.class, () -> storage.reset(0));
        assertThrows(IllegalArgumentException.class, () -> storage.reset(-7));
    }

    @Test
    void truncatePrefixHidesTheEntriesBelowAndAfterARestartKeepsTheRest() {
        storage = new Wal4jLogStorage(logDir(), JournalOptions.builder().segmentBytes(16 << 10).maxValueBytes(4 << 10).build());
        assertTrue(storage.init(options()));
        List<LogEntry> big = new ArrayList<>();
        for (long i = 1; i <= 200; i++) {
            big.add(entry(i, i, i + "x".repeat(500)));
        }
        assertEquals(200, storage.appendEntries(big));
        long segmentsBefore = segments();
        assertTrue(storage.truncatePrefix(150));
        assertEquals(150, storage.getFirstLogIndex());
        assertEquals(200, storage.getLastLogIndex());
        for (long i = 1; i < 150; i++) {
            assertNull(storage.getEntry(i), "below the first index: " + i);
        }
        assertEquals(big.get(149), storage.getEntry(150));
        assertTrue(segments() < segmentsBefore, "segments wholly below 150 are deleted: " + segments() + " of " + segmentsBefore);
        assertTrue(storage.truncatePrefix(120), "a lower first index kept is no change");
        assertEquals(150, storage.getFirstLogIndex());
        storage.shutdown();
        storage = new Wal4jLogStorage(logDir(), JournalOptions.builder().segmentBytes(16 << 10).maxValueBytes(4 << 10).build());
        assertTrue(storage.init(options()));
        long first = storage.getFirstLogIndex();
        assertTrue(first > 1 && first <= 150, "after a restart, entries that shared a segment with kept ones may show: first=" + first);
        for (long i = first; i <= 200; i++) {
            assertEquals(big.get((int) i - 1), storage.getEntry(i), "index " + i);
        }
    }

    @Test
    void truncatePrefixBeyondTheLastIndexEmptiesTheLogAtThatIndex() {
        open();
        assertEquals(10, storage.appendEntries(entries(1, 10)));
        assertTrue(storage.truncatePrefix(21));
        assertEquals(21, storage.getFirstLogIndex());
        assertEquals(20, storage.getLastLogIndex());
        assertNull(storage.getEntry(10));
        reopen();
        assertEquals(21, storage.getFirstLogIndex(), "durable");
        assertEquals(20, storage.getLastLogIndex());
        assertEquals(1, storage.appendEntries(entries(21, 21)));
        assertEquals(21, storage.getFirstLogIndex());
        assertEquals(21, storage.getLastLogIndex());
    }

    @Test
    void truncateSuffixRemovesTheEntriesAfterTheIndexAndTheirIndexesAreAppendedAgain() {
        open();
        assertEquals(10, storage.appendEntries(entries(1, 10)));
        assertTrue(storage.truncateSuffix(5));
        assertEquals(1, storage.getFirstLogIndex());
        assertEquals(5, storage.getLastLogIndex());
        assertNull(storage.getEntry(6));
        assertTrue(storage.appendEntry(entry(6, 9, "again")));
        reopen();
        assertEquals(6, storage.getLastLogIndex());
        assertEquals("again", data(storage.getEntry(6)));
        assertEquals(9, storage.getEntry(6).getId().getTerm());
        assertTrue(storage.truncateSuffix(0));
        assertEquals(1, storage.getFirstLogIndex());
        assertEquals(0, storage.getLastLogIndex());
    }

    /** Each entry is one record: the V2 encoding as value, the term as timestamp, the type as a one-byte key. */
    @Test
    void entriesAreJRaftsV2EncodingWithTheTermAndTypeBeside() throws IOException {
        open();
        LogEntry e = entry(3, 7, "payload");
        assertTrue(storage.appendEntry(e));
        storage.shutdown();
        storage = null;
        try (Journal j = Journal.open(logDir(), JournalOptions.builder().syncPolicy(SyncMode.NONE).build())) {
            JournalRecord r = j.read(3);
            assertEquals(7, r.timestamp());
            assertArrayEquals(new byte[] {(byte) EntryType.ENTRY_TYPE_DATA.getNumber()}, r.key());
            assertArrayEquals(LogEntryV2CodecFactory.getInstance().encoder().encode(e), r.value());
            assertEquals(e, LogEntryV2CodecFactory.getInstance().decoder().decode(r.value()));
        }
    }

    @Test
    void callsOnAStorageNotInitializedOrShutDownFail() {
        storage = new Wal4jLogStorage(logDir().toString(), new RaftOptions());
        assertEquals(0, storage.appendEntries(entries(1, 1)));
        assertNull(storage.getEntry(1));
        assertFalse(storage.truncateSuffix(0));
        assertThrows(IllegalStateException.class, storage::getFirstLogIndex);
        assertTrue(storage.init(options()));
        assertTrue(storage.init(options()), "a second init is a no-op, as in JRaft's storages");
        storage.shutdown();
        assertEquals(0, storage.appendEntries(entries(1, 1)));
        assertFalse(storage.truncatePrefix(5));
        assertFalse(storage.reset(5));
        storage = null;
    }

    @Test
    void theJarOnTheClassPathMakesWal4jJRaftsDefaultFactory() {
        JRaftServiceFactory first = JRaftServiceLoader.load(JRaftServiceFactory.class).first();
        assertInstanceOf(Wal4jJRaftServiceFactory.class, first);
        assertInstanceOf(Wal4jJRaftServiceFactory.class, new NodeOptions().getServiceFactory());
        assertInstanceOf(Wal4jLogStorage.class, first.createLogStorage(logDir().toString(), new RaftOptions()));
        IllegalArgumentException blank = assertThrows(IllegalArgumentException.class, () -> first.createLogStorage(" ", new RaftOptions()));
        assertTrue(blank.getMessage().contains("Blank"), blank.getMessage());
        assertNotNull(first.createLogEntryCodecFactory());
        assertInstanceOf(Wal4jLogStorage.class, new Wal4jJRaftServiceFactory(JournalOptions.defaults())
                .createLogStorage(logDir().toString(), new RaftOptions()));
    }

    /**
     * A full filesystem (a 1 MiB tmpfs): the append that meets ENOSPC fails and is not in the
     * log, every later append fails, the cause is logged once, and after a restart on a
     * filesystem with room the log holds exactly what was reported appended.
     */
    @Test
    void aFailedWriteFailsTheAppendAndEveryLaterOneAndIsLoggedOnce() throws Exception {
        Path mount = Files.createDirectories(tmp.resolve("tiny"));
        Process m = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mount.toString())
                .redirectErrorStream(true).start();
        String mountOutput = new String(m.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        org.junit.jupiter.api.Assumptions.assumeTrue(m.waitFor() == 0,
                "mounting a tmpfs needs root (or CAP_SYS_ADMIN): " + mountOutput);
        Path dir = mount.resolve("log");
        long reported = 0;
        ByteArrayOutputStream logged = new ByteArrayOutputStream();
        PrintStream err = System.err;
        try {
            storage = new Wal4jLogStorage(dir, JournalOptions.builder().segmentBytes(256 << 10).maxValueBytes(64 << 10).preallocate(false)
                    .recycleSegments(0).build());
            assertTrue(storage.init(options()));
            System.setErr(new PrintStream(logged, true, StandardCharsets.UTF_8));
            String data = "x".repeat(16 << 10);
            int failures = 0;
            for (long i = 1; i <= 200 && failures < 3; i++) {
                int n = storage.appendEntries(List.of(entry(i, 1, data)));
                if (n == 1) {
                    assertEquals(0, failures, "an append after a failure succeeded at index " + i);
                    reported = i;
                } else {
                    assertEquals(0, n);
                    failures++;
                }
            }
            System.setErr(err);
            assertEquals(3, failures, "1 MiB fills up before 200 entries of 16 KiB");
            assertTrue(reported > 10, "appends succeeded until the filesystem was full: " + reported);
            String log = logged.toString(StandardCharsets.UTF_8);
            assertEquals(1, log.split("has failed and refuses writes", -1).length - 1, "the cause is logged once:\n" + log);
            assertTrue(log.contains("No space left") || log.contains("ENOSPC"), "the cause, in full:\n" + log);
            storage.shutdown();
            storage = null;
            Path copy = tmp.resolve("copy");
            Files.createDirectories(copy);
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.copy(p, copy.resolve(p.getFileName()));
                }
            }
            Wal4jLogStorage after = new Wal4jLogStorage(copy, JournalOptions.defaults());
            assertTrue(after.init(options()));
            try {
                assertEquals(reported, after.getLastLogIndex(), "exactly what was reported appended");
                for (long i = 1; i <= reported; i++) {
                    assertEquals(data, data(after.getEntry(i)), "index " + i);
                }
            } finally {
                after.shutdown();
            }
        } finally {
            System.setErr(err);
            if (storage != null) {
                storage.shutdown();
                storage = null;
            }
            new ProcessBuilder("umount", mount.toString()).inheritIO().start().waitFor();
        }
    }

    private long segments() {
        try (var files = Files.list(logDir())) {
            return files.filter(p -> p.getFileName().toString().endsWith(".wal4j")).count();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static String data(LogEntry e) {
        ByteBuffer b = e.getData().duplicate();
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}

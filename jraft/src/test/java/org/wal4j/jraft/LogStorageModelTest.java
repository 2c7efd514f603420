package org.wal4j.jraft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.alipay.sofa.jraft.JRaftUtils;
import com.alipay.sofa.jraft.conf.ConfigurationEntry;
import com.alipay.sofa.jraft.conf.ConfigurationManager;
import com.alipay.sofa.jraft.entity.EnumOutter.EntryType;
import com.alipay.sofa.jraft.entity.LogEntry;
import com.alipay.sofa.jraft.entity.LogId;
import com.alipay.sofa.jraft.entity.codec.v2.LogEntryV2CodecFactory;
import com.alipay.sofa.jraft.option.LogStorageOptions;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import org.wal4j.JournalOptions;

/**
 * {@link Wal4jLogStorage} against an in-memory model of JRaft's log semantics: random
 * sequences of appends (data and configuration entries, batches of 1 to 40), truncatePrefix
 * (below, within and beyond the log), truncateSuffix, reset (to an index in the log or past
 * it) and reopen, with every visible entry, the first and last index, and after each reopen the
 * configurations loaded, checked after every step. Small segments, so that truncatePrefix
 * deletes some; the journal syncs as JRaft's default {@code RaftOptions.sync} asks.
 */
class LogStorageModelTest {
    sealed interface Op permits Append, TruncatePrefix, TruncateSuffix, Reset, Reopen {}

    /** {@code count} entries after the last; a configuration entry among them if {@code conf}; a new term if {@code newTerm}. */
    record Append(int count, boolean conf, boolean newTerm, int dataBytes) implements Op {}

    /** truncatePrefix(first + {@code offset}), offset from -2 to past the last. */
    record TruncatePrefix(int offset) implements Op {}

    /** truncateSuffix(last - {@code back}), kept at or above first - 1. */
    record TruncateSuffix(int back) implements Op {}

    /** reset(first + {@code offset}): in the log or past it. */
    record Reset(int offset) implements Op {}

    record Reopen() implements Op {}

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Op> append = Arbitraries.integers().between(1, 40).flatMap(n -> Arbitraries.integers().between(0, 2000)
                .flatMap(bytes -> Arbitraries.of(true, false).flatMap(conf -> Arbitraries.of(true, false)
                        .map(term -> new Append(n, conf && n % 3 == 0, term && n % 2 == 0, bytes)))));
        Arbitrary<Op> prefix = Arbitraries.integers().between(-2, 120).map(TruncatePrefix::new);
        Arbitrary<Op> suffix = Arbitraries.integers().between(0, 30).map(TruncateSuffix::new);
        Arbitrary<Op> reset = Arbitraries.integers().between(-1, 150).map(Reset::new);
        Arbitrary<Op> reopen = Arbitraries.just(new Reopen());
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(10, append), net.jqwik.api.Tuple.of(3, prefix), net.jqwik.api.Tuple.of(3, suffix),
                net.jqwik.api.Tuple.of(1, reset), net.jqwik.api.Tuple.of(3, reopen))
                .list().ofMinSize(5).ofMaxSize(40);
    }

    /** The log as JRaft sees it. */
    private static final class Model {
        final TreeMap<Long, LogEntry> entries = new TreeMap<>();
        /** Entries a truncatePrefix within the log hid: a restart may show them again (their segment stayed). */
        final TreeMap<Long, LogEntry> hidden = new TreeMap<>();
        long first = 1;
        long last = 0;
        long term = 1;
    }

    private static LogStorageOptions options(ConfigurationManager confManager) {
        LogStorageOptions o = new LogStorageOptions();
        o.setConfigurationManager(confManager);
        o.setLogEntryCodecFactory(LogEntryV2CodecFactory.getInstance());
        return o;
    }

    private static Wal4jLogStorage open(Path dir, ConfigurationManager confManager) {
        Wal4jLogStorage s = new Wal4jLogStorage(dir, JournalOptions.builder().segmentBytes(32 << 10).maxValueBytes(8 << 10).build());
        assertTrue(s.init(options(confManager)), "init");
        return s;
    }

    @Property(tries = 40, shrinking = ShrinkingMode.BOUNDED)
    void theStorageBehavesAsTheModel(@ForAll("ops") List<Op> ops) throws IOException {
        Path dir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "wal4j-jraft-model");
        Wal4jLogStorage s = open(dir, new ConfigurationManager());
        Model m = new Model();
        List<String> done = new ArrayList<>();
        try {
            for (Op op : ops) {
                done.add(op.toString());
                apply(s, m, op);
                if (op instanceof Reopen) {
                    s.shutdown();
                    ConfigurationManager confManager = new ConfigurationManager();
                    s = open(dir, confManager);
                    reopened(s, m, confManager, done);
                }
                check(s, m, done);
            }
        } finally {
            s.shutdown();
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    private static void apply(Wal4jLogStorage s, Model m, Op op) {
        switch (op) {
            case Append a -> {
                if (a.newTerm()) {
                    m.term++;
                }
                List<LogEntry> batch = new ArrayList<>();
                for (int i = 0; i < a.count(); i++) {
                    long index = m.last + 1 + i;
                    batch.add(a.conf() && i == a.count() / 2 ? conf(index, m.term) : data(index, m.term, a.dataBytes()));
                }
                assertEquals(a.count(), s.appendEntries(batch), "appendEntries " + a);
                for (LogEntry e : batch) {
                    m.entries.put(e.getId().getIndex(), e);
                }
                m.last += a.count();
            }
            case TruncatePrefix p -> {
                long keep = m.first + p.offset();
                assertTrue(s.truncatePrefix(keep));
                if (keep > m.last) {
                    m.entries.clear();
                    m.hidden.clear();
                    m.first = keep;
                    m.last = keep - 1;
                } else if (keep > m.first) {
                    Map<Long, LogEntry> below = m.entries.headMap(keep);
                    m.hidden.putAll(below);
                    below.clear();
                    m.first = keep;
                }
            }
            case TruncateSuffix t -> {
                long keep = Math.max(m.first - 1, m.last - t.back());
                assertTrue(s.truncateSuffix(keep));
                m.entries.tailMap(keep, false).clear();
                m.hidden.tailMap(keep, false).clear();
                m.last = Math.min(m.last, keep);
            }
            case Reset r -> {
                long next = Math.max(1, m.first + r.offset());
                LogEntry kept = m.entries.get(next);
                assertTrue(s.reset(next));
                if (kept == null) {
                    kept = new LogEntry(EntryType.ENTRY_TYPE_NO_OP);
                    kept.setId(new LogId(next, 0));
                }
                m.entries.clear();
                m.hidden.clear();
                m.entries.put(next, kept);
                m.first = next;
                m.last = next;
            }
            case Reopen ignored -> { }
        }
    }

    /** After a restart the first index may be lower: entries a truncatePrefix hid may show again, each as it was. */
    private static void reopened(Wal4jLogStorage s, Model m, ConfigurationManager confManager, List<String> done) {
        long first = s.getFirstLogIndex();
        assertTrue(first <= m.first, "first index " + first + " above the model's " + m.first + " after " + done);
        for (long i = first; i < m.first; i++) {
            LogEntry was = m.hidden.get(i);
            assertEquals(was, s.getEntry(i), "a hidden entry shows again, as it was, at " + i + " after " + done);
            m.entries.put(i, was);
        }
        m.hidden.clear();
        m.first = first;
        LogEntry lastConf = null;
        for (LogEntry e : m.entries.values()) {
            if (e.getType() == EntryType.ENTRY_TYPE_CONFIGURATION) {
                lastConf = e;
            }
        }
        ConfigurationEntry loaded = confManager.getLastConfiguration();
        if (lastConf == null) {
            assertTrue(loaded.isEmpty(), "no configuration entry in the log, but " + loaded + " was loaded after " + done);
        } else {
            assertEquals(lastConf.getId(), loaded.getId(), "the last configuration loaded after " + done);
            assertEquals(new java.util.HashSet<>(lastConf.getPeers()), new java.util.HashSet<>(loaded.getConf().getPeers()));
        }
    }

    private static void check(Wal4jLogStorage s, Model m, List<String> done) {
        assertEquals(m.first, s.getFirstLogIndex(), "first index after " + done);
        assertEquals(m.last, s.getLastLogIndex(), "last index after " + done);
        for (Map.Entry<Long, LogEntry> e : m.entries.entrySet()) {
            assertEquals(e.getValue(), s.getEntry(e.getKey()), "entry " + e.getKey() + " after " + done);
        }
        assertNull(s.getEntry(m.first - 1), "below the first index after " + done);
        assertNull(s.getEntry(m.last + 1), "above the last index after " + done);
    }

    private static LogEntry data(long index, long term, int bytes) {
        LogEntry e = new LogEntry(EntryType.ENTRY_TYPE_DATA);
        e.setId(new LogId(index, term));
        byte[] b = new byte[bytes];
        for (int i = 0; i < bytes; i++) {
            b[i] = (byte) (index * 31 + i);
        }
        e.setData(ByteBuffer.wrap(b));
        return e;
    }

    private static LogEntry conf(long index, long term) {
        LogEntry e = new LogEntry(EntryType.ENTRY_TYPE_CONFIGURATION);
        e.setId(new LogId(index, term));
        e.setPeers(JRaftUtils.getConfiguration("127.0.0.1:" + (8000 + index % 7) + ",127.0.0.1:9001").listPeers());
        return e;
    }
}

package org.wal4j.bench.jraft;

import com.alipay.sofa.jraft.JRaftServiceFactory;
import com.alipay.sofa.jraft.conf.ConfigurationManager;
import com.alipay.sofa.jraft.core.DefaultJRaftServiceFactory;
import com.alipay.sofa.jraft.entity.codec.v2.LogEntryV2CodecFactory;
import com.alipay.sofa.jraft.option.LogStorageOptions;
import com.alipay.sofa.jraft.option.RaftOptions;
import com.alipay.sofa.jraft.storage.LogStorage;
import com.alipay.sofa.jraft.storage.impl.RocksDBLogStorage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.wal4j.jraft.Wal4jJRaftServiceFactory;
import org.wal4j.jraft.Wal4jLogStorage;

/**
 * The log storages the JRaft benchmarks compare, by the name their {@code storage}
 * parameter gives: {@code wal4j} (wal4j-jraft's Wal4jLogStorage and Wal4jJRaftServiceFactory),
 * {@code rocksdb} (JRaft's own RocksDBLogStorage and DefaultJRaftServiceFactory), and
 * {@code memory} ({@link MemoryLogStorage}: nothing written, the ceiling JRaft's own path sets).
 * Data live under {@code -Dwal4j.bench.dir} (default {@code ./target}).
 */
final class Storages {
    static final String WAL4J = "wal4j";
    static final String ROCKSDB = "rocksdb";
    static final String MEMORY = "memory";

    private Storages() {}

    /** A log storage, not yet initialised. */
    static LogStorage create(String storage, String path, RaftOptions raftOptions) {
        return switch (storage) {
            case ROCKSDB -> new RocksDBLogStorage(path, raftOptions);
            case WAL4J -> new Wal4jLogStorage(path, raftOptions);
            case MEMORY -> new MemoryLogStorage();
            default -> throw new IllegalArgumentException("storage: wal4j, rocksdb or memory, not " + storage);
        };
    }

    /** A log storage, initialised as a node's LogManager would. */
    static LogStorage open(String storage, String path, RaftOptions raftOptions) {
        LogStorage log = create(storage, path, raftOptions);
        LogStorageOptions opts = new LogStorageOptions();
        opts.setGroupId("bench");
        opts.setConfigurationManager(new ConfigurationManager());
        opts.setLogEntryCodecFactory(LogEntryV2CodecFactory.getInstance());
        if (!log.init(opts)) {
            throw new IllegalStateException(storage + " log storage did not init at " + path);
        }
        return log;
    }

    static JRaftServiceFactory serviceFactory(String storage) {
        return switch (storage) {
            case ROCKSDB -> new DefaultJRaftServiceFactory();
            case WAL4J -> new Wal4jJRaftServiceFactory();
            case MEMORY -> new DefaultJRaftServiceFactory() {
                @Override
                public LogStorage createLogStorage(String uri, RaftOptions raftOptions) {
                    return new MemoryLogStorage();
                }
            };
            default -> throw new IllegalArgumentException("storage: wal4j, rocksdb or memory, not " + storage);
        };
    }

    /** A fresh directory under -Dwal4j.bench.dir (default ./target). */
    static Path freshDir(String prefix) throws IOException {
        Path base = Path.of(System.getProperty("wal4j.bench.dir", "target"));
        Files.createDirectories(base);
        return Files.createTempDirectory(base, prefix);
    }

    static void deleteTree(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}

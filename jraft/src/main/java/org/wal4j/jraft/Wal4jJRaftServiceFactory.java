package org.wal4j.jraft;

import com.alipay.sofa.jraft.JRaftServiceFactory;
import com.alipay.sofa.jraft.core.DefaultJRaftServiceFactory;
import com.alipay.sofa.jraft.option.RaftOptions;
import com.alipay.sofa.jraft.storage.LogStorage;
import com.alipay.sofa.jraft.util.SPI;
import java.nio.file.Path;
import java.util.Objects;
import org.wal4j.JournalOptions;

/**
 * JRaft's services with the log on wal4j: a {@link Wal4jLogStorage} in each node's log
 * directory ({@code NodeOptions.setLogUri}); the snapshot and Raft meta storages, and the
 * entry codec (V2), are JRaft's defaults.
 *
 * <p>Registered in {@code META-INF/services/com.alipay.sofa.jraft.JRaftServiceFactory} with a
 * higher {@link SPI} priority than JRaft's default factory (and its BDB extension's), so with
 * this jar on the class path {@code NodeOptions}' default service factory is this one. To
 * choose it explicitly, or to give the journals options of your own:
 * {@code nodeOptions.setServiceFactory(new Wal4jJRaftServiceFactory())}.
 */
@SPI(name = "wal4j", priority = 10)
public class Wal4jJRaftServiceFactory extends DefaultJRaftServiceFactory {
    private final JournalOptions options;

    /** Journals with default options, synced as {@code RaftOptions.isSync()} says (see {@link Wal4jLogStorage#Wal4jLogStorage(String, RaftOptions)}). */
    public Wal4jJRaftServiceFactory() {
        this.options = null;
    }

    /**
     * Journals with {@code options}, used as given, sync policy included (Raft's guarantee
     * needs {@code SyncPolicy.always()}, the journal's default).
     *
     * @param options every log's journal options
     */
    public Wal4jJRaftServiceFactory(JournalOptions options) {
        this.options = Objects.requireNonNull(options, "options");
    }

    /**
     * A {@link Wal4jLogStorage} in {@code uri}, a directory path.
     *
     * @throws IllegalArgumentException if {@code uri} is null or blank
     */
    @Override
    public LogStorage createLogStorage(String uri, RaftOptions raftOptions) {
        if (uri == null || uri.isBlank()) {
            throw new IllegalArgumentException("Blank log storage uri: '" + uri + "'");
        }
        return options == null ? new Wal4jLogStorage(uri, raftOptions) : new Wal4jLogStorage(Path.of(uri), options);
    }

    /**
     * The factory JRaft picks by default with this jar on the class path.
     *
     * @return whether {@code factory} puts logs on wal4j
     */
    public static boolean isWal4j(JRaftServiceFactory factory) {
        return factory instanceof Wal4jJRaftServiceFactory;
    }
}

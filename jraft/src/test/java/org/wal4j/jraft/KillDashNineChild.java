package org.wal4j.jraft;

import com.alipay.sofa.jraft.conf.ConfigurationManager;
import com.alipay.sofa.jraft.entity.EnumOutter.EntryType;
import com.alipay.sofa.jraft.entity.LogEntry;
import com.alipay.sofa.jraft.entity.LogId;
import com.alipay.sofa.jraft.entity.codec.v2.LogEntryV2CodecFactory;
import com.alipay.sofa.jraft.option.LogStorageOptions;
import com.alipay.sofa.jraft.option.RaftOptions;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The writer {@link LogStorageKillDashNineTest} kills: appends batches to a
 * {@link Wal4jLogStorage} with sync on until it is killed, and prints what each call returned
 * ({@code ok <last index>}), and around each truncateSuffix {@code cutting <index>} and
 * {@code cut <index> <new term>}. Entries carry {@link #data}(index, term).
 */
public final class KillDashNineChild {
    private KillDashNineChild() {}

    static byte[] data(long index, long term) {
        String s = "i" + index + "t" + term + "-";
        return (s + "x".repeat((int) (index % 300))).getBytes(StandardCharsets.UTF_8);
    }

    public static void main(String[] args) {
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
        Wal4jLogStorage storage = new Wal4jLogStorage(args[0], new RaftOptions());
        long term = Long.parseLong(args[1]);
        Random r = new Random(term);
        LogStorageOptions o = new LogStorageOptions();
        o.setConfigurationManager(new ConfigurationManager());
        o.setLogEntryCodecFactory(LogEntryV2CodecFactory.getInstance());
        if (!storage.init(o)) {
            throw new IllegalStateException("init failed");
        }
        long last = storage.getLastLogIndex();
        out.println("ok " + last);
        while (true) {
            if (r.nextInt(10) == 0 && last >= storage.getFirstLogIndex()) {
                long keep = Math.max(storage.getFirstLogIndex() - 1, last - r.nextInt(6));
                out.println("cutting " + keep);
                if (!storage.truncateSuffix(keep)) {
                    throw new IllegalStateException("truncateSuffix failed");
                }
                last = keep;
                term++;
                out.println("cut " + keep + " " + term);
                continue;
            }
            int n = 1 + r.nextInt(16);
            List<LogEntry> batch = new ArrayList<>(n);
            for (int i = 1; i <= n; i++) {
                LogEntry e = new LogEntry(EntryType.ENTRY_TYPE_DATA);
                e.setId(new LogId(last + i, term));
                e.setData(ByteBuffer.wrap(data(last + i, term)));
                batch.add(e);
            }
            if (storage.appendEntries(batch) != n) {
                throw new IllegalStateException("appendEntries failed");
            }
            last += n;
            out.println("ok " + last);
        }
    }
}

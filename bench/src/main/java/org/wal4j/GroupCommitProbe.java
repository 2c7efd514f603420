package org.wal4j;

import java.lang.foreign.MemorySegment;
import java.nio.file.*;
import java.util.*;
import java.util.concurrent.atomic.*;
import org.wal4j.io.*;

/**
 * Not a JMH benchmark: a probe that shows how group commit behaves. N threads append in
 * ALWAYS mode for 4 s through a backend that counts and times the segment writes and
 * fdatasyncs; prints appends/s, rounds (fdatasyncs)/s, records per round and how busy the
 * fdatasync was, and the process CPU time per append. In package org.wal4j for Journal.open with a backend.
 * {@code java --enable-native-access=ALL-UNNAMED -cp bench/target/wal4j-bench.jar org.wal4j.GroupCommitProbe <threads> <recordBytes> <direct>}
 */
public class GroupCommitProbe {
    static final AtomicLong syncs = new AtomicLong(), syncNanos = new AtomicLong(), writes = new AtomicLong(), writeBytes = new AtomicLong(), writeNanos = new AtomicLong();
    public static void main(String[] a) throws Exception {
        int threads = Integer.parseInt(a[0]);
        int size = Integer.parseInt(a[1]);
        boolean direct = Boolean.parseBoolean(a[2]);
        Path dir = Files.createTempDirectory(Files.createDirectories(Path.of(System.getProperty("wal4j.bench.dir", "data"))), "probe");
        IoBackend real = IoBackend.select();
        IoBackend io = new IoBackend() {
            public String name() { return real.name(); }
            public boolean supportsAllocate() { return real.supportsAllocate(); }
            public void syncDirectory(Path d) throws java.io.IOException { real.syncDirectory(d); }
            public IoFile open(Path p, OpenFlag... f) throws java.io.IOException {
                IoFile x = real.open(p, f);
                if (!p.getFileName().toString().endsWith(".wal4j")) return x;
                return new IoFile() {
                    public Path path() { return x.path(); }
                    public boolean isDirect() { return x.isDirect(); }
                    public int directAlignment() { return x.directAlignment(); }
                    public void write(long o, MemorySegment s) throws java.io.IOException { long t = System.nanoTime(); x.write(o, s); writeNanos.addAndGet(System.nanoTime() - t); writes.incrementAndGet(); writeBytes.addAndGet(s.byteSize()); }
                    public void writeDsync(long o, MemorySegment s) throws java.io.IOException { x.writeDsync(o, s); }
                    public boolean supportsWriteDsync() { return x.supportsWriteDsync(); }
                    public long read(long o, MemorySegment d) throws java.io.IOException { return x.read(o, d); }
                    public void datasync() throws java.io.IOException { long t = System.nanoTime(); x.datasync(); syncNanos.addAndGet(System.nanoTime() - t); syncs.incrementAndGet(); }
                    public void sync() throws java.io.IOException { x.sync(); }
                    public void allocate(long o, long l) throws java.io.IOException { x.allocate(o, l); }
                    public void truncate(long s) throws java.io.IOException { x.truncate(s); }
                    public long size() throws java.io.IOException { return x.size(); }
                    public void close() throws java.io.IOException { x.close(); }
                };
            }
        };
        Journal j = Journal.open(dir, JournalOptions.builder().syncPolicy(SyncMode.ALWAYS).direct(direct).segmentBytes(256L << 20).build(), io);
        j.append(new byte[size]);
        Thread.sleep(3000); // let the spare be prepared
        AtomicLong appends = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        syncs.set(0); syncNanos.set(0); writes.set(0); writeBytes.set(0); writeNanos.set(0);
        List<Thread> ts = new ArrayList<>();
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        long cpu0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        for (int i = 0; i < threads; i++) ts.add(Thread.ofPlatform().start(() -> { byte[] v = new byte[size]; try { while (!stop.get()) { j.append(v); appends.incrementAndGet(); } } catch (Exception e) { e.printStackTrace(); } }));
        Thread.sleep(4000);
        stop.set(true);
        for (Thread t : ts) t.join();
        double secs = (System.nanoTime() - t0) / 1e9;
        double cpuSecs = (os.getProcessCpuTime() - cpu0) / 1e9;
        System.out.printf("threads=%d size=%d direct=%b: %.0f appends/s, %.0f syncs/s, %.1f records/sync, sync mean %.0f us (busy %.0f%%), writes %d mean %.0f KiB %.0f us; process CPU %.0f%% of %d cores, %.1f us CPU per append%n",
            threads, size, direct, appends.get() / secs, syncs.get() / secs, (double) appends.get() / syncs.get(), syncNanos.get() / 1e3 / syncs.get(), 100.0 * syncNanos.get() / 1e9 / secs, writes.get(), writeBytes.get() / 1024.0 / writes.get(), writeNanos.get() / 1e3 / writes.get(),
            100.0 * cpuSecs / secs / Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().availableProcessors(), cpuSecs * 1e6 / appends.get());
        j.close();
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}

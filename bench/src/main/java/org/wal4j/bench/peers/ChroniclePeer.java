package org.wal4j.bench.peers;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Stream;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.bytes.SyncMode;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.TailerDirection;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;

/**
 * Chronicle Queue (open source, {@code net.openhft:chronicle-queue}): a
 * {@link SingleChronicleQueue} in the directory, binary wire, the default roll cycle
 * (daily); a record is one excerpt of its raw bytes. Each thread has its own appender (an
 * appender is single-threaded; Chronicle's write lock orders the threads' excerpts) and its
 * own tailer for reads. Record n is the n-th excerpt of the queue: within one cycle the index
 * of the first excerpt plus n - 1; a queue that rolled into a later cycle is counted cycle by
 * cycle. A batch is its records appended one excerpt each (Chronicle has no batch write)
 * with, for {@link #durable()}, one msync after the last.
 *
 * <p>Acknowledged: {@link #noSync()}, the excerpt is written to the memory-mapped queue file
 * (page cache; Chronicle's default, no per-append durability). {@link #durable()}, the queue is
 * built with {@code syncMode(SyncMode.SYNC)} and each append (each batch) calls the
 * appender's {@code sync()}: {@code msync(MS_SYNC)} of the file's pages from the last synced
 * page up to the appender's write position. Pages before that which the append also changed
 * (the file header's write position, index entries written into earlier index blocks) are
 * not in that range and reach the disk later; whether Chronicle finds every msync'd excerpt
 * after a power loss with those pages stale is not checked here.
 *
 * <p>JDK 25: Chronicle runs with the flags of {@link #JVM_FLAGS} on top of the benchmark's
 * ({@code --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow}).
 * It maps its files through {@code sun.nio.ch}'s private map0: without
 * {@code --add-exports=java.base/sun.nio.ch=ALL-UNNAMED} it falls back to a read-only queue
 * ("Can't append to a read-only chronicle"), without
 * {@code --add-opens=java.base/java.lang.reflect=ALL-UNNAMED} it cannot make map0 accessible
 * ("IllegalAccessException: class is not public: sun.nio.ch.UnixFileDispatcherImpl.map0");
 * without {@code --add-exports=java.base/jdk.internal.ref=ALL-UNNAMED} it runs but warns that
 * it has no ByteBuffer cleaner. {@link #open} refuses with the missing flags named rather
 * than fail inside Chronicle. Chronicle's usage analytics (chronicle-analytics, which would post to
 * Google Analytics) are turned off ({@code chronicle.analytics.disable}) unless the property
 * is set; Chronicle still starts its disk-space monitor thread.
 */
final class ChroniclePeer implements Peer {
    /** The JVM flags Chronicle needs on JDK 25, besides the benchmark's own. */
    static final List<String> JVM_FLAGS = List.of(
            "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
            "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED");

    private final Path dir;
    private final SingleChronicleQueue queue;
    private final boolean sync;
    private final Queue<AutoCloseable> perThread = new ConcurrentLinkedQueue<>();
    private final ThreadLocal<ExcerptAppender> appenders;
    private final ThreadLocal<ExcerptTailer> tailers;
    private volatile long firstIndex = Long.MIN_VALUE;

    private ChroniclePeer(Path dir, SingleChronicleQueue queue, boolean sync) {
        this.dir = dir;
        this.queue = queue;
        this.sync = sync;
        this.appenders = ThreadLocal.withInitial(() -> register(queue.createAppender()));
        this.tailers = ThreadLocal.withInitial(() -> register(queue.createTailer()));
    }

    static PeerKind durable() {
        return new PeerKind("chronicle-sync", true,
                "durable (data pages): excerpt written, then appender.sync(), msync(MS_SYNC) up to the write position",
                (dir, recordBytes) -> open(dir, true));
    }

    static PeerKind noSync() {
        return new PeerKind("chronicle", false,
                "page cache: excerpt written to the mmap'd queue file (no per-append durability)",
                (dir, recordBytes) -> open(dir, false));
    }

    static Peer open(Path dir, boolean sync) throws IOException {
        Module base = Object.class.getModule();
        Module us = ChroniclePeer.class.getModule();
        List<String> missing = new ArrayList<>();
        if (!base.isExported("sun.nio.ch", us)) {
            missing.add(JVM_FLAGS.get(0));
        }
        if (!base.isOpen("java.lang.reflect", us)) {
            missing.add(JVM_FLAGS.get(1));
        }
        if (!base.isExported("jdk.internal.ref", us)) {
            missing.add(JVM_FLAGS.get(2));
        }
        if (!missing.isEmpty()) {
            throw new UnsupportedOperationException("Chronicle Queue on JDK " + Runtime.version().feature()
                    + " needs the JVM flags " + String.join(" ", missing));
        }
        if (System.getProperty("chronicle.analytics.disable") == null) {
            System.setProperty("chronicle.analytics.disable", "true");
        }
        Files.createDirectories(dir);
        SingleChronicleQueue queue = SingleChronicleQueueBuilder.binary(dir.toFile())
                .syncMode(sync ? SyncMode.SYNC : SyncMode.NONE)
                .build();
        return new ChroniclePeer(dir, queue, sync);
    }

    private <T extends AutoCloseable> T register(T perThreadObject) {
        perThread.add(perThreadObject);
        return perThreadObject;
    }

    private static void write(ExcerptAppender appender, byte[] record) {
        try (DocumentContext dc = appender.writingDocument()) {
            dc.wire().bytes().write(record);
        }
    }

    @Override
    public void append(byte[] record) {
        ExcerptAppender appender = appenders.get();
        write(appender, record);
        if (sync) {
            appender.sync();
        }
    }

    @Override
    public void appendBatch(byte[][] records) {
        ExcerptAppender appender = appenders.get();
        for (byte[] r : records) {
            write(appender, r);
        }
        if (sync) {
            appender.sync();
        }
    }

    /** fsync of every file of the queue (it flushes the mapped pages too), then of the directory. */
    @Override
    public void sync() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
                    ch.force(true);
                }
            }
        }
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    @Override
    public byte[] read(long index) throws ParseException {
        ExcerptTailer tailer = tailers.get();
        long first = firstIndex;
        if (first == Long.MIN_VALUE) {
            first = queue.firstIndex();
            if (first == Long.MAX_VALUE) {
                throw new NoSuchElementException("no record " + index + " (the queue is empty)");
            }
            firstIndex = first;
        }
        if (!tailer.moveToIndex(first + index - 1)) {
            long across = indexAcrossCycles(tailer, index);
            if (across == Long.MIN_VALUE || !tailer.moveToIndex(across)) {
                throw new NoSuchElementException("no record " + index);
            }
        }
        try (DocumentContext dc = tailer.readingDocument()) {
            if (!dc.isPresent()) {
                throw new NoSuchElementException("no record " + index);
            }
            Bytes<?> bytes = dc.wire().bytes();
            byte[] into = new byte[(int) bytes.readRemaining()];
            bytes.read(into);
            return into;
        }
    }

    /** The Chronicle index of record n, counting the excerpts of each cycle from the first. */
    private long indexAcrossCycles(ExcerptTailer tailer, long n) throws ParseException {
        RollCycle rollCycle = queue.rollCycle();
        int last = queue.lastCycle();
        long before = 0;
        // nextCycle answers -1 past the last cycle
        for (int cycle = queue.firstCycle(); cycle >= 0 && cycle <= last;
                cycle = queue.nextCycle(cycle, TailerDirection.FORWARD)) {
            long count = Math.max(tailer.excerptsInCycle(cycle), 0);
            if (n - 1 < before + count) {
                return rollCycle.toIndex(cycle, n - 1 - before);
            }
            before += count;
        }
        return Long.MIN_VALUE;
    }

    @Override
    public long replay() {
        long total = 0;
        int firsts = 0;
        try (ExcerptTailer tailer = queue.createTailer()) {
            while (true) {
                try (DocumentContext dc = tailer.readingDocument()) {
                    if (!dc.isPresent()) {
                        break;
                    }
                    Bytes<?> bytes = dc.wire().bytes(); // a view of the mapped file: no copy
                    long n = bytes.readRemaining();
                    if (n > 0) {
                        firsts += bytes.peekUnsignedByte();
                    }
                    total += n;
                }
            }
        }
        Peers.consume(firsts);
        return total;
    }

    @Override
    public void close() throws Exception {
        for (AutoCloseable c : perThread) {
            c.close();
        }
        queue.close();
    }
}

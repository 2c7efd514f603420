package org.wal4j.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.wal4j.io.CReferenceLoop;
import org.wal4j.io.Errno;
import org.wal4j.io.IoBackend;
import org.wal4j.io.IoCallException;
import org.wal4j.io.IoFile;
import org.wal4j.io.JavaIo;
import org.wal4j.io.OpenFlag;
import org.wal4j.io.PosixIo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code wal4j fsync-test}: pg_test_fsync for the JVM. Every (method, size, file state) is
 * measured on each call path (FFM, FileChannel, C loop) side by side: the paths take turns
 * in rounds, each on its own identically prepared file, so drift on a shared, noisy machine
 * hits all of them alike. {@code --threads} runs that many writers per path at once, each on a
 * file of its own; pg_test_fsync's second-descriptor check follows the tests, and
 * {@code --chart} draws what they measured.
 */
@Command(name = "fsync-test", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Compares ways to make writes durable on the filesystem of --dir, each through the FFM (PosixIo) path,",
            "the pure-Java (FileChannel) path and a C loop, side by side: ops/s, MB/s and latency percentiles.",
            "Methods: fdatasync, fsync, dsync, direct-fdatasync, direct-dsync, rwf-dsync, mmap.",
            "File states: append (growing file), fallocated, zeroed (zero-filled: pure overwrites)."})
final class FsyncTestCommand implements Callable<Integer> {

    @Option(names = "--dir", defaultValue = ".", description = "Directory on the filesystem to test (must exist). Default: ${DEFAULT-VALUE}")
    Path dir;

    @Option(names = "--seconds", defaultValue = "0.2",
            description = "Measured time of each method, size, state and path. Default: ${DEFAULT-VALUE}")
    double seconds;

    @Option(names = "--sizes", split = ",", defaultValue = "512,4k,16k,64k,1m", converter = ByteSize.class,
            description = "Write sizes. Default: ${DEFAULT-VALUE}")
    List<Long> sizes;

    @Option(names = "--methods", split = ",", defaultValue = "all",
            description = "Methods, or 'all'. Default: ${DEFAULT-VALUE}")
    List<String> methods;

    @Option(names = "--states", split = ",", defaultValue = "append,fallocated,zeroed",
            description = "File states. Default: ${DEFAULT-VALUE}")
    List<String> states;

    @Option(names = "--paths", split = ",", defaultValue = "ffm,java,c",
            description = "Call paths. Default: ${DEFAULT-VALUE}")
    List<String> paths;

    @Option(names = "--rounds", defaultValue = "3",
            description = "Turns each path takes per test (its time is split across them); the order rotates so that"
                    + " with a multiple of the number of paths each path goes first equally often. Default: ${DEFAULT-VALUE}")
    int rounds;

    @Option(names = "--file-size", defaultValue = "256m", converter = ByteSize.class,
            description = "Size of the preallocated files; writes wrap around inside it. Default: ${DEFAULT-VALUE}")
    long fileBytes;

    @Option(names = "--warmup", defaultValue = "0.5",
            description = "Seconds of unrecorded work per Java path before the first test (JIT). Default: ${DEFAULT-VALUE}")
    double warmupSeconds;

    // Each thread writes a file of its own, not a region of a shared one: fdatasync flushes the
    // whole file, so on a shared file one thread's sync also carries the others' writes (the group
    // commit a journal does for itself) and the syncs queue on one inode. With a file each, what the
    // threads share is the device and the filesystem's journal: how far the disk overlaps syncs.
    @Option(names = "--threads", defaultValue = "1",
            description = "Concurrent writers per path, each on a file of its own (fio's numjobs): ops/s is their sum,"
                    + " the percentiles are over all their operations. Default: ${DEFAULT-VALUE}")
    int threads;

    @Option(names = "--json", description = "Also write all results as JSON to this file.")
    Path json;

    @Option(names = "--chart",
            description = "Also draw the latencies (p50 and p99 per method and size, a panel per file state) to this"
                    + " file: SVG or PNG, by its extension.")
    Path chart;

    @Option(names = "--keep-files", description = "Keep the test files in --dir afterwards.")
    boolean keepFiles;

    /** Above this, --threads is a typo rather than a test: every thread holds a file per path. */
    static final int MAX_THREADS = 1024;

    private final PrintStream out = System.out;
    private final PrintStream err = System.err;

    /** One measured (method, size, state, path). */
    record Result(FsyncMethod method, long sizeBytes, FileState state, CallPath path, int threads, String how, String status,
                  long ops, long elapsedNanos, boolean exhausted, Histogram latencyNanos) {
        boolean ok() {
            return status.equals("ok");
        }

        double opsPerSecond() {
            return elapsedNanos == 0 ? 0 : ops * 1e9 / elapsedNanos;
        }

        double megabytesPerSecond() {
            return opsPerSecond() * sizeBytes / 1e6;
        }

        double micros(double percentile) {
            return latencyNanos.getValueAtPercentile(percentile) / 1000.0;
        }

        double maxMicros() {
            return latencyNanos.getMaxValue() / 1000.0;
        }
    }

    @Override
    public Integer call() throws Exception {
        List<FsyncMethod> methodList = parseMethods();
        List<FileState> stateList = parse(states, FileState.values(), s -> s.id, "state");
        List<CallPath> pathList = parse(paths, CallPath.values(), p -> p.id, "path");
        validate();

        if (chart != null) {
            FsyncChart.formatOf(chart);
        }
        // fail now, not after the run, if a path is not writable or charts cannot be drawn
        if (json != null) {
            Files.writeString(json, "");
        }
        if (chart != null) {
            Files.writeString(chart, "");
            FsyncChart.checkCanDraw();
        }
        Map<String, String> system = SystemReport.describe(dir);
        out.println("wal4j fsync-test " + Wal4jCommand.version());
        system.forEach((k, v) -> out.printf("%-11s %s%n", k + ":", v));
        Set<CallPath> usable = usablePaths(pathList);
        out.printf("per test:   %.2f s in %d round(s) per path, %s; files of %s in %s%n%n", seconds, rounds,
                threads == 1 ? "1 thread" : threads + " threads each on a file of its own", ByteSize.format(fileBytes),
                dir.toAbsolutePath().normalize());
        checkSpace(stateList, usable);

        List<Result> results = new ArrayList<>();
        SecondDescriptorCheck check;
        try (TestFiles files = new TestFiles(dir, fileBytes, keepFiles);
             ExecutorService pool = writerPool()) {
            warmUp(files, usable);
            int total = 0;
            for (FileState state : stateList) {
                for (FsyncMethod method : methodList) {
                    total += method.runsIn(state) ? sizes.size() : 0;
                }
            }
            int index = 0;
            for (FileState state : stateList) {
                for (FsyncMethod method : methodList) {
                    if (!method.runsIn(state)) {
                        continue;
                    }
                    for (long size : sizes) {
                        index++;
                        out.printf("[%d/%d] %s, %s, %s file, %s%n", index, total, method.title, ByteSize.format(size), state.id,
                                threadCount(threads));
                        List<Result> group = measure(files, pool, method, size, state, pathList, usable, index);
                        printGroup(group);
                        results.addAll(group);
                    }
                }
            }
            check = secondDescriptorCheck(files);
        }
        out.println();
        out.print(check.text());
        List<FsyncVerdict> verdicts = FsyncVerdict.of(results);
        if (!verdicts.isEmpty()) {
            out.println();
            out.println("verdict:");
            verdicts.forEach(v -> out.print(v.text()));
        }
        if (chart != null) {
            FsyncChart.write(chart, results, threads);
            out.println("chart written to " + chart);
        }
        if (json != null) {
            Files.writeString(json, JsonReport.render(system, results, verdicts, check, seconds, rounds, threads, fileBytes));
            out.println("results written to " + json);
        }
        return 0;
    }

    /** pg_test_fsync's second-descriptor check at the first size, on the path a journal would use. */
    private SecondDescriptorCheck secondDescriptorCheck(TestFiles files) {
        CallPath path = PosixIo.isAvailable() ? CallPath.FFM : CallPath.JAVA;
        IoBackend backend = path == CallPath.FFM ? PosixIo.instance() : JavaIo.instance();
        long size = sizes.get(0);
        // wrapping in 16 MiB keeps the preparation short; the writes are overwrites either way
        long wrapBytes = Math.min(fileBytes, Math.max(size, 16L << 20));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = randomBuffer(arena, size);
            Path file = files.zeroed("fsync-test-second-descriptor.dat", wrapBytes);
            return SecondDescriptorCheck.run(backend, path, file, buf, wrapBytes, System.nanoTime() + (long) (seconds * 1e9));
        } catch (IOException | RuntimeException e) {
            return new SecondDescriptorCheck(path, size, classify(e, FsyncMethod.FDATASYNC), new Histogram(3), new Histogram(3));
        }
    }

    private void validate() {
        if (!(seconds > 0) || seconds > 3600) {
            throw new IllegalArgumentException("--seconds=" + seconds + " must be in (0, 3600]");
        }
        if (threads < 1 || threads > MAX_THREADS) {
            throw new IllegalArgumentException("--threads=" + threads + " must be in [1, " + MAX_THREADS + "]");
        }
        if (rounds < 1 || rounds > 1000) {
            throw new IllegalArgumentException("--rounds=" + rounds + " must be in [1, 1000]");
        }
        long largest = sizes.stream().mapToLong(Long::longValue).max().orElse(0);
        if (fileBytes < largest) {
            throw new IllegalArgumentException("--file-size=" + fileBytes + " is smaller than the largest --sizes value " + largest);
        }
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("--dir=" + dir + " is not an existing directory");
        }
    }

    /**
     * The threads beside the calling one that run writers 1 to N-1, started now: a thread
     * started inside a slice would start late, past its deadline on a loaded machine.
     */
    private ExecutorService writerPool() {
        if (threads == 1) {
            return null;
        }
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads - 1, threads - 1, 0, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), Thread.ofPlatform().daemon().name("wal4j-fsync-test-writer-", 1).factory());
        pool.prestartAllCoreThreads();
        return pool;
    }

    static String threadCount(int threads) {
        return threads == 1 ? "1 thread" : threads + " threads";
    }

    /**
     * Fails before the first test if the prepared files cannot fit: each path keeps a file per
     * thread and prepared state until the end, so --threads multiplies what the run needs.
     */
    private void checkSpace(List<FileState> stateList, Set<CallPath> usable) throws IOException {
        long prepared = stateList.stream().filter(s -> s != FileState.APPEND).count();
        long needed = prepared * usable.size() * threads * fileBytes;
        long free = Files.getFileStore(dir).getUsableSpace();
        if (needed > free) {
            throw new IllegalArgumentException("the test files need " + ByteSize.approx(needed) + " (" + prepared
                    + " prepared state(s) x " + usable.size() + " path(s) x " + threadCount(threads) + " x --file-size "
                    + ByteSize.format(fileBytes) + ") but " + dir + " has " + ByteSize.approx(free) + " free");
        }
    }

    private List<FsyncMethod> parseMethods() {
        if (methods.size() == 1 && methods.get(0).equals("all")) {
            return List.of(FsyncMethod.values());
        }
        return parse(methods, FsyncMethod.values(), m -> m.id, "method");
    }

    private static <E> List<E> parse(List<String> names, E[] all, java.util.function.Function<E, String> id, String what) {
        List<E> list = new ArrayList<>();
        for (String name : names) {
            E found = null;
            for (E e : all) {
                if (id.apply(e).equals(name.trim())) {
                    found = e;
                }
            }
            if (found == null) {
                List<String> valid = new ArrayList<>();
                for (E e : all) {
                    valid.add(id.apply(e));
                }
                throw new IllegalArgumentException("unknown " + what + " '" + name + "' (valid: " + String.join(", ", valid) + ")");
            }
            list.add(found);
        }
        return list;
    }

    private Set<CallPath> usablePaths(List<CallPath> requested) {
        Set<CallPath> usable = EnumSet.noneOf(CallPath.class);
        for (CallPath p : requested) {
            String unavailable = switch (p) {
                case FFM -> PosixIo.unavailableReason();
                case C -> CReferenceLoop.unavailableReason();
                case JAVA -> null;
            };
            if (unavailable == null) {
                usable.add(p);
            } else {
                out.println("path " + p.id + ": unavailable: " + unavailable);
            }
        }
        return usable;
    }

    /** Runs each Java path unrecorded for a while, so that the first test does not measure the JIT. */
    private void warmUp(TestFiles files, Set<CallPath> usable) throws IOException {
        if (warmupSeconds <= 0) {
            return;
        }
        Path scratch = files.scratch();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = randomBuffer(arena, 4096);
            for (CallPath p : usable) {
                if (p == CallPath.C) {
                    continue;
                }
                IoBackend backend = p == CallPath.FFM ? PosixIo.instance() : JavaIo.instance();
                try (OpLoop loop = new OpLoop.IoFileLoop(backend.open(scratch, OpenFlag.READ, OpenFlag.WRITE, OpenFlag.CREATE),
                        FsyncMethod.Op.WRITE_DATASYNC, buf, 1 << 20)) {
                    loop.run(0, Long.MAX_VALUE, System.nanoTime() + (long) (warmupSeconds * 1e9), new Histogram(3));
                }
            }
        }
    }

    private List<Result> measure(TestFiles files, ExecutorService pool, FsyncMethod method, long size, FileState state,
                                 List<CallPath> requested, Set<CallPath> usable, int testIndex) {
        Map<CallPath, Writers> writers = new EnumMap<>(CallPath.class);
        long wrapBytes = state == FileState.APPEND ? 0 : fileBytes;
        // A fallocated file is only fallocated until each block was written once: no wrapping.
        long maxOps = state == FileState.FALLOCATED ? fileBytes / size : Long.MAX_VALUE;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment buf = randomBuffer(arena, size);
            for (CallPath p : requested) {
                Writers w = new Writers(threads);
                writers.put(p, w);
                if (!method.runsOn(p)) {
                    w.status = "n/a";
                } else if (!usable.contains(p)) {
                    w.status = "unavailable";
                } else {
                    try {
                        for (int t = 0; t < threads; t++) {
                            Path file = files.prepare(state, p, t);
                            w.loops.add(openLoop(p, method, file, buf, wrapBytes));
                        }
                    } catch (IOException | RuntimeException e) {
                        w.status = classify(e, method);
                    }
                }
            }
            long sliceNanos = (long) (seconds * 1e9 / rounds);
            List<CallPath> order = new ArrayList<>();
            writers.forEach((p, w) -> {
                if (w.ok()) {
                    order.add(p);
                }
            });
            for (int r = 0; r < rounds; r++) {
                for (int i = 0; i < order.size(); i++) {
                    Writers w = writers.get(order.get((i + r + testIndex) % order.size()));
                    if (!w.ok() || w.allReached(maxOps)) {
                        continue;
                    }
                    long t0 = System.nanoTime();
                    try {
                        w.runSlice(pool, maxOps, t0 + sliceNanos);
                    } catch (IOException | RuntimeException e) {
                        // refused at the first operation: the filesystem's answer; after some: a failure
                        long done = w.totalOps();
                        w.status = done == 0 ? classify(e, method) : "failed after " + done + " ops: " + e.getMessage();
                    }
                    w.elapsedNanos += System.nanoTime() - t0;
                }
            }
            for (Writers w : writers.values()) {
                for (OpLoop loop : w.loops) {
                    try {
                        loop.close();
                    } catch (IOException e) {
                        err.println("warning: closing a test file failed: " + e.getMessage());
                    }
                }
            }
        }
        List<Result> group = new ArrayList<>();
        for (CallPath p : requested) {
            Writers w = writers.get(p);
            group.add(new Result(method, size, state, p, threads, method.howByPath.getOrDefault(p, "-"), w.status,
                    w.totalOps(), w.elapsedNanos, w.anyReached(maxOps), w.latencies()));
        }
        return group;
    }

    /**
     * One path's writers in one test: per thread a loop on a file of its own, its latencies and
     * its operation count. The threads of a slice start together and share its deadline.
     */
    private static final class Writers {
        final List<OpLoop> loops = new ArrayList<>();
        final List<Histogram> histograms = new ArrayList<>();
        final long[] ops;
        long elapsedNanos;
        String status = "ok";

        Writers(int threads) {
            ops = new long[threads];
            for (int t = 0; t < threads; t++) {
                histograms.add(new Histogram(3));
            }
        }

        boolean ok() {
            return status.equals("ok");
        }

        long totalOps() {
            long sum = 0;
            for (long n : ops) {
                sum += n;
            }
            return sum;
        }

        boolean allReached(long maxOps) {
            for (long n : ops) {
                if (n < maxOps) {
                    return false;
                }
            }
            return true;
        }

        boolean anyReached(long maxOps) {
            for (long n : ops) {
                if (n >= maxOps) {
                    return true;
                }
            }
            return false;
        }

        /** All threads' latencies in one histogram: the percentiles over every operation of the path. */
        Histogram latencies() {
            Histogram all = new Histogram(3);
            histograms.forEach(all::add);
            return all;
        }

        /**
         * Runs every thread's loop until the deadline (or its file's end); the first failure is
         * rethrown. Loop 0 runs on the calling thread, so one thread is no hand-off at all.
         */
        void runSlice(ExecutorService pool, long maxOps, long deadlineNanos) throws IOException {
            List<Future<Long>> running = new ArrayList<>(loops.size());
            running.add(null);
            for (int t = 1; t < loops.size(); t++) {
                OpLoop loop = loops.get(t);
                Histogram histogram = histograms.get(t);
                long first = ops[t];
                running.add(first >= maxOps ? null : pool.submit(() -> loop.run(first, maxOps - first, deadlineNanos, histogram)));
            }
            Throwable failure = null;
            if (ops[0] < maxOps) {
                try {
                    ops[0] += loops.get(0).run(ops[0], maxOps - ops[0], deadlineNanos, histograms.get(0));
                } catch (IOException | RuntimeException e) {
                    failure = e;
                }
            }
            for (int t = 1; t < running.size(); t++) {
                Future<Long> f = running.get(t);
                if (f == null) {
                    continue;
                }
                try {
                    ops[t] += f.get();
                } catch (ExecutionException e) {
                    failure = failure == null ? e.getCause() : failure;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted while the writers ran");
                }
            }
            switch (failure) {
                case null -> { }
                case IOException e -> throw e;
                case RuntimeException e -> throw e;
                case Error e -> throw e;
                default -> throw new IllegalStateException(failure);
            }
        }
    }

    private static OpLoop openLoop(CallPath p, FsyncMethod method, Path file, MemorySegment buf, long wrapBytes)
            throws IOException {
        OpenFlag[] flags = new OpenFlag[2 + method.extraFlags.length];
        flags[0] = OpenFlag.READ;
        flags[1] = OpenFlag.WRITE;
        System.arraycopy(method.extraFlags, 0, flags, 2, method.extraFlags.length);
        if (p == CallPath.JAVA && method.op == FsyncMethod.Op.MAPPED_FORCE) {
            FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
            try {
                return new OpLoop.MappedLoop(channel, buf, wrapBytes);
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
        }
        IoFile f = (p == CallPath.JAVA ? JavaIo.instance() : PosixIo.instance()).open(file, flags);
        int alignment = f.directAlignment();
        if (f.isDirect() && (buf.byteSize() % alignment != 0 || wrapBytes % alignment != 0)) {
            f.close();
            throw new MisalignedSizeException("size " + buf.byteSize() + " or --file-size " + wrapBytes
                    + " is not a multiple of this path's O_DIRECT alignment " + alignment);
        }
        return p == CallPath.C ? new OpLoop.CLoop(f, method.cMethod, buf, wrapBytes)
                : new OpLoop.IoFileLoop(f, method.op, buf, wrapBytes);
    }

    /** The user's sizes do not fit the filesystem's O_DIRECT alignment: not a filesystem refusal. */
    static final class MisalignedSizeException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        MisalignedSizeException(String message) {
            super(message);
        }
    }

    /** "not supported: EINVAL" for what the filesystem or backend refuses; "failed: ..." for real errors. */
    static String classify(Exception e, FsyncMethod method) {
        if (e instanceof IoCallException ice) {
            int errno = ice.errno();
            if (errno == Errno.EINVAL || errno == Errno.EOPNOTSUPP || errno == Errno.ENOSYS) {
                return "not supported: " + ice.errnoName();
            }
            if (errno == 0 && method.isDirect() && ice.call().equals("open") && ice.getCause() != null) {
                return "not supported: " + ice.getCause().getMessage();
            }
            return "failed: " + ice.getMessage();
        }
        if (e instanceof MisalignedSizeException) {
            return "skipped: " + e.getMessage();
        }
        if (e instanceof UnsupportedOperationException) {
            return "not supported: " + e.getMessage();
        }
        return "failed: " + e;
    }

    private static MemorySegment randomBuffer(Arena arena, long size) {
        MemorySegment buf = arena.allocate(size, 4096);
        Random random = new Random(size);
        long i = 0;
        for (; i + Long.BYTES <= size; i += Long.BYTES) {
            buf.set(ValueLayout.JAVA_LONG_UNALIGNED, i, random.nextLong() | 1);
        }
        for (; i < size; i++) {
            buf.set(ValueLayout.JAVA_BYTE, i, (byte) (random.nextInt(255) + 1));
        }
        return buf;
    }

    private void printGroup(List<Result> group) {
        Result c = null;
        for (Result r : group) {
            if (r.path() == CallPath.C && r.ok() && r.ops() > 0) {
                c = r;
            }
        }
        out.printf("    %-5s %-38s %9s %9s %9s %9s %9s %9s %9s%n",
                "path", "how", "ops/s", "MB/s", "p50 us", "p99 us", "p99.9 us", "max us", "p50/C");
        for (Result r : group) {
            if (!r.ok() || r.ops() == 0) {
                out.printf("    %-5s %-38s %s%n", r.path().id, r.how(), r.ok() ? "no operation completed" : r.status());
                continue;
            }
            String ratio = c == null ? "-" : String.format("%.3f", r.micros(50) / c.micros(50));
            out.printf("    %-5s %-38s %9.0f %9.2f %9.1f %9.1f %9.1f %9.1f %9s%s%n",
                    r.path().id, r.how(), r.opsPerSecond(), r.megabytesPerSecond(),
                    r.micros(50), r.micros(99), r.micros(99.9), r.maxMicros(), ratio,
                    r.exhausted() ? "  (stopped at the end of the fallocated file: raise --file-size)" : "");
        }
        out.flush();
    }

    /** The per-path test files in --dir, prepared in each state; deleted at the end unless kept. */
    private static final class TestFiles implements AutoCloseable {
        private final Path dir;
        private final long fileBytes;
        private final boolean keep;
        private final IoBackend prep = PosixIo.isAvailable() ? PosixIo.instance() : JavaIo.instance();
        private final Set<Path> zeroed = new java.util.HashSet<>();
        private final Set<Path> created = new java.util.LinkedHashSet<>();

        private final Thread cleanupOnExit;

        TestFiles(Path dir, long fileBytes, boolean keep) {
            this.dir = dir;
            this.fileBytes = fileBytes;
            this.keep = keep;
            // an interrupted run (Ctrl-C) would otherwise leave GiBs of test files behind
            this.cleanupOnExit = new Thread(this::deleteQuietly, "wal4j-fsync-test-cleanup");
            if (!keep) {
                Runtime.getRuntime().addShutdownHook(cleanupOnExit);
            }
        }

        private void deleteQuietly() {
            for (Path p : List.copyOf(created)) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort at exit
                }
            }
        }

        Path scratch() {
            Path p = dir.resolve("fsync-test-warmup.dat");
            created.add(p);
            return p;
        }

        /** Thread t's file for path p, in the given state, made durable (data and directory entry). */
        Path prepare(FileState state, CallPath p, int thread) throws IOException {
            Path file = dir.resolve("fsync-test-" + state.id + "-" + p.id + (thread == 0 ? "" : "-" + thread) + ".dat");
            created.add(file);
            switch (state) {
                case APPEND -> {
                    try (IoFile f = prep.open(file, OpenFlag.WRITE, OpenFlag.CREATE, OpenFlag.TRUNCATE)) {
                        f.sync();
                    }
                }
                case FALLOCATED -> {
                    if (!prep.supportsAllocate()) {
                        throw new UnsupportedOperationException("fallocate needs PosixIo: " + PosixIo.unavailableReason());
                    }
                    Files.deleteIfExists(file);
                    try (IoFile f = prep.open(file, OpenFlag.WRITE, OpenFlag.CREATE_NEW)) {
                        f.allocate(0, fileBytes);
                        f.sync();
                    }
                }
                case ZEROED -> {
                    if (zeroed.add(file)) {
                        zeroFill(file, fileBytes);
                    }
                }
            }
            prep.syncDirectory(dir);
            return file;
        }

        /** A file of the given name, zero-filled to {@code bytes} and made durable. */
        Path zeroed(String name, long bytes) throws IOException {
            Path file = dir.resolve(name);
            created.add(file);
            zeroFill(file, bytes);
            prep.syncDirectory(dir);
            return file;
        }

        private void zeroFill(Path file, long bytes) throws IOException {
            try (IoFile f = prep.open(file, OpenFlag.WRITE, OpenFlag.CREATE, OpenFlag.TRUNCATE)) {
                f.zeroFill(0, bytes);
                f.sync();
            }
        }

        @Override
        public void close() throws IOException {
            if (keep) {
                return;
            }
            Runtime.getRuntime().removeShutdownHook(cleanupOnExit);
            for (Path p : created) {
                Files.deleteIfExists(p);
            }
        }
    }
}

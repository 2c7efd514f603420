package org.wal4j.io;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.LongPredicate;

/**
 * A test {@link IoBackend} that knows what is durable and can lose power. It runs over a real
 * backend (the journal works on real files) and keeps, per file (by inode), the bytes a
 * completed fdatasync/fsync made durable and the writes since, and, per directory, the names
 * a completed directory fsync made durable. At a chosen call ({@link #crashAt}) power is lost:
 * that call and every later one throw {@link PowerLoss} without reaching the disk, and
 * {@link #image} writes what a disk could hold afterwards into another directory, as chosen by
 * a {@link Loss} and a seed (the same seed gives the same image):
 * <ul>
 *   <li>{@link Loss#UNSYNCED}: every write not covered by a completed sync is gone (LazyFS);
 *   <li>{@link Loss#PREFIX}: a random prefix of each file's unsynced writes survives;
 *   <li>{@link Loss#SECTORS}: a random subset of their 512-byte sectors survives, in any
 *       order, and one torn sector per file holds old bytes, new bytes up to a random point
 *       and old ones after it, zeros or garbage; zeros or garbage only where the sector held
 *       no data before (all zeros): a rewrite of a sector that holds data is taken to leave
 *       each byte old or new, as a disk's sector write does (NVMe makes one logical block
 *       atomic, AWUPF), because the O_DIRECT writer rewrites the partial block holding the
 *       last durable bytes.
 * </ul>
 * Directory entries created, renamed or deleted since the directory's last fsync are lost
 * unless the image keeps them ({@code keepUnsyncedNames}). A sync that {@link #failSyncAt
 * fails} with EIO drops the writes it should have made durable (not its truncations, which
 * are metadata and stay pending), and later syncs succeed: the
 * fsyncgate behaviour of Linux: a buffered read still returns the dropped bytes (the kernel
 * marked the pages clean and keeps them cached), while a read of a file opened with
 * {@link OpenFlag#DIRECT} returns what the device holds: the durable bytes with the writes
 * since the last sync that no failed sync dropped (Linux writes dirty pages back before an
 * O_DIRECT read), and zeros where the file's size reaches past them (a dropped extending
 * write). {@link #refuseDirect} makes O_DIRECT opens fail with EINVAL, as ramfs does. A
 * {@link #faultyRead} returns a flipped bit or fails with EIO (the disk keeps the right
 * bytes). A sync that succeeds makes the file's size durable. A truncation is two pending
 * changes: zeros from the new end to the end of its 4 KiB block (ftruncate zeroes the rest of
 * that block, and ext4 and XFS may write it back before they commit the size), then the size.
 * Not modelled: other metadata;
 * reads through memory mappings (they bypass the backend); the kernel evicting the
 * dropped pages (a buffered read would then return the device's bytes too).
 */
public final class SimulatedDisk implements IoBackend {

    /** Thrown by the crashing call and every call after it. */
    public static final class PowerLoss extends Error {
        PowerLoss(long call) {
            super("simulated power loss at I/O call " + call, null, false, false);
        }
    }

    /** What a faulty read does. */
    public enum ReadFault {
        /** One bit of what the read returns is flipped (the disk holds the right bytes). */
        BIT_FLIP,
        /** The read fails with EIO. */
        EIO
    }

    /** What survives of the writes no sync covered. */
    public enum Loss { UNSYNCED, PREFIX, SECTORS }

    /**
     * What becomes of directory entries no directory fsync covered: all lost, all kept, or
     * each change (a name added, removed or pointing at another file) kept or lost on its own,
     * so that a later unlink may persist and an earlier one not (POSIX allows it; ext4's
     * journal would commit them in order, so this is harsher than ext4).
     */
    public enum Names { LOST, KEPT, EACH }

    private static final int SECTOR = 512;
    /** The filesystem block a truncation zeroes the rest of. */
    private static final int BLOCK = 4096;

    /** One file's durable bytes and the writes since its last sync (a negative length is a truncation). */
    private static final class Inode {
        byte[] durable = new byte[0];
        final List<long[]> pendingSpans = new ArrayList<>(); // {offset, length or -1 - newSize for truncate}
        final List<byte[]> pendingBytes = new ArrayList<>();

        Inode copy() {
            Inode c = new Inode();
            c.durable = durable.clone();
            c.pendingSpans.addAll(pendingSpans);
            c.pendingBytes.addAll(pendingBytes);
            return c;
        }
    }

    private final IoBackend delegate;
    /** The file each (device, inode) number pair is now; a number freed by a deletion may name a new file later. */
    private final Map<Object, Inode> inodes = new HashMap<>();
    /** Per directory, the names (and files) its last fsync made durable. */
    private final Map<Path, Map<String, Inode>> durableNames = new HashMap<>();
    private long calls;
    private long crashAt = Long.MAX_VALUE;
    private long failSyncAt = Long.MAX_VALUE;
    private java.util.function.Predicate<Path> failNextSyncOf;
    private long reads;
    private long faultyReadAt = Long.MAX_VALUE;
    private ReadFault readFault;
    private long readFaultSeed;
    private boolean crashed;
    private boolean revived;
    private boolean refuseDirect;
    /** What the power loss left. */
    private Snapshot crash;
    private LongPredicate snapshotPoints = n -> false;
    private Consumer<Snapshot> snapshotListener;

    private SimulatedDisk(IoBackend delegate) {
        this.delegate = delegate;
    }

    /**
     * A simulated disk over {@code delegate} for the files under {@code dirs}, whose present
     * contents and names are taken as durable.
     */
    public static SimulatedDisk over(IoBackend delegate, Path... dirs) throws IOException {
        SimulatedDisk d = new SimulatedDisk(delegate);
        for (Path dir : dirs) {
            Map<String, Inode> names = d.listing(dir);
            d.durableNames.put(dir, names);
            for (Map.Entry<String, Inode> e : names.entrySet()) {
                e.getValue().durable = Files.readAllBytes(dir.resolve(e.getKey()));
            }
        }
        return d;
    }

    /** Power is lost at the {@code n}th state-changing call (1-based; open, write, sync, truncate, directory sync). */
    public synchronized SimulatedDisk crashAt(long n) {
        this.crashAt = n;
        return this;
    }

    /** The {@code n}th sync (of a file or directory, counted with the other calls) fails with EIO, fsyncgate-style. */
    public synchronized SimulatedDisk failSyncAt(long n) {
        this.failSyncAt = n;
        return this;
    }

    /**
     * The next sync of a file (or directory) whose path {@code paths} accepts fails with EIO, fsyncgate-style
     * (whatever other threads do meanwhile: a call number would depend on their timing).
     */
    public synchronized SimulatedDisk failNextSyncOf(java.util.function.Predicate<Path> paths) {
        this.failNextSyncOf = paths;
        return this;
    }

    private synchronized boolean failsThisSync(Path path) {
        if (failNextSyncOf != null && failNextSyncOf.test(path)) {
            failNextSyncOf = null;
            return true;
        }
        return false;
    }

    /** Opens with {@link OpenFlag#DIRECT} fail with EINVAL from now on, as on a filesystem that refuses O_DIRECT (ramfs). */
    public synchronized SimulatedDisk refuseDirect() {
        this.refuseDirect = true;
        return this;
    }

    /** The {@code n}th read (1-based, counted apart from the other calls) is faulty, the flipped bit chosen by {@code seed}. */
    public synchronized SimulatedDisk faultyRead(long n, ReadFault fault, long seed) {
        this.faultyReadAt = n;
        this.readFault = fault;
        this.readFaultSeed = seed;
        return this;
    }

    /** Reads made so far. */
    public synchronized long reads() {
        return reads;
    }

    private synchronized ReadFault readFault() {
        return ++reads == faultyReadAt ? readFault : null;
    }

    /** State-changing calls made so far. */
    public synchronized long calls() {
        return calls;
    }

    public synchronized boolean crashed() {
        return crashed;
    }

    /** Ends the simulation now, as a crash at the next call would (for a workload that ran to its end). */
    public synchronized void powerOff() throws IOException {
        if (!crashed) {
            capture();
        }
    }

    /**
     * After the power loss: calls reach the real disk again, unrecorded, so that the crashed
     * journal can be closed and release its descriptors and memory. The image is unaffected.
     */
    public synchronized void revive() {
        revived = true;
    }

    private synchronized Map<String, Inode> listing(Path dir) throws IOException {
        Map<String, Inode> names = new TreeMap<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path p : s) {
                if (!p.getFileName().toString().equals("wal4j.lock") && Files.isRegularFile(p)) {
                    names.put(p.getFileName().toString(), inodes.computeIfAbsent(key(p), k -> new Inode()));
                }
            }
        }
        return names;
    }

    private static Object key(Path p) throws IOException {
        return Files.readAttributes(p, BasicFileAttributes.class).fileKey();
    }

    /** After a call: one that returns after the power went cannot tell its caller it succeeded. */
    private synchronized void exit() {
        if (crashed && !revived) {
            throw new PowerLoss(calls);
        }
    }

    /** Counts a call; at the crash point captures the state and throws. */
    private synchronized long enter() {
        if (crashed) {
            if (revived) {
                return 0;
            }
            throw new PowerLoss(calls);
        }
        long n = ++calls;
        try {
            if (n >= crashAt) {
                capture();
                throw new PowerLoss(n);
            }
            if (snapshotPoints.test(n)) {
                snapshotListener.accept(snapshot(n));
            }
        } catch (IOException e) {
            throw new IllegalStateException("capturing the directories at call " + n, e);
        }
        return n;
    }

    private void capture() throws IOException {
        crash = snapshot(calls);
        crashed = true;
    }

    /** Lock held: each file's state, and each directory's names, as they are now. */
    private Snapshot snapshot(long call) throws IOException {
        Map<Path, Map<String, Inode>> names = new HashMap<>();
        for (Path dir : durableNames.keySet()) {
            names.put(dir, listing(dir));
        }
        Map<Inode, Inode> files = new java.util.IdentityHashMap<>(); // only files an image can name
        for (Map<String, Inode> named : java.util.List.of(durableNames, names).stream().flatMap(m -> m.values().stream()).toList()) {
            named.values().forEach(n -> files.computeIfAbsent(n, Inode::copy));
        }
        return new Snapshot(call, files, names, new HashMap<>(durableNames));
    }

    private static void apply(Inode n, long[] span, byte[] bytes) {
        if (span[1] < 0) {
            n.durable = Arrays.copyOf(n.durable, (int) (-1 - span[1]));
            return;
        }
        int end = (int) (span[0] + span[1]);
        if (end > n.durable.length) {
            n.durable = Arrays.copyOf(n.durable, end);
        }
        System.arraycopy(bytes, 0, n.durable, (int) span[0], bytes.length);
    }

    /**
     * What the device holds of {@code n} at {@code [offset, offset + length)}: the durable
     * bytes with the pending writes and truncations applied in order (a failed sync dropped
     * its own from the pending ones), zeros past them.
     */
    private synchronized byte[] deviceBytes(Inode n, long offset, int length) {
        byte[] view = new byte[length];
        long end = offset + length;
        if (offset < n.durable.length) {
            System.arraycopy(n.durable, (int) offset, view, 0, (int) (Math.min(end, n.durable.length) - offset));
        }
        for (int i = 0; i < n.pendingSpans.size(); i++) {
            long[] span = n.pendingSpans.get(i);
            if (span[1] < 0) {
                long newSize = -1 - span[1];
                if (newSize < end) {
                    Arrays.fill(view, (int) (Math.max(newSize, offset) - offset), length, (byte) 0);
                }
                continue;
            }
            long from = Math.max(span[0], offset);
            long to = Math.min(span[0] + span[1], end);
            if (from < to) {
                System.arraycopy(n.pendingBytes.get(i), (int) (from - span[0]), view, (int) (from - offset), (int) (to - from));
            }
        }
        return view;
    }

    private synchronized void recordWrite(Inode n, long offset, byte[] bytes) {
        if (crashed) {
            return;
        }
        n.pendingSpans.add(new long[] {offset, bytes.length});
        n.pendingBytes.add(bytes);
    }

    private synchronized void recordTruncate(Inode n, long size) {
        if (crashed) {
            return;
        }
        n.pendingSpans.add(new long[] {0, -1 - size});
        n.pendingBytes.add(null);
    }

    /**
     * A sync of {@code key} returned. If it succeeded, its pending writes and truncations are
     * durable and so is the file's size, {@code sizeNow} (fdatasync writes the size back when
     * it changed; a size reached by a dropped extending write reads as zeros). If it failed,
     * the pending writes are gone for good: the kernel marks their pages clean. Pending
     * truncations stay pending: a size change is metadata, which a data writeback error does
     * not drop (ext4's journal commits it with the next transaction), so a later sync that
     * succeeds makes it durable with everything after it.
     */
    private synchronized void synced(Inode n, boolean ok, long sizeNow) {
        if (crashed) {
            return;
        }
        if (ok) {
            for (int i = 0; i < n.pendingSpans.size(); i++) {
                apply(n, n.pendingSpans.get(i), n.pendingBytes.get(i));
            }
            n.durable = Arrays.copyOf(n.durable, (int) sizeNow);
            n.pendingSpans.clear();
            n.pendingBytes.clear();
            return;
        }
        for (int i = n.pendingSpans.size() - 1; i >= 0; i--) {
            if (n.pendingSpans.get(i)[1] >= 0) {
                n.pendingSpans.remove(i);
                n.pendingBytes.remove(i);
            }
        }
    }

    /**
     * Writes what the disk could hold after the power loss into {@code target} (one
     * subdirectory per simulated directory, named by its file name), per {@code loss} and
     * {@code seed}; names not made durable by a directory fsync are dropped unless
     * {@code keepUnsyncedNames}.
     */
    public synchronized void image(Path target, Loss loss, boolean keepUnsyncedNames, long seed) throws IOException {
        image(target, loss, keepUnsyncedNames ? Names.KEPT : Names.LOST, seed);
    }

    /** As {@link #image(Path, Loss, boolean, long)}, with unsynced names treated as {@code names} says. */
    public synchronized void image(Path target, Loss loss, Names names, long seed) throws IOException {
        if (!crashed) {
            throw new IllegalStateException("no power loss yet");
        }
        crash.image(target, loss, names, seed);
    }

    /**
     * Before each call whose number {@code points} accepts, hands {@code listener} what a
     * power loss at that call would leave, and lets the call go on: one run of a long workload
     * yields many crash points. The listener runs in the calling thread with this disk's lock
     * held (the other threads' I/O waits); it must not call this disk.
     */
    public synchronized SimulatedDisk snapshotAt(LongPredicate points, Consumer<Snapshot> listener) {
        this.snapshotPoints = points;
        this.snapshotListener = listener;
        return this;
    }

    /** What the disk held at one moment, as a power loss then would leave it; images it like {@link SimulatedDisk#image}. */
    public static final class Snapshot {
        private final long call;
        private final Map<Inode, Inode> files;
        private final Map<Path, Map<String, Inode>> names;
        private final Map<Path, Map<String, Inode>> durableNames;

        private Snapshot(long call, Map<Inode, Inode> files, Map<Path, Map<String, Inode>> names,
                Map<Path, Map<String, Inode>> durableNames) {
            this.call = call;
            this.files = files;
            this.names = names;
            this.durableNames = durableNames;
        }

        /** The number of the call the power was lost at (the call did not happen). */
        public long call() {
            return call;
        }

        /** See {@link SimulatedDisk#image}. */
        public void image(Path target, Loss loss, boolean keepUnsyncedNames, long seed) throws IOException {
            image(target, loss, keepUnsyncedNames ? Names.KEPT : Names.LOST, seed);
        }

        /** As {@link #image(Path, Loss, boolean, long)}, with unsynced names treated as {@code kept} says. */
        public void image(Path target, Loss loss, Names kept, long seed) throws IOException {
            Random random = new Random(seed);
            Map<Inode, byte[]> contents = new java.util.IdentityHashMap<>();
            for (Map.Entry<Inode, Inode> e : files.entrySet()) {
                contents.put(e.getKey(), survivor(e.getValue(), loss, random));
            }
            for (Map.Entry<Path, Map<String, Inode>> d : names.entrySet()) {
                Path out = target.resolve(d.getKey().getFileName().toString());
                Files.createDirectories(out);
                Map<String, Inode> durable = durableNames.get(d.getKey());
                Map<String, Inode> named = switch (kept) {
                    case KEPT -> d.getValue();
                    case LOST -> durable;
                    case EACH -> {
                        Map<String, Inode> m = new TreeMap<>(durable);
                        java.util.Set<String> all = new java.util.TreeSet<>(durable.keySet());
                        all.addAll(d.getValue().keySet());
                        for (String name : all) {
                            Inode now = d.getValue().get(name);
                            if (now != durable.get(name) && random.nextBoolean()) {
                                if (now == null) {
                                    m.remove(name);
                                } else {
                                    m.put(name, now);
                                }
                            }
                        }
                        yield m;
                    }
                };
                for (Map.Entry<String, Inode> e : named.entrySet()) {
                    byte[] bytes = contents.get(e.getValue());
                    Files.write(out.resolve(e.getKey()), bytes == null ? new byte[0] : bytes);
                }
            }
        }
    }

    private static byte[] survivor(Inode n, Loss loss, Random random) {
        Inode img = new Inode();
        img.durable = n.durable.clone();
        int pending = n.pendingSpans.size();
        switch (loss) {
            case UNSYNCED -> { }
            case PREFIX -> {
                int k = pending == 0 ? 0 : random.nextInt(pending + 1);
                for (int i = 0; i < k; i++) {
                    apply(img, n.pendingSpans.get(i), n.pendingBytes.get(i));
                }
            }
            case SECTORS -> {
                List<long[]> sectors = new ArrayList<>(); // {write index, offset in write, length}
                for (int i = 0; i < pending; i++) {
                    long[] span = n.pendingSpans.get(i);
                    if (span[1] < 0) {
                        if (random.nextBoolean()) {
                            apply(img, span, null);
                        }
                        continue;
                    }
                    for (long o = 0; o < span[1]; o += SECTOR) {
                        if (random.nextBoolean()) {
                            sectors.add(new long[] {i, o, Math.min(SECTOR, span[1] - o)});
                        }
                    }
                }
                Collections.shuffle(sectors, random);
                for (long[] s : sectors) {
                    long[] span = n.pendingSpans.get((int) s[0]);
                    byte[] b = Arrays.copyOfRange(n.pendingBytes.get((int) s[0]), (int) s[1], (int) (s[1] + s[2]));
                    apply(img, new long[] {span[0] + s[1], s[2]}, b);
                }
                if (!sectors.isEmpty()) {
                    long[] s = sectors.get(random.nextInt(sectors.size()));
                    long at = n.pendingSpans.get((int) s[0])[0] + s[1];
                    byte[] torn = new byte[(int) s[2]];
                    boolean heldData = false;
                    for (long i = at; i < Math.min(at + torn.length, n.durable.length); i++) {
                        heldData |= n.durable[(int) i] != 0;
                    }
                    switch (random.nextInt(heldData ? 2 : 4)) {
                        case 0 -> System.arraycopy(n.durable, (int) Math.min(at, n.durable.length), torn, 0,
                                (int) Math.max(0, Math.min(torn.length, n.durable.length - at))); // old bytes
                        case 1 -> { // new bytes up to a random point, old ones after it
                            System.arraycopy(n.durable, (int) Math.min(at, n.durable.length), torn, 0,
                                    (int) Math.max(0, Math.min(torn.length, n.durable.length - at)));
                            byte[] fresh = Arrays.copyOfRange(n.pendingBytes.get((int) s[0]), (int) s[1], (int) (s[1] + s[2]));
                            System.arraycopy(fresh, 0, torn, 0, random.nextInt(torn.length + 1));
                        }
                        case 2 -> { } // zeros
                        default -> random.nextBytes(torn); // garbage
                    }
                    apply(img, new long[] {at, torn.length}, torn);
                }
            }
        }
        return img.durable;
    }

    // ---------------------------------------------------------------- IoBackend

    @Override
    public String name() {
        return "simulated(" + delegate.name() + ")";
    }

    @Override
    public boolean supportsAllocate() {
        return delegate.supportsAllocate();
    }

    @Override
    public IoFile open(Path path, OpenFlag... flags) throws IOException {
        boolean creates = Arrays.asList(flags).contains(OpenFlag.CREATE) || Arrays.asList(flags).contains(OpenFlag.TRUNCATE);
        synchronized (this) {
            if (refuseDirect && Arrays.asList(flags).contains(OpenFlag.DIRECT)) {
                throw new IoCallException("open", path, Errno.EINVAL, "(simulated: the filesystem refuses O_DIRECT)", null);
            }
        }
        if (creates) {
            enter();
        }
        boolean existed = Files.exists(path);
        IoFile f = delegate.open(path, flags);
        Inode n;
        synchronized (this) {
            n = existed ? inodes.computeIfAbsent(key(path), k -> new Inode()) : new Inode();
            if (!existed && !crashed) {
                inodes.put(key(path), n); // a new file, even if a deleted one had its inode number
            }
        }
        if (Arrays.asList(flags).contains(OpenFlag.TRUNCATE)) {
            recordTruncate(n, 0);
        }
        return new SimFile(f, n);
    }

    /** The real backend's lock: a lock file is no simulated state. */
    @Override
    public LockedFile tryLockExclusive(Path file, int createMode) throws IOException {
        return delegate.tryLockExclusive(file, createMode);
    }

    @Override
    public void syncDirectory(Path dir) throws IOException {
        long n = enter();
        if (n == failSyncAt || failsThisSync(dir)) {
            throw new IoCallException("fsync", dir, Errno.EIO, "(simulated)", null);
        }
        delegate.syncDirectory(dir);
        synchronized (this) {
            // Listed and recorded under one lock: two threads' fsyncs (a rollover's and the
            // spare preparer's) must record their listings in the order they took them, or an
            // older listing would overwrite a newer one and bring back names deleted and synced
            if (!crashed) {
                durableNames.put(dir, listing(dir));
            }
        }
        exit();
    }

    /** A file whose writes and syncs are recorded; {@code zeroFill} is IoFile's, through {@link #write}. */
    private final class SimFile extends ForwardingIoFile {
        private final Inode key;

        SimFile(IoFile f, Inode key) {
            super(f);
            this.key = key;
        }

        @Override
        public long read(long offset, MemorySegment dst) throws IOException {
            ReadFault fault = readFault();
            if (fault == ReadFault.EIO) {
                throw new IoCallException("pread", f.path(), Errno.EIO, "(simulated)", null);
            }
            long n = f.read(offset, dst);
            if (f.isDirect() && n > 0) {
                // the real file holds every write, dropped ones too: an O_DIRECT read sees the device
                MemorySegment.copy(MemorySegment.ofArray(deviceBytes(key, offset, (int) n)), 0, dst, 0, n);
            }
            if (fault == ReadFault.BIT_FLIP && n > 0) {
                Random r = new Random(readFaultSeed);
                long at = (long) (r.nextDouble() * n);
                dst.set(ValueLayout.JAVA_BYTE, at, (byte) (dst.get(ValueLayout.JAVA_BYTE, at) ^ (1 << r.nextInt(8))));
            }
            return n;
        }

        @Override
        public void write(long offset, MemorySegment src) throws IOException {
            enter();
            f.write(offset, src);
            recordWrite(key, offset, src.toArray(ValueLayout.JAVA_BYTE));
            exit();
        }

        @Override
        public void writeDsync(long offset, MemorySegment src) throws IOException {
            enter();
            f.writeDsync(offset, src);
            recordWrite(key, offset, src.toArray(ValueLayout.JAVA_BYTE));
            synced(key, true, f.size());
            exit();
        }

        @Override
        public void datasync() throws IOException {
            sync(false);
        }

        @Override
        public void sync() throws IOException {
            sync(true);
        }

        private void sync(boolean full) throws IOException {
            long n = enter();
            if (n == failSyncAt || failsThisSync(f.path())) {
                synced(key, false, -1); // the pages are marked clean and their data dropped
                throw new IoCallException(full ? "fsync" : "fdatasync", f.path(), Errno.EIO, "(simulated)", null);
            }
            if (full) {
                f.sync();
            } else {
                f.datasync();
            }
            synced(key, true, f.size());
            exit();
        }

        @Override
        public void allocate(long offset, long length) throws IOException {
            enter();
            long size = f.size();
            f.allocate(offset, length);
            if (offset + length > size) {
                recordWrite(key, size, new byte[(int) (offset + length - size)]);
            }
        }

        @Override
        public void truncate(long size) throws IOException {
            enter();
            long before = f.size();
            f.truncate(size);
            // ftruncate zeroes the rest of the block holding the new end, and ext4 and XFS may
            // write that block back before they commit the new size: a write of its own
            long blockEnd = Math.min(before, (size + BLOCK - 1) / BLOCK * BLOCK);
            if (blockEnd > size) {
                recordWrite(key, size, new byte[(int) (blockEnd - size)]);
            }
            recordTruncate(key, size);
        }
    }
}

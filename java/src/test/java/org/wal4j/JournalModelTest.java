package org.wal4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;

/**
 * Model-based tests: random sequences of journal operations (appends with and without caller
 * LSNs, batches, also at the caller's LSNs, reads, readInto, replay, iterator, sync,
 * truncateFront, truncateBack, reset, also to a caller's next LSN, close and reopen) run
 * against the journal and against a plain in-memory map, for every index mode, O_DIRECT on
 * and off, and the backend the suite runs with (posix, then java).
 * After every operation the journal must agree with the model; jqwik shrinks a failing
 * sequence to a short one and prints its seed.
 */
class JournalModelTest {

    /** One operation; {@code pick} chooses an LSN among those the model holds. */
    sealed interface Op permits Append, AppendAt, AppendBatch, Read, Sync, TruncateFront, TruncateBack, Reset,
            ResetTo, AppendBatchAt, Reopen, Replay, ReplayTruncating {}

    record Append(int size) implements Op {}

    record AppendAt(int gap, long timestamp, int keySize, int size) implements Op {}

    record AppendBatch(List<Integer> sizes) implements Op {}

    record Read(int pick, boolean into) implements Op {}

    record Sync() implements Op {}

    record TruncateFront(int pick) implements Op {}

    record TruncateBack(int pick) implements Op {}

    record Reset() implements Op {}

    /** reset(next + offset - 20): below or above the next LSN (at least 1). */
    record ResetTo(int offset) implements Op {}

    /** appendBatch(next + gap - 1, batch): a batch at the caller's LSNs. */
    record AppendBatchAt(int gap, List<Integer> sizes) implements Op {}

    record Reopen() implements Op {}

    record Replay(int pick, boolean iterator) implements Op {}

    /** A replay (or iterator) from {@code pick} that, at its {@code at}-th record, truncates: 0 back, 1 front, 2 reset. */
    record ReplayTruncating(int pick, int at, int kind, int to, boolean iterator) implements Op {}

    record Rec(long timestamp, byte[] key, byte[] value) {}

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Integer> size = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, Arbitraries.integers().between(0, 300)),
                net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(301, 6000)));
        Arbitrary<Integer> pick = Arbitraries.integers().between(0, 1000);
        Arbitrary<Op> op = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(30, size.map(Append::new)),
                net.jqwik.api.Tuple.of(8, Combinators.combine(Arbitraries.integers().between(1, 3),
                        Arbitraries.longs().between(0, 1L << 40), Arbitraries.integers().between(0, 40), size).as(AppendAt::new)),
                net.jqwik.api.Tuple.of(6, size.list().ofMinSize(0).ofMaxSize(6).map(AppendBatch::new)),
                net.jqwik.api.Tuple.of(15, Combinators.combine(pick, Arbitraries.of(true, false)).as(Read::new)),
                net.jqwik.api.Tuple.of(5, Arbitraries.just(new Sync())),
                net.jqwik.api.Tuple.of(4, pick.map(TruncateFront::new)),
                net.jqwik.api.Tuple.of(4, pick.map(TruncateBack::new)),
                net.jqwik.api.Tuple.of(1, Arbitraries.just(new Reset())),
                net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(0, 40).map(ResetTo::new)),
                net.jqwik.api.Tuple.of(3, Combinators.combine(Arbitraries.integers().between(1, 3),
                        size.list().ofMinSize(1).ofMaxSize(6)).as(AppendBatchAt::new)),
                net.jqwik.api.Tuple.of(3, Arbitraries.just(new Reopen())),
                net.jqwik.api.Tuple.of(3, Combinators.combine(pick, Arbitraries.of(true, false)).as(Replay::new)),
                net.jqwik.api.Tuple.of(3, Combinators.combine(pick, Arbitraries.integers().between(1, 30),
                        Arbitraries.integers().between(0, 2), pick, Arbitraries.of(true, false)).as(ReplayTruncating::new)));
        return op.list().ofMinSize(1).ofMaxSize(60);
    }

    @Provide
    Arbitrary<IndexMode> indexModes() {
        return Arbitraries.of(IndexMode.full(), IndexMode.sparse(3), IndexMode.none());
    }

    private static byte[] bytes(long seed, int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (seed * 131 + i * 7 + (i >> 8));
        }
        return b;
    }

    @Property(tries = 150, shrinking = ShrinkingMode.BOUNDED)
    void journalAgreesWithAMapAfterEveryOperation(@ForAll("indexModes") IndexMode mode, @ForAll boolean direct,
                                                  @ForAll("ops") List<Op> ops) throws Exception {
        Path dir = Files.createTempDirectory("wal4j-model-");
        JournalOptions.Builder builder = JournalOptions.builder().syncPolicy(SyncMode.NONE).segmentBytes(16 << 10).maxValueBytes(6000).maxKeyBytes(40)
                .indexMode(mode).direct(direct);
        JournalOptions options = builder.build();
        TreeMap<Long, Rec> model = new TreeMap<>();
        long next = 1;
        Journal j = Journal.open(dir, options);
        try {
            for (Op op : ops) {
                switch (op) {
                    case Append a -> {
                        byte[] v = bytes(next, a.size());
                        assertEquals(next, j.append(v));
                        model.put(next, new Rec(0, new byte[0], v));
                        next++;
                    }
                    case AppendAt a -> {
                        long lsn = next + a.gap() - 1;
                        Rec r = new Rec(a.timestamp(), bytes(-lsn, a.keySize()), bytes(lsn, a.size()));
                        j.append(lsn, r.timestamp(), r.key(), r.value());
                        model.put(lsn, r);
                        next = lsn + 1;
                    }
                    case AppendBatch b -> {
                        byte[][] vs = new byte[b.sizes().size()][];
                        for (int i = 0; i < vs.length; i++) {
                            vs[i] = bytes(next + i, b.sizes().get(i));
                        }
                        if (vs.length == 0) {
                            Journal current = j;
                            assertThrows(IllegalArgumentException.class, () -> current.appendBatch(vs));
                            continue;
                        }
                        assertEquals(next, j.appendBatch(vs).first());
                        for (byte[] v : vs) {
                            model.put(next++, new Rec(0, new byte[0], v));
                        }
                    }
                    case Read r -> checkRead(j, model, r, next);
                    case Sync s -> {
                        j.sync();
                        if (!model.isEmpty()) {
                            assertEquals(j.lastLsn(), j.durableLsn(), "durableLsn after sync");
                        }
                    }
                    case TruncateFront t -> {
                        if (model.isEmpty()) {
                            continue;
                        }
                        long to = pickLsn(model, t.pick());
                        j.truncateFront(to);
                        long first = j.firstLsn();
                        assertTrue(first <= to, "truncateFront(" + to + ") removed records at or above it: first=" + first);
                        model.headMap(first).clear();
                    }
                    case TruncateBack t -> {
                        if (model.isEmpty()) {
                            continue;
                        }
                        long to = pickLsn(model, t.pick());
                        j.truncateBack(to);
                        if (to < model.lastKey()) {
                            model.tailMap(to, false).clear();
                            next = to + 1;
                        }
                    }
                    case Reset r -> {
                        j.reset();
                        model.clear();
                    }
                    case ResetTo r -> {
                        next = Math.max(1, next + r.offset() - 20);
                        j.reset(next);
                        model.clear();
                    }
                    case AppendBatchAt b -> {
                        long first = next + b.gap() - 1;
                        Batch batch = new Batch();
                        List<Rec> recs = new ArrayList<>();
                        for (int i = 0; i < b.sizes().size(); i++) {
                            Rec r = new Rec(first + i, bytes(-first - i, i % 5), bytes(first + i, b.sizes().get(i)));
                            recs.add(r);
                            batch.add(r.timestamp(), java.lang.foreign.MemorySegment.ofArray(r.key()),
                                    java.lang.foreign.MemorySegment.ofArray(r.value()));
                        }
                        assertEquals(new LsnRange(first, first + recs.size() - 1), j.appendBatch(first, batch));
                        for (Rec r : recs) {
                            model.put(next = first++, r);
                        }
                        next++;
                    }
                    case Reopen r -> {
                        j.close();
                        j = Journal.open(dir, options);
                        assertEquals(0, j.recoveryReport().droppedTailBytes(), j.recoveryReport().toString());
                    }
                    case Replay r -> checkReplay(j, model, r);
                    case ReplayTruncating r -> next = checkReplayTruncating(j, model, r, next);
                }
                assertEquals(model.isEmpty() ? -1 : model.firstKey(), j.firstLsn(), "firstLsn after " + op);
                assertEquals(next, j.nextLsn(), "nextLsn after " + op);
                if (!model.isEmpty()) {
                    assertEquals(model.lastKey(), j.lastLsn(), "lastLsn after " + op);
                }
            }
            j.close();
            j = Journal.open(dir, builder.verifyOnOpen(true).build());
            checkReplay(j, model, new Replay(0, false));
        } finally {
            j.close();
            deleteTree(dir);
        }
    }

    private static long pickLsn(TreeMap<Long, Rec> model, int pick) {
        List<Long> lsns = new ArrayList<>(model.keySet());
        return lsns.get(pick % lsns.size());
    }

    private static void checkRead(Journal j, TreeMap<Long, Rec> model, Read r, long next) throws IOException {
        if (model.isEmpty()) {
            assertThrows(LsnNotFoundException.class, () -> j.read(Math.max(next, 1)));
            return;
        }
        long lsn = pickLsn(model, r.pick());
        Rec want = model.get(lsn);
        if (r.into()) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment dst = a.allocate(Math.max(1, want.value().length));
                assertEquals(want.value().length, j.readInto(lsn, dst));
                assertArrayEquals(want.value(), dst.asSlice(0, want.value().length).toArray(ValueLayout.JAVA_BYTE));
            }
        } else {
            JournalRecord got = j.read(lsn);
            assertEquals(lsn, got.lsn());
            assertEquals(want.timestamp(), got.timestamp());
            assertArrayEquals(want.key(), got.key());
            assertArrayEquals(want.value(), got.value());
        }
        Long gap = model.higherKey(lsn) == null ? null : (model.higherKey(lsn) > lsn + 1 ? lsn + 1 : null);
        if (gap != null) {
            assertThrows(LsnNotFoundException.class, () -> j.read(gap), "lsn " + gap + " was never appended");
        }
    }

    private static void checkReplay(Journal j, TreeMap<Long, Rec> model, Replay r) throws Exception {
        long from = model.isEmpty() ? 0 : pickLsn(model, r.pick());
        List<Map.Entry<Long, Rec>> want = new ArrayList<>(model.tailMap(from, true).entrySet());
        List<JournalRecord> got = new ArrayList<>();
        if (r.iterator()) {
            for (Iterator<JournalRecord> it = j.iterator(from); it.hasNext(); ) {
                got.add(it.next());
            }
        } else {
            j.replay(from, v -> got.add(new JournalRecord(v.lsn(), v.timestamp(), v.keyBytes(), v.valueBytes())));
        }
        assertEquals(want.size(), got.size(), "records from " + from);
        for (int i = 0; i < want.size(); i++) {
            assertEquals(want.get(i).getKey(), got.get(i).lsn());
            assertArrayEquals(want.get(i).getValue().key(), got.get(i).key());
            assertArrayEquals(want.get(i).getValue().value(), got.get(i).value(), "lsn " + got.get(i).lsn());
        }
    }

    /**
     * A reader that truncates while it reads: what it delivered is the snapshot's prefix,
     * byte for byte; after a truncateBack or reset that removed a record it had not delivered
     * it ends with an IOException, otherwise it delivers the whole snapshot (a truncateFront
     * may also end it, when it deletes a segment the reader still had to read). Returns the
     * model's next LSN.
     */
    private static long checkReplayTruncating(Journal j, TreeMap<Long, Rec> model, ReplayTruncating r, long next)
            throws Exception {
        if (model.isEmpty()) {
            return next;
        }
        long from = pickLsn(model, r.pick());
        // copies: a TreeMap's entries are its nodes, which the truncation below changes
        List<Map.Entry<Long, Rec>> want = model.tailMap(from, true).entrySet().stream()
                .map(e -> Map.entry(e.getKey(), e.getValue())).toList();
        long snapshotLast = model.lastKey();
        int at = (r.at() - 1) % want.size() + 1;
        long to = pickLsn(model, r.to());
        List<JournalRecord> got = new ArrayList<>();
        long[] truncatedAt = {-1}; // the last LSN delivered when the truncation ran
        long[] newNext = {next};
        ThrowingConsumer truncate = () -> {
            truncatedAt[0] = got.getLast().lsn();
            switch (r.kind()) {
                case 0 -> {
                    j.truncateBack(to);
                    if (to < model.lastKey()) {
                        model.tailMap(to, false).clear();
                        newNext[0] = to + 1;
                    }
                }
                case 1 -> {
                    j.truncateFront(to);
                    long first = j.firstLsn();
                    model.headMap(first).clear();
                }
                default -> {
                    j.reset();
                    model.clear();
                }
            }
        };
        IOException ended = null;
        try {
            if (r.iterator()) {
                Iterator<JournalRecord> it = j.iterator(from);
                while (it.hasNext()) {
                    got.add(it.next());
                    if (got.size() == at) {
                        truncate.run();
                    }
                }
            } else {
                j.replay(from, v -> {
                    got.add(new JournalRecord(v.lsn(), v.timestamp(), v.keyBytes(), v.valueBytes()));
                    if (got.size() == at) {
                        truncate.run();
                    }
                });
            }
        } catch (java.io.UncheckedIOException e) {
            ended = e.getCause();
        } catch (IOException e) {
            ended = e;
        }
        assertTrue(got.size() <= want.size(), "delivered " + got.size() + " of a snapshot of " + want.size());
        for (int i = 0; i < got.size(); i++) {
            assertEquals(want.get(i).getKey(), got.get(i).lsn(), "the snapshot's records in order");
            assertArrayEquals(want.get(i).getValue().value(), got.get(i).value(), "lsn " + got.get(i).lsn());
        }
        boolean removedUndelivered = truncatedAt[0] >= 0 && truncatedAt[0] < snapshotLast
                && (r.kind() == 2 || (r.kind() == 0 && to < snapshotLast));
        if (r.kind() != 1) {
            assertEquals(removedUndelivered, ended != null, "ended=" + ended + " after truncating at lsn " + truncatedAt[0]);
        }
        if (ended == null) {
            assertEquals(want.size(), got.size(), "a reader that ended normally delivered the whole snapshot");
        } else {
            assertTrue(ended.getMessage().contains("truncated away"), ended.getMessage());
        }
        return newNext[0];
    }

    interface ThrowingConsumer {
        void run() throws IOException;
    }

    private static void deleteTree(Path p) throws IOException {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(q);
            }
        }
    }
}

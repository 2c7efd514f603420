package org.wal4j.compat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import org.wal4j.compat.gohacks.Policy;
import org.wal4j.compat.gohacks.WriteAheadLog;
import org.wal4j.compat.wally.Log;
import org.wal4j.compat.wally.Options;

/**
 * Model-based tests of both compat ports: random operation sequences against the port and a
 * plain in-memory model (a list for go-wally's log, an LSN map for gohacks' WAL), with
 * reopening in between, on the backend the suite runs with.
 */
class CompatModelTest {

    /** An operation on either port; {@code pick} chooses among the records the model holds. */
    record Op(int kind, int size, int pick) {}

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Integer> size = Arbitraries.frequencyOf(Tuple.of(8, Arbitraries.integers().between(0, 200)),
                Tuple.of(1, Arbitraries.integers().between(201, 70_000)));
        // kinds: 0-49 append, 50-59 batch, 60-79 read, 80-86 truncate/reset, 87-92 sync, 93-99 reopen
        return Combinators.combine(Arbitraries.integers().between(0, 99), size, Arbitraries.integers().between(0, 1000))
                .as(Op::new).list().ofMinSize(1).ofMaxSize(50);
    }

    private static byte[] bytes(long seed, int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (seed * 31 + i);
        }
        return b;
    }

    @Property(tries = 200, shrinking = ShrinkingMode.BOUNDED)
    void wallyLogAgreesWithAList(@ForAll("ops") List<Op> ops, @ForAll boolean noSync,
                                 @ForAll @IntRange(min = 0, max = 3) int checkpointInterval,
                                 @ForAll @IntRange(min = 0, max = 2) int bufferChoice) throws Exception {
        Path dir = Files.createTempDirectory("wal4j-wally-model-");
        Path file = dir.resolve("log");
        Options options = new Options(noSync, new int[] {0, 16, 5000}[bufferChoice], true, checkpointInterval);
        List<byte[]> model = new ArrayList<>();
        Log log = Log.open(file, options);
        try {
            for (Op op : ops) {
                if (op.kind() < 50) {
                    byte[] v = bytes(model.size() + 1, op.size());
                    assertEquals(model.size() + 1, log.append(v));
                    model.add(v);
                } else if (op.kind() < 60) {
                    byte[][] vs = new byte[1 + op.pick() % 5][];
                    for (int i = 0; i < vs.length; i++) {
                        vs[i] = bytes(model.size() + 1 + i, op.size() / (i + 1));
                    }
                    log.appendBatch(vs);
                    model.addAll(List.of(vs));
                } else if (op.kind() < 80) {
                    if (model.isEmpty()) {
                        Log current = log;
                        assertThrows(IOException.class, () -> current.read(1));
                        continue;
                    }
                    int index = 1 + op.pick() % model.size();
                    assertArrayEquals(model.get(index - 1), log.read(index), "index " + index);
                } else if (op.kind() < 87) {
                    int keep = model.isEmpty() ? 0 : op.pick() % (model.size() + 1);
                    log.truncateBack(keep);
                    model.subList(keep, model.size()).clear();
                    Log current = log;
                    assertThrows(EOFException.class, () -> current.truncateBack(model.size() + 1L));
                } else if (op.kind() < 93) {
                    log.sync();
                } else {
                    log.close();
                    log = Log.open(file, options);
                }
                assertEquals(model.size(), log.lastIndex(), "lastIndex after " + op);
            }
            log.close();
            log = Log.open(file, options);
            assertEquals(model.size(), log.lastIndex());
            for (int i = 1; i <= model.size(); i++) {
                assertArrayEquals(model.get(i - 1), log.read(i), "index " + i + " after reopening");
            }
        } finally {
            log.close();
            deleteTree(dir);
        }
    }

    private record Rec(long timestamp, byte[] key, byte[] value) {}

    @Property(tries = 200, shrinking = ShrinkingMode.BOUNDED)
    void gohacksWalAgreesWithAnLsnMap(@ForAll("ops") List<Op> ops, @ForAll @IntRange(min = 0, max = 2) int syncChoice)
            throws Exception {
        Path dir = Files.createTempDirectory("wal4j-gohacks-model-");
        Path file = dir.resolve("wal");
        Policy policy = new Policy(new long[] {0, 1, 4096}[syncChoice], Duration.ZERO, 0, 0);
        TreeMap<Long, Rec> model = new TreeMap<>();
        long last = 0;
        WriteAheadLog wal = WriteAheadLog.open(file, policy);
        try {
            for (Op op : ops) {
                if (op.kind() < 60) {
                    long lsn = last + 1 + op.pick() % 3;
                    Rec r = new Rec(op.pick(), bytes(-lsn, op.size() % 50), bytes(lsn, op.size()));
                    if (r.value().length > policy.maxValueBytes()) {
                        WriteAheadLog current = wal;
                        assertThrows(org.wal4j.compat.gohacks.ValueTooLarge.class,
                                () -> current.append(lsn, r.timestamp(), r.key(), r.value()));
                        assertEquals(last, wal.lastLsn(), "nothing appended");
                        continue;
                    }
                    wal.append(lsn, r.timestamp(), r.key(), r.value());
                    model.put(lsn, r);
                    last = lsn;
                    long stale = lsn;
                    WriteAheadLog current = wal;
                    assertThrows(IllegalArgumentException.class, () -> current.append(stale, 0, null, null),
                            "an LSN not above the last is refused");
                } else if (op.kind() < 80) {
                    long base = model.isEmpty() ? 0 : new ArrayList<>(model.keySet()).get(op.pick() % model.size()) - 1;
                    List<Long> seen = new ArrayList<>();
                    long max = wal.replay(base, (lsn, ts, key, value) -> {
                        Rec want = model.get(lsn);
                        assertEquals(want.timestamp(), ts, "lsn " + lsn);
                        assertArrayEquals(want.key(), key, "lsn " + lsn);
                        assertArrayEquals(want.value(), value, "lsn " + lsn);
                        seen.add(lsn);
                    });
                    assertEquals(new ArrayList<>(model.tailMap(base, false).keySet()), seen);
                    assertEquals(seen.isEmpty() ? base : seen.getLast(), max);
                } else if (op.kind() < 87) {
                    wal.reset();
                    model.clear();
                    last = 0;
                } else if (op.kind() < 93) {
                    wal.sync();
                } else {
                    wal.close();
                    wal = WriteAheadLog.open(file, policy);
                }
                assertEquals(last, wal.lastLsn(), "lastLsn after " + op);
            }
        } finally {
            wal.close();
            deleteTree(dir);
        }
    }

    private static void deleteTree(Path p) throws IOException {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(q);
            }
        }
    }
}

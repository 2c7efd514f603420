package org.wal4j.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class OffsetIndexTest {

    /** Adds records with LSNs first, first+1, ... and offset = 100 * lsn. */
    private static void addDense(OffsetIndex index, long first, int n) {
        for (int i = 0; i < n; i++) {
            index.add(first + i, 100 * (first + i));
        }
    }

    @Test
    void fullIndexFindsEveryRecord() {
        OffsetIndex index = OffsetIndex.full();
        addDense(index, 1, 1000);
        assertEquals(1000, index.count());
        for (long lsn = 1; lsn <= 1000; lsn++) {
            assertEquals(100 * lsn, index.exactOffset(lsn));
            assertEquals(100 * lsn, index.floorOffset(lsn));
            assertEquals(lsn, index.floorLsn(lsn));
        }
        assertEquals(-1, index.floorOffset(0));
        assertEquals(-1, index.floorLsn(0));
        assertEquals(-1, index.exactOffset(0));
        assertEquals(-1, index.exactOffset(1001));
        assertEquals(100_000, index.floorOffset(5000));
        assertEquals(1000, index.floorLsn(Long.MAX_VALUE));
    }

    @Test
    void emptyIndexFindsNothing() {
        for (OffsetIndex index : List.of(OffsetIndex.full(), OffsetIndex.sparse(4), OffsetIndex.none())) {
            assertEquals(0, index.count());
            assertEquals(-1, index.floorOffset(0));
            assertEquals(-1, index.floorOffset(Long.MAX_VALUE));
            assertEquals(-1, index.floorLsn(7));
            assertEquals(-1, index.exactOffset(7));
            index.truncateAfter(3);
            assertEquals(0, index.count());
        }
    }

    @Test
    void sparseKeepsOrdinalsThatAreMultiplesOfEvery() {
        OffsetIndex index = OffsetIndex.sparse(4);
        addDense(index, 10, 10); // LSNs 10..19; kept: ordinals 0, 4, 8 = LSNs 10, 14, 18
        assertEquals(10, index.count());
        assertEquals(1000, index.exactOffset(10));
        assertEquals(-1, index.exactOffset(11));
        assertEquals(-1, index.exactOffset(13));
        assertEquals(1400, index.exactOffset(14));
        assertEquals(1800, index.exactOffset(18));
        assertEquals(-1, index.exactOffset(19));
        assertEquals(-1, index.floorOffset(9));
        assertEquals(10, index.floorLsn(13));
        assertEquals(14, index.floorLsn(14));
        assertEquals(14, index.floorLsn(17));
        assertEquals(18, index.floorLsn(19));
        assertEquals(18, index.floorLsn(1_000_000));
        assertEquals(1800, index.floorOffset(1_000_000));
    }

    @Test
    void sparseOfTwoKeepsEveryOtherRecord() {
        OffsetIndex index = OffsetIndex.sparse(2);
        addDense(index, 0, 5); // kept: 0, 2, 4
        assertEquals(0, index.exactOffset(0));
        assertEquals(-1, index.exactOffset(1));
        assertEquals(200, index.exactOffset(2));
        assertEquals(400, index.exactOffset(4));
        assertEquals(2, index.floorLsn(3));
    }

    @Test
    void noneCountsButKeepsNothing() {
        OffsetIndex index = OffsetIndex.none();
        addDense(index, 1, 100);
        assertEquals(100, index.count());
        assertEquals(-1, index.floorOffset(50));
        assertEquals(-1, index.exactOffset(1));
        assertThrows(IllegalArgumentException.class, () -> index.add(100, 0));
        index.truncateAfter(40);
        assertEquals(40, index.count());
        index.add(41, 0);
        assertEquals(41, index.count());
    }

    @Test
    void sparseNeedsEveryOfAtLeastTwo() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OffsetIndex.sparse(1));
        assertTrue(e.getMessage().contains("every=1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> OffsetIndex.sparse(0));
        assertThrows(IllegalArgumentException.class, () -> OffsetIndex.sparse(-3));
    }

    @Test
    void lsnsMustIncreaseStrictlyAndTheMessageNamesBoth() {
        OffsetIndex index = OffsetIndex.full();
        index.add(5, 0);
        IllegalArgumentException same = assertThrows(IllegalArgumentException.class, () -> index.add(5, 10));
        assertTrue(same.getMessage().contains("lsn=5") && same.getMessage().contains("lastLsn=5"), same.getMessage());
        IllegalArgumentException lower = assertThrows(IllegalArgumentException.class, () -> index.add(3, 10));
        assertTrue(lower.getMessage().contains("lsn=3") && lower.getMessage().contains("lastLsn=5"), lower.getMessage());
        assertEquals(1, index.count());
        assertThrows(IllegalArgumentException.class, () -> index.add(6, -1));
        assertThrows(IllegalArgumentException.class, () -> OffsetIndex.full().add(-1, 0));
        assertEquals(1, index.count());
    }

    @Test
    void gapsSwitchToStoredLsnsAndLookupsStayRight() {
        OffsetIndex index = OffsetIndex.full();
        index.add(1, 10);
        index.add(2, 20);
        index.add(3, 30);
        long denseBytes = index.memoryBytes();
        index.add(10, 100); // gap
        index.add(11, 110);
        index.add(50, 500);
        assertTrue(index.memoryBytes() > denseBytes, "LSNs are stored after the first gap");
        assertEquals(6, index.count());
        assertEquals(30, index.floorOffset(9));
        assertEquals(3, index.floorLsn(9));
        assertEquals(-1, index.exactOffset(9));
        assertEquals(100, index.exactOffset(10));
        assertEquals(110, index.floorOffset(49));
        assertEquals(500, index.exactOffset(50));
        assertEquals(500, index.floorOffset(Long.MAX_VALUE));
        assertEquals(-1, index.floorOffset(0));
    }

    @Test
    void sparseWithAGapOnAnUnkeptRecord() {
        OffsetIndex index = OffsetIndex.sparse(3);
        index.add(1, 10); // kept (ordinal 0)
        index.add(2, 20);
        index.add(7, 70); // gap, not kept (ordinal 2)
        index.add(8, 80); // kept (ordinal 3)
        index.add(9, 90);
        index.add(10, 100);
        index.add(20, 200); // kept (ordinal 6)
        assertEquals(7, index.count());
        assertEquals(10, index.floorOffset(7));
        assertEquals(1, index.floorLsn(7));
        assertEquals(80, index.exactOffset(8));
        assertEquals(8, index.floorLsn(19));
        assertEquals(200, index.exactOffset(20));
        assertEquals(-1, index.exactOffset(7));
    }

    @Test
    void truncateAfterInDenseModeCountsExactly() {
        OffsetIndex index = OffsetIndex.sparse(4);
        addDense(index, 1, 10); // kept 1, 5, 9
        index.truncateAfter(6);
        assertEquals(6, index.count());
        assertEquals(500, index.floorOffset(100)); // 9 is gone
        assertThrows(IllegalArgumentException.class, () -> index.add(6, 0));
        index.add(7, 777);
        index.add(8, 888);
        index.add(9, 999); // ordinal 8: kept again
        assertEquals(999, index.exactOffset(9));
        assertEquals(9, index.count());
    }

    @Test
    void truncateAtOrAboveTheLastLsnChangesNothing() {
        OffsetIndex index = OffsetIndex.full();
        addDense(index, 1, 5);
        index.truncateAfter(5);
        index.truncateAfter(500);
        assertEquals(5, index.count());
        assertEquals(500, index.exactOffset(5));
    }

    @Test
    void truncateBelowTheFirstLsnEmptiesTheIndex() {
        OffsetIndex index = OffsetIndex.full();
        addDense(index, 10, 5);
        index.truncateAfter(9);
        assertEquals(0, index.count());
        assertEquals(-1, index.floorOffset(100));
        index.add(3, 30); // any LSN again
        assertEquals(30, index.exactOffset(3));
    }

    @Test
    void truncateToZeroRecordsWithLsnZero() {
        OffsetIndex index = OffsetIndex.full();
        addDense(index, 1, 3);
        index.truncateAfter(0);
        assertEquals(0, index.count());
        index.add(1, 5);
        assertEquals(1, index.count());
        assertEquals(5, index.exactOffset(1));
    }

    @Test
    void truncateBeforeTheFirstGapMakesTheIndexDenseAgain() {
        OffsetIndex index = OffsetIndex.full();
        addDense(index, 1, 100);
        long denseBytes = index.memoryBytes();
        index.add(200, 1);
        assertTrue(index.memoryBytes() > denseBytes);
        index.truncateAfter(150); // in the gap: 100 records remain
        assertEquals(100, index.count());
        assertEquals(denseBytes, index.memoryBytes());
        index.add(101, 10_100);
        assertEquals(10_100, index.exactOffset(101));
        assertEquals(5_000, index.exactOffset(50));
    }

    @Test
    void truncateInAFullIndexWithGaps() {
        OffsetIndex index = OffsetIndex.full();
        long[] lsns = {1, 2, 5, 9, 10, 20};
        for (long lsn : lsns) {
            index.add(lsn, lsn * 10);
        }
        index.truncateAfter(8); // keeps 1, 2, 5
        assertEquals(3, index.count());
        assertEquals(50, index.floorOffset(100));
        assertThrows(IllegalArgumentException.class, () -> index.add(5, 0));
        index.add(6, 60); // greater than the last remaining LSN (5)
        assertEquals(60, index.exactOffset(6));
        assertEquals(4, index.count());
    }

    @Test
    void truncateInASparseIndexWithGapsAtAKeptLsnOrInADenseBlock() {
        OffsetIndex index = OffsetIndex.sparse(3);
        // ordinals:   0  1  2  3   4   5   6   7   8
        long[] lsns = {1, 2, 3, 10, 11, 12, 13, 30, 40};
        for (long lsn : lsns) {
            index.add(lsn, lsn * 10);
        }
        // kept: 1 (ord 0), 10 (ord 3), 13 (ord 6); the block 10..13 is consecutive
        index.truncateAfter(11); // 5 records remain
        assertEquals(5, index.count());
        assertEquals(10, index.floorLsn(100));
        index.add(12, 120);
        index.add(13, 130); // ordinal 6: kept
        assertEquals(130, index.exactOffset(13));
        assertEquals(7, index.count());
    }

    @Test
    void truncateThatCannotBeCountedIsRefusedAndChangesNothing() {
        OffsetIndex index = OffsetIndex.sparse(3);
        long[] lsns = {1, 2, 3, 10, 15, 16, 20, 30, 40};
        for (long lsn : lsns) {
            index.add(lsn, lsn * 10);
        }
        // kept 1, 10, 20; the block 10 (ord 3) .. 20 (ord 6) has gaps: is 12 before or after 15?
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> index.truncateAfter(12));
        assertTrue(e.getMessage().contains("lsn=12"), e.getMessage());
        assertEquals(9, index.count());
        assertEquals(200, index.floorOffset(100));
        assertThrows(IllegalArgumentException.class, () -> index.add(40, 0));
        index.truncateAfter(20); // a kept LSN: 7 records remain
        assertEquals(7, index.count());
        assertEquals(200, index.floorOffset(100));
        index.add(21, 210);
        assertEquals(8, index.count());
        index.truncateAfter(20);
        index.truncateAfter(10);
        assertEquals(4, index.count());
        index.truncateAfter(2); // before the first gap
        assertEquals(2, index.count());

        OffsetIndex none = OffsetIndex.none();
        for (long lsn : lsns) {
            none.add(lsn, 0);
        }
        assertThrows(IllegalArgumentException.class, () -> none.truncateAfter(12));
        assertEquals(9, none.count());
        none.truncateAfter(3);
        assertEquals(3, none.count());
    }

    @Test
    void clearReleasesEverything() {
        OffsetIndex index = OffsetIndex.full();
        long emptyBytes = index.memoryBytes();
        addDense(index, 1, 10_000);
        assertTrue(index.memoryBytes() >= emptyBytes + 80_000);
        index.clear();
        assertEquals(0, index.count());
        assertEquals(emptyBytes, index.memoryBytes());
        assertEquals(-1, index.floorOffset(5));
        index.add(0, 0);
        assertEquals(0, index.exactOffset(0));
    }

    @Test
    void sparseUsesAboutOneSlotPerEveryRecords() {
        OffsetIndex index = OffsetIndex.sparse(4096);
        addDense(index, 1, 1_000_000);
        assertTrue(index.memoryBytes() < 8 * 1024, "memoryBytes=" + index.memoryBytes());
        assertEquals(1_000_000, index.count());
    }

    /** The model: every record added, in order. */
    private record Rec(long lsn, long offset) {}

    @Test
    void randomOperationsMatchATreeMapModel() {
        Random random = new Random(20261121L);
        int refusedCuts = 0;
        int cutsAfterAGap = 0;
        for (int round = 0; round < 300; round++) {
            int kind = random.nextInt(4);
            int every = kind == 0 ? 0 : kind == 1 ? 1 : 2 + random.nextInt(kind == 2 ? 3 : 20);
            OffsetIndex index = every == 0 ? OffsetIndex.none() : every == 1 ? OffsetIndex.full() : OffsetIndex.sparse(every);
            List<Rec> records = new ArrayList<>();
            double gapChance = random.nextInt(3) == 0 ? 0 : random.nextDouble() * 0.3;
            long nextLsn = random.nextInt(5);
            for (int op = 0; op < 400; op++) {
                int what = random.nextInt(100);
                if (what < 75) {
                    long lsn = nextLsn + (random.nextDouble() < gapChance ? 1 + random.nextInt(5) : 0);
                    long offset = random.nextInt(1 << 20);
                    index.add(lsn, offset);
                    records.add(new Rec(lsn, offset));
                    nextLsn = lsn + 1;
                } else if (what < 80) {
                    long last = records.isEmpty() ? 0 : records.getLast().lsn();
                    long bad = last - random.nextInt(3);
                    if (!records.isEmpty()) {
                        assertThrows(IllegalArgumentException.class, () -> index.add(bad, 1));
                    }
                } else if (what < 97) {
                    long last = records.isEmpty() ? 5 : records.getLast().lsn();
                    long cut = random.nextLong(-1, last + 3);
                    int remaining = (int) records.stream().filter(r -> r.lsn() <= cut).count();
                    boolean knowable = knowable(records, every, cut, remaining);
                    if (knowable) {
                        if (remaining > 0 && remaining < records.size() && hasGap(records, remaining)) {
                            cutsAfterAGap++;
                        }
                        index.truncateAfter(cut);
                        records.subList(remaining, records.size()).clear();
                        nextLsn = records.isEmpty() ? random.nextInt(5) : records.getLast().lsn() + 1;
                    } else {
                        refusedCuts++;
                        assertThrows(IllegalArgumentException.class, () -> index.truncateAfter(cut),
                                "round=" + round + " every=" + every + " cut=" + cut);
                    }
                } else {
                    index.clear();
                    records.clear();
                    nextLsn = random.nextInt(5);
                }
                check(index, records, every, random, "round=" + round + " op=" + op + " every=" + every);
            }
        }
        assertTrue(refusedCuts > 10 && cutsAfterAGap > 10, "refused=" + refusedCuts + " cutsAfterAGap=" + cutsAfterAGap);
    }

    private static boolean hasGap(List<Rec> records, int upTo) {
        for (int i = 1; i < upTo; i++) {
            if (records.get(i).lsn() != records.get(i - 1).lsn() + 1) {
                return true;
            }
        }
        return false;
    }

    /** Whether the index can count the records left by a cut, by the rules of its Javadoc. */
    private static boolean knowable(List<Rec> records, int every, long cut, int remaining) {
        if (records.isEmpty() || cut >= records.getLast().lsn() || cut < records.getFirst().lsn() || every == 1) {
            return true;
        }
        // the records up to the cut, and the one after, are consecutive from the first LSN
        boolean denseUpTo = true;
        for (int i = 1; i <= remaining && i < records.size(); i++) {
            if (records.get(i).lsn() != records.get(i - 1).lsn() + 1) {
                denseUpTo = i == remaining && records.get(i).lsn() > cut;
                break;
            }
        }
        if (denseUpTo) {
            return true;
        }
        if (every == 0) {
            return false;
        }
        int floorOrdinal = (remaining - 1) / every * every;
        if (records.get(floorOrdinal).lsn() == cut) {
            return true;
        }
        int blockEnd = Math.min(floorOrdinal + every, records.size() - 1);
        for (int i = floorOrdinal + 1; i <= blockEnd; i++) {
            if (records.get(i).lsn() != records.get(i - 1).lsn() + 1) {
                return false;
            }
        }
        return true;
    }

    private static void check(OffsetIndex index, List<Rec> records, int every, Random random, String where) {
        assertEquals(records.size(), index.count(), where);
        TreeMap<Long, Long> model = new TreeMap<>();
        for (int i = 0; i < records.size(); i++) {
            boolean keep = every == 1 || (every > 1 && i % every == 0);
            if (keep) {
                model.put(records.get(i).lsn(), records.get(i).offset());
            }
        }
        long maxLsn = records.isEmpty() ? 10 : records.getLast().lsn() + 3;
        for (int q = 0; q < 20; q++) {
            long lsn = random.nextLong(0, maxLsn + 1);
            Map.Entry<Long, Long> floor = model.floorEntry(lsn);
            assertEquals(floor == null ? -1 : floor.getValue(), index.floorOffset(lsn), where + " floorOffset(" + lsn + ")");
            assertEquals(floor == null ? -1 : floor.getKey(), index.floorLsn(lsn), where + " floorLsn(" + lsn + ")");
            assertEquals(model.getOrDefault(lsn, -1L), index.exactOffset(lsn), where + " exactOffset(" + lsn + ")");
        }
    }
}

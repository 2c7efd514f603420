package org.wal4j.log;

import java.util.Arrays;

/**
 * An in-memory map from record LSN to file offset, for a sequence of records added in
 * strictly increasing LSN order: every record ({@link #full()}), every {@code every}-th
 * record ({@link #sparse(int)}), or none ({@link #none()}, which still counts records).
 *
 * <p><b>Which records are kept.</b> The records are numbered by the order they were added,
 * from ordinal 0. A full index keeps every record; {@code sparse(every)} keeps the records
 * whose ordinal is a multiple of {@code every} (the 1st, the {@code (every+1)}-th, ...); a
 * none index keeps no record. {@link #floorOffset}/{@link #floorLsn} answer with the
 * greatest <em>kept</em> record at or below an LSN; a caller of a sparse index then scans
 * forward from that offset, at most {@code every - 1} records.
 *
 * <p><b>LSNs.</b> Each added LSN must be greater than the previous one; gaps are allowed
 * (gohacks' WALX lets its callers choose LSNs). LSNs and offsets are {@code >= 0}: the
 * lookups answer {@code -1} for "none".
 *
 * <p><b>Storage.</b> Primitive {@code long} arrays that grow by half. While every LSN is
 * the previous one plus 1, only offsets are stored (a kept entry's LSN is
 * {@code firstLsn + ordinal}), and lookups are O(1) arithmetic, sparse included. At the first
 * gap the kept entries' LSNs are stored too, and lookups become a binary search (O(log n));
 * if a {@link #truncateAfter} later removes every record from the first gap on, the index
 * is dense (offsets only) again.
 *
 * <p><b>Count and truncation.</b> {@link #count()} is the number of records added, kept or
 * not. {@link #truncateAfter(long) truncateAfter(lsn)} removes the records with an LSN
 * greater than {@code lsn}, after which {@code count()} is the number of added records whose
 * LSN is {@code <= lsn}, and the last record is the greatest of those. The index knows that
 * number exactly when the LSNs up to the cut are consecutive, when it keeps every record,
 * or when the cut is at a kept LSN; otherwise it refuses the cut (see {@link #truncateAfter}).
 *
 * <p><b>Thread-safety:</b> none. Callers serialize all calls, e.g. under the lock of the
 * log that owns the index.
 */
public final class OffsetIndex {
    private static final long[] NO_LONGS = new long[0];
    private static final int MAX_ENTRIES = Integer.MAX_VALUE - 8;

    /** 0 = keep none, 1 = keep all, k >= 2 = keep ordinals that are multiples of k. */
    private final int every;

    private long[] offsets = NO_LONGS;
    /** The kept entries' LSNs; null while the LSNs are consecutive (dense). */
    private long[] lsns;
    /** Kept entries in use. */
    private int size;

    /** Records added (remaining after truncation). */
    private long count;
    private long firstLsn = -1;
    private long lastLsn = -1;
    /** Ordinal of the first record whose LSN was not previous + 1, or -1 while dense. */
    private long gapOrdinal = -1;
    /** The LSN of the record at {@link #gapOrdinal}, or -1. */
    private long gapLsn = -1;

    private OffsetIndex(int every) {
        this.every = every;
    }

    /** An index that keeps every record: {@link #exactOffset} finds any LSN. */
    public static OffsetIndex full() {
        return new OffsetIndex(1);
    }

    /**
     * An index that keeps the records of ordinal 0, {@code every}, {@code 2*every}, ... (the
     * 1st, the {@code (every+1)}-th, ...): memory is {@code 8 * ceil(count / every)} bytes
     * while LSNs are consecutive, twice that after a gap.
     *
     * @throws IllegalArgumentException if {@code every < 2} (use {@link #full()} for 1)
     */
    public static OffsetIndex sparse(int every) {
        if (every < 2) {
            throw new IllegalArgumentException("sparse index every=" + every + " must be >= 2 (full() keeps every record)");
        }
        return new OffsetIndex(every);
    }

    /** An index that keeps no entry but counts records and checks their LSN order. */
    public static OffsetIndex none() {
        return new OffsetIndex(0);
    }

    /**
     * Adds the next record.
     *
     * @param lsn greater than the previously added LSN (any value {@code >= 0} for the first)
     * @param offset where the record is, {@code >= 0}
     * @throws IllegalArgumentException if {@code lsn} is not greater than the last LSN, or a
     *     value is negative; the index is then unchanged
     * @throws IllegalStateException if the index would keep more than 2^31 - 9 entries
     */
    public void add(long lsn, long offset) {
        if (lsn < 0 || offset < 0) {
            throw new IllegalArgumentException("add lsn=" + lsn + " offset=" + offset + ": both must be >= 0");
        }
        if (count > 0 && lsn <= lastLsn) {
            throw new IllegalArgumentException("add lsn=" + lsn + " must be greater than lastLsn=" + lastLsn);
        }
        long ordinal = count;
        boolean keep = keeps(ordinal);
        if (keep && size == offsets.length) {
            grow();
        }
        if (count == 0) {
            firstLsn = lsn;
        } else if (gapOrdinal < 0 && lsn != lastLsn + 1) {
            gapOrdinal = ordinal;
            gapLsn = lsn;
            if (every != 0) {
                storeLsns();
            }
        }
        if (keep) {
            offsets[size] = offset;
            if (lsns != null) {
                lsns[size] = lsn;
            }
            size++;
        }
        lastLsn = lsn;
        count++;
    }

    /** The number of records added (kept or not), less those removed by truncation. */
    public long count() {
        return count;
    }

    /**
     * The offset of the greatest kept record whose LSN is {@code <= lsn}, or -1 if there is
     * none. O(1) while LSNs are consecutive, else O(log n).
     */
    public long floorOffset(long lsn) {
        int i = floorEntry(lsn);
        return i < 0 ? -1 : offsets[i];
    }

    /** The LSN of the entry {@link #floorOffset} finds, or -1 if there is none. */
    public long floorLsn(long lsn) {
        int i = floorEntry(lsn);
        return i < 0 ? -1 : entryLsn(i);
    }

    /** The offset of the record with this LSN if the index keeps it, else -1. */
    public long exactOffset(long lsn) {
        int i = floorEntry(lsn);
        return i >= 0 && entryLsn(i) == lsn ? offsets[i] : -1;
    }

    /**
     * The offset of the first kept record whose LSN is greater than {@code lsn}, or -1 if
     * there is none. For a full index, where the record after {@code lsn} starts.
     */
    public long nextOffset(long lsn) {
        int i = floorEntry(lsn) + 1;
        return i < size ? offsets[i] : -1;
    }

    /**
     * Removes the records whose LSN is greater than {@code lsn}. Afterwards {@link #count()} is
     * the number of added records with an LSN {@code <= lsn}, the last LSN is the greatest of
     * those (the next {@link #add} must exceed it), and ordinals continue from the new count
     * (so a sparse index keeps the same records it would have kept had the removed ones never
     * been added). A cut at or above the last LSN changes nothing; a cut below the first LSN
     * empties the index as {@link #clear()} does.
     *
     * <p>The number of remaining records is known, and the cut made, when: the LSNs up to
     * {@code lsn} are consecutive; or the index is full; or {@code lsn} is a kept LSN; or, for
     * a sparse index, the records between the kept entry at or below {@code lsn} and the next
     * kept entry (or the last record) have consecutive LSNs. Otherwise, only possible for a
     * sparse or none index after a gap, the index cannot know how many of the records it did
     * not keep lie at or below {@code lsn}.
     *
     * @throws IllegalArgumentException in that last case, naming the LSNs; the index is then
     *     unchanged
     */
    public void truncateAfter(long lsn) {
        if (count == 0 || lsn >= lastLsn) {
            return;
        }
        if (lsn < firstLsn) {
            clear();
            return;
        }
        long remaining;
        long newLast;
        if (gapOrdinal < 0 || lsn < gapLsn) {
            // The records before the first gap have LSNs firstLsn, firstLsn + 1, ...
            long denseRecords = gapOrdinal < 0 ? count : gapOrdinal;
            remaining = Math.min(lsn - firstLsn + 1, denseRecords);
            newLast = firstLsn + remaining - 1;
        } else if (every == 1) {
            int i = floorEntry(lsn);
            remaining = i + 1L;
            newLast = lsns[i];
        } else if (every == 0) {
            throw unknownCut(lsn, gapLsn, lastLsn);
        } else {
            int i = floorEntry(lsn);
            long floorLsn = lsns[i];
            long floorOrdinal = (long) i * every;
            if (lsn == floorLsn) {
                remaining = floorOrdinal + 1;
                newLast = floorLsn;
            } else {
                long blockEndLsn;
                long blockEndOrdinal;
                if (i + 1 < size) {
                    blockEndLsn = lsns[i + 1];
                    blockEndOrdinal = floorOrdinal + every;
                } else {
                    blockEndLsn = lastLsn;
                    blockEndOrdinal = count - 1;
                }
                if (blockEndLsn - floorLsn != blockEndOrdinal - floorOrdinal) {
                    throw unknownCut(lsn, floorLsn, blockEndLsn);
                }
                remaining = floorOrdinal + 1 + (lsn - floorLsn);
                newLast = lsn;
            }
        }
        count = remaining;
        lastLsn = newLast;
        size = (int) keptFor(remaining);
        if (gapOrdinal >= remaining) {
            gapOrdinal = -1;
            gapLsn = -1;
            lsns = null;
        }
    }

    private IllegalArgumentException unknownCut(long lsn, long fromLsn, long toLsn) {
        String kept = every == 0 ? "keeps no records" : "keeps one record in " + every;
        return new IllegalArgumentException("truncateAfter lsn=" + lsn + ": the index " + kept
                + " and the LSNs between " + fromLsn + " and " + toLsn
                + " have gaps, so it cannot tell how many records remain; count=" + count
                + " lastLsn=" + lastLsn + " (cut at a kept LSN, or rebuild the index)");
    }

    /** Removes every record and entry and releases the arrays; the next add may use any LSN. */
    public void clear() {
        offsets = NO_LONGS;
        lsns = null;
        size = 0;
        count = 0;
        firstLsn = -1;
        lastLsn = -1;
        gapOrdinal = -1;
        gapLsn = -1;
    }

    /**
     * An estimate of the heap this index holds: its arrays' capacity (8 bytes per slot) plus
     * a fixed 96 bytes for the object and array headers.
     */
    public long memoryBytes() {
        return 96 + 8L * offsets.length + (lsns == null ? 0 : 8L * lsns.length);
    }

    @Override
    public String toString() {
        String kind = every == 0 ? "none" : every == 1 ? "full" : "sparse(" + every + ")";
        return "OffsetIndex[" + kind + " count=" + count + " entries=" + size + " firstLsn=" + firstLsn
                + " lastLsn=" + lastLsn + (lsns == null ? " dense" : " gapAtOrdinal=" + gapOrdinal) + "]";
    }

    private boolean keeps(long ordinal) {
        return every == 1 || (every != 0 && ordinal % every == 0);
    }

    private long keptFor(long records) {
        return switch (every) {
            case 0 -> 0;
            case 1 -> records;
            default -> (records + every - 1) / every;
        };
    }

    private long entryLsn(int i) {
        return lsns == null ? firstLsn + (long) i * every : lsns[i];
    }

    /** The index of the greatest kept entry with LSN <= lsn, or -1. */
    private int floorEntry(long lsn) {
        if (size == 0 || lsn < firstLsn) {
            return -1;
        }
        if (lsns == null) {
            long i = (lsn - firstLsn) / every;
            return (int) Math.min(i, size - 1);
        }
        int lo = 0;
        int hi = size - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (lsns[mid] <= lsn) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    private void storeLsns() {
        long[] stored = new long[offsets.length];
        for (int i = 0; i < size; i++) {
            stored[i] = firstLsn + (long) i * every;
        }
        lsns = stored;
    }

    private void grow() {
        if (size >= MAX_ENTRIES) {
            throw new IllegalStateException("offset index is full: entries=" + size);
        }
        int capacity = (int) Math.min(MAX_ENTRIES, Math.max(16L, size + (size >> 1)));
        offsets = Arrays.copyOf(offsets, capacity);
        if (lsns != null) {
            lsns = Arrays.copyOf(lsns, capacity);
        }
    }
}

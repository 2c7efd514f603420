package org.wal4j.powercut;

import java.time.Duration;
import org.wal4j.JournalOptions;
import org.wal4j.SyncMode;
import org.wal4j.SyncPolicy;

/**
 * One power-cut workload: which log (the journal, or a compat port), its sync mode, how many
 * appender threads, and how the journal writes ({@link Io}). The journal's segments are small (256 KiB) so that
 * a run rolls over many times; recycling is on (the default 2 files; it applies to O_DIRECT
 * journals only); the writer truncates now and then. NONE is the control workload, whose
 * writer acknowledges what is not durable.
 */
record Config(Engine engine, SyncMode mode, int threads, Io io) {
    static final long SEGMENT_BYTES = 256 << 10;

    enum Engine {
        /** {@link org.wal4j.Journal}. */
        JOURNAL,
        /** {@link org.wal4j.compat.gohacks.WriteAheadLog}: acknowledged once {@code sync()} returned. */
        GOHACKS,
        /** {@link org.wal4j.compat.wally.Log} with {@code noSync=false}: acknowledged once {@code append} returned. */
        WALLY
    }

    /** How the journal writes its segments. */
    enum Io {
        /** Buffered writes into preallocated, zero-filled segments (the default): no size change per round. */
        BUFFERED,
        /** Buffered writes into segments that grow with every round ({@code preallocate(false)}). */
        GROWING,
        /** O_DIRECT into preallocated segments, recycled. */
        DIRECT;

        String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    static Config journal(SyncMode mode, int threads, Io io) {
        return new Config(Engine.JOURNAL, mode, threads, io);
    }

    static final Config GOHACKS_SYNC = new Config(Engine.GOHACKS, SyncMode.NONE, 1, Io.GROWING);
    static final Config WALLY_SYNCED = new Config(Engine.WALLY, SyncMode.ALWAYS, 1, Io.GROWING);

    String name() {
        return switch (engine) {
            case JOURNAL -> mode + "-" + threads + "-" + io.label();
            case GOHACKS -> "gohacks-sync";
            case WALLY -> "wally-synced";
        };
    }

    JournalOptions options() {
        SyncPolicy policy = mode == SyncMode.INTERVAL
                ? SyncPolicy.interval(64 << 10, Duration.ofMillis(5))
                : SyncPolicy.of(mode);
        JournalOptions.Builder b = JournalOptions.builder().segmentBytes(SEGMENT_BYTES).maxKeyBytes(0)
                .maxValueBytes(16 << 10).syncPolicy(policy).direct(io == Io.DIRECT).preallocate(io != Io.GROWING).recycleSegments(2);
        if (mode == SyncMode.NONE) {
            b.writeBufferBytes(4096); // the control: appends reach the page cache soon, unsynced
        }
        return b.build();
    }

    /** gohacks: an fdatasync inside the append that crosses 64 KiB too; values up to the payload's largest. */
    org.wal4j.compat.gohacks.Policy gohacksPolicy() {
        return new org.wal4j.compat.gohacks.Policy(64 << 10, Duration.ZERO, 16 << 10, 0);
    }

    static Config parse(String name) {
        return switch (name) {
            case "gohacks-sync" -> GOHACKS_SYNC;
            case "wally-synced" -> WALLY_SYNCED;
            default -> {
                String[] f = name.split("-");
                yield journal(SyncMode.valueOf(f[0]), Integer.parseInt(f[1]), Io.valueOf(f[2].toUpperCase(java.util.Locale.ROOT)));
            }
        };
    }

    @Override
    public String toString() {
        return name();
    }
}

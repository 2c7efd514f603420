package org.wal4j.micrometer;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import org.wal4j.Journal;
import org.wal4j.JournalStats;

/**
 * Exposes a {@link Journal}'s {@link Journal#stats()} as Micrometer meters, tagged with the
 * journal's directory ({@code dir}) and any tags given:
 * <ul>
 *   <li>counters: {@code wal4j.appends}, {@code wal4j.appended} (bytes), {@code wal4j.sync.rounds},
 *       {@code wal4j.round.records}, {@code wal4j.rollovers}, {@code wal4j.recycled};
 *   <li>a function timer {@code wal4j.sync}: the rounds' fdatasyncs, their count and total time,
 *       and time gauges {@code wal4j.sync.p50}, {@code wal4j.sync.p99}, {@code wal4j.sync.max};
 *   <li>gauges: {@code wal4j.records.per.round}, {@code wal4j.durable.lag} (LSNs),
 *       {@code wal4j.durable.lag.bytes}, {@code wal4j.last.lsn}, {@code wal4j.durable.lsn},
 *       {@code wal4j.segments}, {@code wal4j.disk} (bytes).
 * </ul>
 * A scrape reads one snapshot for all the meters (taken again when older than 100 ms), so it
 * takes the journal's lock once, not once per meter. The binder holds the journal strongly;
 * remove its meters when the journal is closed.
 */
public final class JournalMetricsBinder implements MeterBinder {
    private static final long SNAPSHOT_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final Journal journal;
    private final Iterable<Tag> tags;
    private JournalStats snapshot;
    private long snapshotAt;

    /** Binds {@code journal}'s stats, tagged with {@code dir} and {@code tags}. */
    public JournalMetricsBinder(Journal journal, Iterable<Tag> tags) {
        this.journal = Objects.requireNonNull(journal, "journal");
        this.tags = Tags.concat(Objects.requireNonNull(tags, "tags"), "dir", journal.dir().toString());
    }

    public JournalMetricsBinder(Journal journal) {
        this(journal, Tags.empty());
    }

    private synchronized JournalStats stats() {
        long now = System.nanoTime();
        if (snapshot == null || now - snapshotAt > SNAPSHOT_NANOS) {
            snapshot = journal.stats();
            snapshotAt = now;
        }
        return snapshot;
    }

    private double get(ToDoubleFunction<JournalStats> f) {
        return f.applyAsDouble(stats());
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        counter(registry, "wal4j.appends", "records appended", null, JournalStats::appends);
        counter(registry, "wal4j.appended", "frame bytes appended", "bytes", JournalStats::appendedBytes);
        counter(registry, "wal4j.sync.rounds", "group-commit rounds", null, JournalStats::syncRounds);
        counter(registry, "wal4j.round.records", "records the rounds made durable", null, JournalStats::roundRecords);
        counter(registry, "wal4j.rollovers", "segments sealed for a new one", null, JournalStats::rollovers);
        counter(registry, "wal4j.recycled", "segment files kept for reuse", null, JournalStats::recycled);
        FunctionTimer.builder("wal4j.sync", this, b -> b.stats().syncs(), b -> b.get(JournalStats::syncNanos),
                TimeUnit.NANOSECONDS).description("the rounds' fdatasyncs of the active segment").tags(tags).register(registry);
        timeGauge(registry, "wal4j.sync.p50", "median round fdatasync", JournalStats::syncP50Nanos);
        timeGauge(registry, "wal4j.sync.p99", "99th percentile round fdatasync", JournalStats::syncP99Nanos);
        timeGauge(registry, "wal4j.sync.max", "longest round fdatasync", JournalStats::syncMaxNanos);
        gauge(registry, "wal4j.records.per.round", "records per round on average", null, JournalStats::recordsPerRound);
        gauge(registry, "wal4j.durable.lag", "records appended and not yet durable", null, JournalStats::durableLagLsns);
        gauge(registry, "wal4j.durable.lag.bytes", "frame bytes appended and not yet durable", "bytes",
                JournalStats::durableLagBytes);
        gauge(registry, "wal4j.last.lsn", "the highest LSN appended", null, JournalStats::lastLsn);
        gauge(registry, "wal4j.durable.lsn", "every record up to this LSN is durable", null, JournalStats::durableLsn);
        gauge(registry, "wal4j.segments", "segment files", null, JournalStats::segments);
        gauge(registry, "wal4j.disk", "segment file bytes", "bytes", JournalStats::diskBytes);
    }

    private void counter(MeterRegistry registry, String name, String description, String unit, ToDoubleFunction<JournalStats> f) {
        FunctionCounter.builder(name, this, b -> b.get(f)).description(description).baseUnit(unit).tags(tags).register(registry);
    }

    private void gauge(MeterRegistry registry, String name, String description, String unit, ToDoubleFunction<JournalStats> f) {
        Gauge.builder(name, this, b -> b.get(f)).description(description).baseUnit(unit).tags(tags).register(registry);
    }

    private void timeGauge(MeterRegistry registry, String name, String description, ToDoubleFunction<JournalStats> nanos) {
        TimeGauge.builder(name, this, TimeUnit.NANOSECONDS, b -> b.get(nanos)).description(description).tags(tags)
                .register(registry);
    }
}

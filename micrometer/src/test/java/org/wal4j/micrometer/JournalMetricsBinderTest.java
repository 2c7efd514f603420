package org.wal4j.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.wal4j.Journal;
import org.wal4j.JournalOptions;
import org.wal4j.SyncMode;

/** The binder's meters in a {@link SimpleMeterRegistry} against what {@link Journal#stats()} says. */
class JournalMetricsBinderTest {
    @TempDir
    Path tmp;

    @Test
    void everyMeterReadsTheJournalsStats() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        JournalOptions options = JournalOptions.builder().syncPolicy(SyncMode.ALWAYS).segmentBytes(64 << 10).maxValueBytes(4096).build();
        try (Journal j = Journal.open(tmp.resolve("j"), options)) {
            new JournalMetricsBinder(j, Tags.of("app", "test")).bindTo(registry);
            Set<String> names = registry.getMeters().stream().map(m -> m.getId().getName()).collect(Collectors.toSet());
            assertEquals(Set.of("wal4j.appends", "wal4j.appended", "wal4j.sync.rounds", "wal4j.round.records", "wal4j.rollovers",
                    "wal4j.recycled", "wal4j.sync", "wal4j.sync.p50", "wal4j.sync.p99", "wal4j.sync.max", "wal4j.records.per.round",
                    "wal4j.durable.lag", "wal4j.durable.lag.bytes", "wal4j.last.lsn", "wal4j.durable.lsn", "wal4j.segments",
                    "wal4j.disk"), names);
            for (Meter m : registry.getMeters()) {
                assertEquals("test", m.getId().getTag("app"));
                assertEquals(j.dir().toString(), m.getId().getTag("dir"));
            }
            for (int i = 0; i < 150; i++) {
                j.append(new byte[1000]);
            }
            Thread.sleep(150); // past the binder's 100 ms snapshot
            assertEquals(150, registry.get("wal4j.appends").functionCounter().count());
            assertEquals(150, registry.get("wal4j.round.records").functionCounter().count());
            assertEquals(150, registry.get("wal4j.last.lsn").gauge().value());
            assertEquals(150, registry.get("wal4j.durable.lsn").gauge().value());
            assertEquals(0, registry.get("wal4j.durable.lag").gauge().value());
            assertTrue(registry.get("wal4j.rollovers").functionCounter().count() >= 1);
            assertTrue(registry.get("wal4j.segments").gauge().value() >= 2);
            assertTrue(registry.get("wal4j.disk").gauge().value() >= 2 * 4096);
            FunctionTimer sync = registry.get("wal4j.sync").functionTimer();
            assertTrue(sync.count() >= 150, "syncs: " + sync.count());
            assertTrue(sync.totalTime(TimeUnit.NANOSECONDS) > 0);
            double p50 = registry.get("wal4j.sync.p50").timeGauge().value(TimeUnit.NANOSECONDS);
            double max = registry.get("wal4j.sync.max").timeGauge().value(TimeUnit.NANOSECONDS);
            assertTrue(p50 > 0 && p50 <= max, p50 + " " + max);
            assertEquals(j.stats().appendedBytes(), registry.get("wal4j.appended").functionCounter().count());
        }
    }
}

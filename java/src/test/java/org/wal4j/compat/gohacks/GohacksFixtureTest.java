package org.wal4j.compat.gohacks;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.wal4j.format.WalxFormat;
import org.wal4j.io.IoBackend;

/** The port against a file the real gohacks library wrote. */
class GohacksFixtureTest {

    @TempDir
    Path dir;

    record Rec(long lsn, long ts, byte[] key, byte[] value) {}

    private Path copyOfFixture() throws IOException {
        Path copy = dir.resolve("copy.wal");
        Files.copy(GohacksFixture.wal(), copy);
        return copy;
    }

    private static List<Rec> replayAll(WriteAheadLog wal) throws IOException {
        List<Rec> out = new ArrayList<>();
        wal.replay(0, (lsn, ts, key, value) -> out.add(new Rec(lsn, ts, key, value)));
        return out;
    }

    @Test
    void replayMatchesTheManifestRecordByRecord() throws IOException {
        List<GohacksFixture.Entry> manifest = GohacksFixture.manifest();
        Path copy = copyOfFixture();
        long fixtureBytes = Files.size(copy);
        try (WriteAheadLog wal = WriteAheadLog.open(copy, Policy.defaults())) {
            RecoveryReport r = wal.recovery();
            assertAll(
                    () -> assertFalse(r.droppedTail(), r::toString),
                    () -> assertEquals(manifest.size(), r.records()),
                    () -> assertEquals(fixtureBytes, r.validBytes()),
                    () -> assertEquals(manifest.getLast().lsn(), wal.lastLsn()));
            List<Rec> records = replayAll(wal);
            assertEquals(manifest.size(), records.size(), "record count");
            for (int i = 0; i < records.size(); i++) {
                GohacksFixture.Entry want = manifest.get(i);
                Rec got = records.get(i);
                int index = i;
                assertAll("record " + index,
                        () -> assertEquals(want.lsn(), got.lsn(), "lsn"),
                        () -> assertEquals(want.ts(), got.ts(), "ts"),
                        () -> assertEquals(want.keyHex(), HexFormat.of().formatHex(got.key()), "key_hex"),
                        () -> assertEquals(want.valueLength(), got.value().length, "value_len"),
                        () -> assertEquals(want.valueSha256(), GohacksFixture.sha256(got.value()), "value_sha256"));
            }
        }
        assertArrayEquals(Files.readAllBytes(GohacksFixture.wal()), Files.readAllBytes(copy),
                "open, replay and close leave a valid file unchanged");
    }

    @Test
    void replayFromABaseSkipsRecordsAtOrBelowIt() throws IOException {
        List<GohacksFixture.Entry> manifest = GohacksFixture.manifest();
        long base = manifest.get(9).lsn();
        try (WriteAheadLog wal = WriteAheadLog.open(copyOfFixture(), Policy.defaults())) {
            List<Long> lsns = new ArrayList<>();
            long highest = wal.replay(base, (lsn, ts, key, value) -> lsns.add(lsn));
            assertEquals(manifest.subList(10, manifest.size()).stream().map(GohacksFixture.Entry::lsn).toList(), lsns);
            assertEquals(manifest.getLast().lsn(), highest);
            assertEquals(Long.MAX_VALUE, wal.replay(Long.MAX_VALUE, (lsn, ts, key, value) -> lsns.add(-1L)),
                    "nothing above the base: the base is returned");
        }
    }

    @Test
    void appendingTheFixtureRecordsThroughThePortReproducesItByteForByte() throws IOException {
        byte[] fixture = Files.readAllBytes(GohacksFixture.wal());
        long createdAt = WalxFormat.createdAt(MemorySegment.ofArray(fixture), 0);
        List<Rec> records;
        try (WriteAheadLog source = WriteAheadLog.open(copyOfFixture(), Policy.defaults())) {
            records = replayAll(source);
        }
        Path rebuilt = dir.resolve("rebuilt.wal");
        InstantSource fixtureClock = InstantSource.fixed(Instant.ofEpochSecond(createdAt));
        try (WriteAheadLog wal = WriteAheadLog.open(rebuilt, Policy.defaults(), IoBackend.select(), fixtureClock)) {
            for (Rec r : records) {
                wal.append(r.lsn(), r.ts(), r.key(), r.value());
            }
        }
        byte[] written = Files.readAllBytes(rebuilt);
        assertEquals(fixture.length, written.length, "length");
        assertEquals(-1, java.util.Arrays.mismatch(fixture, written), "first differing byte");
    }

    @Test
    void appendingAfterTheFixtureRecordsKeepsThemAndAddsNewOnes() throws IOException {
        Path copy = copyOfFixture();
        long next;
        try (WriteAheadLog wal = WriteAheadLog.open(copy, Policy.defaults())) {
            next = wal.lastLsn() + 1;
            wal.append(next, 1_800_000_000L, "k".getBytes(), "v".getBytes());
        }
        try (WriteAheadLog wal = WriteAheadLog.open(copy, Policy.defaults())) {
            List<Rec> records = replayAll(wal);
            assertEquals(GohacksFixture.manifest().size() + 1, records.size());
            assertEquals(next, records.getLast().lsn());
        }
    }
}

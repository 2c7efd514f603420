package org.wal4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.wal4j.io.IoBackend;
import org.wal4j.io.SimulatedDisk;
import org.wal4j.io.SimulatedDisk.ReadFault;
import org.wal4j.log.SegmentFiles;

/**
 * Read-side faults: every read that open makes of a journal with sealed durable segments and a
 * torn tail is, in turn, faulty (one flipped bit, or EIO) while the disk keeps the right
 * bytes. Open may fail (saying why), but no durable record may be lost or changed: a clean
 * open afterwards finds every one. And a faulty read of a record fails that read only.
 */
@org.junit.jupiter.api.extension.ExtendWith(QuietJournalLog.class)
class ReadFaultTest {
    private static final int RECORDS = 60;

    @TempDir
    Path tmp;

    private static JournalOptions options() {
        return JournalOptions.builder().syncPolicy(SyncMode.NONE).segmentBytes(16 << 10).maxValueBytes(4000).verifyOnOpen(true).build();
    }

    private static byte[] value(long lsn) {
        byte[] b = new byte[200 + (int) (lsn * 53 % 700)];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (lsn * 7 + i);
        }
        return b;
    }

    /** A journal of RECORDS durable records over several segments, with garbage after its last frame (a torn tail). */
    private Path journalWithATornTail(Path dir) throws IOException {
        try (Journal j = Journal.open(dir, options())) {
            for (long lsn = 1; lsn <= RECORDS; lsn++) {
                j.append(value(lsn));
            }
            j.sync();
        }
        Path active = SegmentFiles.list(dir).segments().getLast();
        long end;
        try (Journal j = Journal.open(dir, options())) {
            assertEquals(RECORDS, j.lastLsn());
        }
        end = endOfFrames(active);
        try (FileChannel ch = FileChannel.open(active, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9}), end);
        }
        return dir;
    }

    /** Where the active segment's frames end: after the last non-zero byte, rounded up to 8. */
    private static long endOfFrames(Path segment) throws IOException {
        byte[] b = Files.readAllBytes(segment);
        int last = b.length - 1;
        while (last >= 0 && b[last] == 0) {
            last--;
        }
        return (last + 8) & -8;
    }

    private static void copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> s = Files.list(from)) {
            for (Path p : s.filter(p -> !p.getFileName().toString().equals(SegmentFiles.LOCK_FILE)).toList()) {
                Files.copy(p, to.resolve(p.getFileName()));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(ReadFault.class)
    void aFaultyReadDuringOpenNeverCostsADurableRecord(ReadFault fault) throws Exception {
        Path original = journalWithATornTail(tmp.resolve("original"));
        Path counting = tmp.resolve("counting");
        copy(original, counting);
        SimulatedDisk count = SimulatedDisk.over(IoBackend.select(), counting);
        Journal.open(counting, options(), count).close();
        long reads = count.reads();
        assertTrue(reads > 5, "open reads: " + reads);
        int refused = 0;
        List<String> lost = new ArrayList<>();
        for (long k = 1; k <= reads; k++) {
            Path dir = tmp.resolve("run-" + k);
            copy(original, dir);
            SimulatedDisk disk = SimulatedDisk.over(IoBackend.select(), dir).faultyRead(k, fault, k);
            try (Journal j = Journal.open(dir, options(), disk)) {
                assertEquals(RECORDS, j.lastLsn(), "read " + k + ": an open that succeeds has every record");
            } catch (IOException e) {
                refused++; // CorruptionException, EIO, or two reads that disagreed
                assertTrue(e.getMessage() != null);
            }
            try (Journal j = Journal.open(dir, options())) {
                for (long lsn = 1; lsn <= RECORDS; lsn++) {
                    if (!java.util.Arrays.equals(value(lsn), j.read(lsn).value())) {
                        lost.add("read " + k + ": lsn " + lsn + " changed");
                    }
                }
                if (j.lastLsn() != RECORDS) {
                    lost.add("read " + k + ": lastLsn " + j.lastLsn());
                }
            } catch (IOException e) {
                lost.add("read " + k + ": a clean open then failed: " + e);
            }
        }
        System.out.printf("read faults (%s): %d reads of open made faulty, %d opens refused, %d durable records lost%n",
                fault, reads, refused, lost.size());
        assertEquals(List.of(), lost);
    }

    @ParameterizedTest
    @EnumSource(ReadFault.class)
    void aFaultyReadOfARecordFailsThatReadOnly(ReadFault fault) throws Exception {
        Path dir = tmp.resolve("j");
        JournalOptions growing = JournalOptions.builder().syncPolicy(SyncMode.NONE).segmentBytes(16 << 10).maxValueBytes(4000).preallocate(false).build();
        try (Journal j = Journal.open(dir, growing)) {
            for (long lsn = 1; lsn <= 5; lsn++) {
                j.append(value(lsn)); // one growing segment, not preallocated: its reads are preads, not a mapping
            }
            j.sync();
        }
        SimulatedDisk disk = SimulatedDisk.over(IoBackend.select(), dir);
        try (Journal j = Journal.open(dir, growing, disk)) {
            disk.faultyRead(disk.reads() + 1, fault, 3);
            try {
                byte[] got = j.read(3).value();
                assertArrayEquals(value(3), got, "a read that returns gives the record, or fails");
            } catch (IOException e) {
                assertTrue(e instanceof CorruptionException || e.getMessage().contains("EIO"), e.toString());
            }
            assertArrayEquals(value(3), j.read(3).value(), "the next read is fine: the journal did not fail");
            assertEquals(6, j.append(value(6)));
        }
    }
}

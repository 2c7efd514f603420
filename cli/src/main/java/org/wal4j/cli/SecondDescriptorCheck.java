package org.wal4j.cli;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.wal4j.io.IoBackend;
import org.wal4j.io.IoFile;
import org.wal4j.io.OpenFlag;

/**
 * pg_test_fsync's check that a sync through a descriptor that never wrote is honoured. Every
 * write goes through one descriptor; every other one is then fdatasync'd through that same
 * descriptor, the rest through a second descriptor on the same file that never writes. Linux
 * syncs the file, not the descriptor, so both take as long; a second-descriptor sync that is
 * far faster was skipped, and data that one process writes and another syncs (PostgreSQL's
 * checkpointer, any syncer with a descriptor of its own) would not be durable.
 *
 * @param path the path the check ran on: the one a journal would use
 * @param status "ok", or why the check did not run to its end
 * @param sameDescriptor latencies of write + fdatasync through the writing descriptor
 * @param secondDescriptor latencies of write + fdatasync through the second descriptor
 */
record SecondDescriptorCheck(CallPath path, long sizeBytes, String status, Histogram sameDescriptor,
                             Histogram secondDescriptor) {

    /**
     * Below this ratio of medians (second descriptor over writing descriptor) the second
     * descriptor's sync looks skipped. An honoured sync costs the same either way (ratio about
     * 1; a shared, noisy machine moves medians by tens of percent, not threefold); a skipped one
     * leaves the buffered write alone, microseconds against a flush of a hundred or more.
     */
    static final double SUSPECT_BELOW = 1.0 / 3;

    /**
     * Alternates the two kinds of operation on {@code file} until {@code deadlineNanos}, so that
     * drift hits both alike. Writes wrap inside {@code wrapBytes}, which the file must hold.
     */
    static SecondDescriptorCheck run(IoBackend backend, CallPath path, Path file, MemorySegment buf, long wrapBytes,
                                     long deadlineNanos) {
        Histogram same = new Histogram(3);
        Histogram second = new Histogram(3);
        String status = "ok";
        // Both read-write, as PostgreSQL opens the files its checkpointer syncs; the second never writes.
        try (IoFile writer = backend.open(file, OpenFlag.READ, OpenFlag.WRITE);
             IoFile other = backend.open(file, OpenFlag.READ, OpenFlag.WRITE)) {
            long length = buf.byteSize();
            for (long k = 0; ; k++) {
                long t0 = System.nanoTime();
                if (t0 >= deadlineNanos) {
                    break;
                }
                writer.write(OpLoop.offsetOf(k, length, wrapBytes), buf);
                (k % 2 == 0 ? writer : other).datasync();
                (k % 2 == 0 ? same : second).recordValue(System.nanoTime() - t0);
            }
        } catch (IOException | RuntimeException e) {
            status = FsyncTestCommand.classify(e, FsyncMethod.FDATASYNC);
        }
        return new SecondDescriptorCheck(path, buf.byteSize(), status, same, second);
    }

    boolean measured() {
        return status.equals("ok") && sameDescriptor.getTotalCount() > 0 && secondDescriptor.getTotalCount() > 0;
    }

    /** The second descriptor's median over the writing descriptor's. */
    double ratio() {
        return p50(secondDescriptor) / Math.max(p50(sameDescriptor), 1e-3);
    }

    boolean honoured() {
        return ratio() >= SUSPECT_BELOW;
    }

    /** The section of the text report. */
    String text() {
        StringBuilder sb = new StringBuilder();
        sb.append("second descriptor: ").append(ByteSize.format(sizeBytes)).append(" writes on the ").append(path.id)
                .append(" path, each fdatasync'd through the writing descriptor or a second one that never wrote\n");
        if (!measured()) {
            sb.append("    ").append(status.equals("ok") ? "no operation completed" : status).append('\n');
            return sb.toString();
        }
        line(sb, "write, fdatasync through the writing descriptor", sameDescriptor);
        line(sb, "write, fdatasync through a second descriptor", secondDescriptor);
        sb.append(String.format(Locale.ROOT, "    second/writing p50 %.2f: ", ratio()));
        sb.append(honoured()
                ? String.format(Locale.ROOT, "honoured, as long as through the writing descriptor (under %.2f would mean"
                        + " the sync was skipped)%n", SUSPECT_BELOW)
                : String.format(Locale.ROOT, "under %.2f: the filesystem or device may not honour a sync through a"
                        + " descriptor that did not write%n", SUSPECT_BELOW));
        return sb.toString();
    }

    private static void line(StringBuilder sb, String what, Histogram h) {
        sb.append(String.format(Locale.ROOT, "    %-48s p50 %9.1f us   p99 %9.1f us   %d ops%n",
                what, p50(h), h.getValueAtPercentile(99) / 1000.0, h.getTotalCount()));
    }

    private static double p50(Histogram h) {
        return h.getValueAtPercentile(50) / 1000.0;
    }

    /** The same as one flat JSON object. */
    Map<String, Object> json() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("path", path.id);
        m.put("method", FsyncMethod.FDATASYNC.id);
        m.put("sizeBytes", sizeBytes);
        m.put("fileState", FileState.ZEROED.id);
        m.put("status", status);
        if (measured()) {
            m.put("sameDescriptorOps", sameDescriptor.getTotalCount());
            m.put("sameDescriptorP50Micros", round1(p50(sameDescriptor)));
            m.put("sameDescriptorP99Micros", round1(sameDescriptor.getValueAtPercentile(99) / 1000.0));
            m.put("secondDescriptorOps", secondDescriptor.getTotalCount());
            m.put("secondDescriptorP50Micros", round1(p50(secondDescriptor)));
            m.put("secondDescriptorP99Micros", round1(secondDescriptor.getValueAtPercentile(99) / 1000.0));
            m.put("ratio", Math.round(ratio() * 100) / 100.0);
            m.put("suspectBelow", Math.round(SUSPECT_BELOW * 1000) / 1000.0);
            m.put("honoured", honoured());
        }
        return m;
    }

    private static double round1(double d) {
        return Math.round(d * 10) / 10.0;
    }
}

package org.wal4j.cli;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.wal4j.format.WalxFormat;
import org.wal4j.format.WallyFormat;

/**
 * A read-only walk of a gohacks or go-wally (README format) log file, record by record, as
 * the ports' open checks them: it ends at the first record that is not valid, which is where
 * an open would cut the file. Neither format records what was synced, so a torn tail and
 * damage cannot be told apart there: both end the log. Reads 1 MiB at a time (a larger
 * record is read whole; its length is checked against the file first). Opens the file
 * read-only and takes no lock.
 */
final class GoLogScan {
    private static final long CHUNK_BYTES = 1 << 20;
    private static final MemorySegment EMPTY = MemorySegment.ofArray(new byte[0]);

    /** One valid record; {@code key} is empty for go-wally; the segments are valid during the call only. */
    record Record(long offset, long lsn, long timestamp, MemorySegment key, MemorySegment value, long bytes, int crc) {}

    @FunctionalInterface
    interface Sink {
        /** Returns false to stop the walk. */
        boolean record(Record r) throws IOException;
    }

    /**
     * How the walk ended.
     *
     * @param fileBytes the file's size
     * @param headerBytes the file header's length (0 for go-wally)
     * @param endOffset where the valid records end
     * @param records valid records before {@code endOffset}
     * @param firstLsn the first record's LSN (go-wally: its index), or -1 if none
     * @param lastLsn the last one's, or -1
     * @param reason why the records end before the file does (null when they end with it, or the sink stopped)
     * @param createdAt gohacks: the header's created_at (seconds); go-wally: -1
     */
    record End(long fileBytes, long headerBytes, long endOffset, long records, long firstLsn, long lastLsn, String reason,
               long createdAt) {
        boolean clean() {
            return reason == null;
        }
    }

    private GoLogScan() {}

    static End scan(Path file, LogTarget.Kind kind, Sink sink) throws IOException, LogTarget.BadInput {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ); Arena arena = Arena.ofConfined()) {
            long size = ch.size();
            MemorySegment buf = arena.allocate(Math.min(CHUNK_BYTES, Math.max(size, 64)), 8);
            long headerBytes = 0;
            long createdAt = -1;
            if (kind == LogTarget.Kind.GOHACKS) {
                long n = read(ch, 0, buf.asSlice(0, Math.min(buf.byteSize(), size)));
                WalxFormat.HeaderState h = WalxFormat.checkHeader(buf, 0, n);
                if (h != WalxFormat.HeaderState.VALID) {
                    throw new LogTarget.BadInput(file + ": gohacks header not valid: " + h);
                }
                headerBytes = WalxFormat.HEADER_LENGTH;
                createdAt = WalxFormat.createdAt(buf, 0);
            }
            long pos = headerBytes;
            long records = 0;
            long first = -1;
            long last = -1;
            long bufStart = pos;
            long bufBytes = 0;
            while (pos < size) {
                long in = pos - bufStart;
                long left = size - pos;
                long need = kind == LogTarget.Kind.GOHACKS ? WalxFormat.KEY_OFFSET : WallyFormat.HEADER_LENGTH;
                if (in + Math.min(need, left) > bufBytes) {
                    bufStart = pos;
                    bufBytes = read(ch, pos, buf.asSlice(0, Math.min(buf.byteSize(), left)));
                    in = 0;
                }
                long recordBytes;
                String invalid;
                if (kind == LogTarget.Kind.GOHACKS) {
                    WalxFormat.RecordState framing = WalxFormat.checkFraming(buf, in, left);
                    recordBytes = framing == WalxFormat.RecordState.VALID ? WalxFormat.SIZE_LENGTH + WalxFormat.size(buf, in) : 0;
                    invalid = framing == WalxFormat.RecordState.VALID ? null : framing.toString();
                } else if (left < WallyFormat.HEADER_LENGTH) {
                    recordBytes = 0;
                    invalid = WallyFormat.Verdict.SHORT_HEADER.description();
                } else {
                    long payload = WallyFormat.payloadLength(buf, in);
                    recordBytes = payload < 0 || payload > left - WallyFormat.HEADER_LENGTH ? 0 : WallyFormat.recordLength(payload);
                    invalid = recordBytes == 0 ? WallyFormat.Verdict.LENGTH_BEYOND_END.description()
                            : WallyFormat.reserved(buf, in) != 0 ? WallyFormat.Verdict.RESERVED_NOT_ZERO.description() : null;
                }
                if (invalid == null && in + recordBytes > bufBytes) {
                    if (recordBytes > buf.byteSize()) {
                        buf = Arena.ofAuto().allocate(recordBytes, 8); // bounded by the file's size: checked above
                    }
                    bufStart = pos;
                    bufBytes = read(ch, pos, buf.asSlice(0, recordBytes));
                    in = 0;
                    if (bufBytes < recordBytes) {
                        invalid = "the file shrank while it was read";
                    }
                }
                if (invalid == null) {
                    invalid = checkContents(kind, buf, in, left);
                }
                if (invalid != null) {
                    return new End(size, headerBytes, pos, records, first, last,
                            "invalid record at offset " + pos + ": " + invalid, createdAt);
                }
                long lsn = kind == LogTarget.Kind.GOHACKS ? WalxFormat.lsn(buf, in) : records + 1;
                first = records == 0 ? lsn : first;
                last = lsn;
                records++;
                Record r = kind == LogTarget.Kind.GOHACKS
                        ? new Record(pos, lsn, WalxFormat.timestamp(buf, in), WalxFormat.key(buf, in), WalxFormat.value(buf, in),
                                recordBytes, WalxFormat.storedCrc(buf, in))
                        : new Record(pos, lsn, 0, EMPTY, buf.asSlice(in + WallyFormat.PAYLOAD_OFFSET,
                                recordBytes - WallyFormat.HEADER_LENGTH), recordBytes, WallyFormat.storedCrc(buf, in));
                pos += recordBytes;
                if (!sink.record(r)) {
                    return new End(size, headerBytes, pos, records, first, last, null, createdAt);
                }
            }
            return new End(size, headerBytes, pos, records, first, last, null, createdAt);
        }
    }

    private static String checkContents(LogTarget.Kind kind, MemorySegment buf, long in, long left) {
        if (kind == LogTarget.Kind.GOHACKS) {
            WalxFormat.RecordState s = WalxFormat.checkRecord(buf, in, left);
            return s == WalxFormat.RecordState.VALID ? null : s == WalxFormat.RecordState.CRC_MISMATCH
                    ? "CRC32C mismatch: stored=0x" + Integer.toHexString(WalxFormat.storedCrc(buf, in)) + " computed=0x"
                    + Integer.toHexString(WalxFormat.computeCrc(buf, in, WalxFormat.size(buf, in) - WalxFormat.CRC_LENGTH))
                    : s.toString();
        }
        long payload = WallyFormat.payloadLength(buf, in);
        int computed = WallyFormat.crc(buf, in + WallyFormat.PAYLOAD_OFFSET, payload);
        int stored = WallyFormat.storedCrc(buf, in);
        return computed == stored ? null : WallyFormat.Verdict.CHECKSUM_MISMATCH.description() + ": stored=0x"
                + Integer.toHexString(stored) + " computed=0x" + Integer.toHexString(computed);
    }

    private static long read(FileChannel ch, long offset, MemorySegment dst) throws IOException {
        java.nio.ByteBuffer b = dst.asByteBuffer();
        long done = 0;
        while (b.hasRemaining()) {
            int n = ch.read(b, offset + done);
            if (n <= 0) {
                break;
            }
            done += n;
        }
        return done;
    }
}

package org.wal4j.compat.gohacks;

import static org.wal4j.format.WalxFormat.HEADER_LENGTH;
import static org.wal4j.format.WalxFormat.KEY_OFFSET;
import static org.wal4j.format.WalxFormat.RECORD_OVERHEAD;
import static org.wal4j.format.WalxFormat.SIZE_LENGTH;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import org.wal4j.format.WalxFormat;
import org.wal4j.format.WalxFormat.RecordState;
import org.wal4j.io.IoFile;

/**
 * Open's scan of an existing WALX file: finds where the valid records end and, if that is
 * before the end of the file, looks through the rest for valid-looking records. Reads only.
 */
final class LogScanner {
    private LogScanner() {}

    /** The scan's findings; the caller turns them into a {@link RecoveryReport}. */
    record Result(long records, long lastLsn, long validBytes, RecordState tailState, String tailDetail,
                  long recordsAfterCut, long firstRecordAfterCutOffset) {}

    static Result scan(Path path, IoFile file, long fileBytes) throws IOException {
        try (ReadWindow window = new ReadWindow(file, fileBytes)) {
            long position = HEADER_LENGTH;
            long records = 0;
            long lastLsn = 0;
            RecordState state = RecordState.VALID;
            String detail = "";
            while (position < fileBytes) {
                long available = fileBytes - position;
                long at = load(path, window, position, Math.min(available, KEY_OFFSET));
                MemorySegment seg = window.segment();
                state = WalxFormat.checkFraming(seg, at, available);
                if (state == RecordState.VALID) {
                    long length = SIZE_LENGTH + WalxFormat.size(seg, at);
                    if (length > WriteAheadLog.MAX_RECORD_BYTES) {
                        // A well-framed record this JVM cannot hold: not damage, so not cut off.
                        throw new InvalidLog(path, position, "record larger than this implementation reads: recordBytes="
                                + length + " maxRecordBytes=" + WriteAheadLog.MAX_RECORD_BYTES);
                    }
                    at = load(path, window, position, length);
                    seg = window.segment();
                    state = WalxFormat.checkRecord(seg, at, available);
                }
                if (state != RecordState.VALID) {
                    detail = describe(state, seg, at, available);
                    break;
                }
                records++;
                long lsn = WalxFormat.lsn(seg, at);
                if (Long.compareUnsigned(lsn, lastLsn) > 0) {
                    lastLsn = lsn;
                }
                position += SIZE_LENGTH + WalxFormat.size(seg, at);
            }
            if (state == RecordState.VALID) {
                return new Result(records, lastLsn, position, state, "", 0, -1);
            }
            // The tail will be cut. Records that look valid after it are unsynced writes the disk
            // took out of order, damage to durable bytes, or gohacks' appends after a torn
            // record (see RecoveryReport#recordsAfterCut): report them.
            long after = 0;
            long firstAfter = -1;
            long p = position + 1;
            while (p + RECORD_OVERHEAD <= fileBytes) {
                long available = fileBytes - p;
                long at = load(path, window, p, Math.min(available, KEY_OFFSET));
                if (WalxFormat.checkFraming(window.segment(), at, available) == RecordState.VALID) {
                    long length = SIZE_LENGTH + WalxFormat.size(window.segment(), at);
                    if (length <= WriteAheadLog.MAX_RECORD_BYTES) {
                        at = load(path, window, p, length);
                        if (WalxFormat.checkRecord(window.segment(), at, available) == RecordState.VALID) {
                            after++;
                            if (firstAfter < 0) {
                                firstAfter = p;
                            }
                            p += length;
                            continue;
                        }
                    }
                }
                p++;
            }
            return new Result(records, lastLsn, position, state, detail, after, firstAfter);
        }
    }

    private static long load(Path path, ReadWindow window, long position, long length) throws IOException {
        long at = window.load(position, length);
        if (at < 0) {
            throw new InvalidLog(path, position, "file shrank while being scanned");
        }
        return at;
    }

    /** The facts of an invalid record, {@code key=value}. */
    static String describe(RecordState state, MemorySegment seg, long at, long available) {
        return switch (state) {
            case VALID -> "";
            case INCOMPLETE_SIZE -> "remainingBytes=" + available;
            case SIZE_TOO_SMALL -> "size=" + WalxFormat.size(seg, at) + " minSize=" + WalxFormat.MIN_SIZE;
            case PAST_END -> "size=" + WalxFormat.size(seg, at) + " remainingBytes=" + available;
            case LENGTH_MISMATCH -> "size=" + WalxFormat.size(seg, at) + " keyLength=" + WalxFormat.keyLength(seg, at)
                    + " valueLength=" + WalxFormat.valueLength(seg, at);
            case CRC_MISMATCH -> "lsn=" + Long.toUnsignedString(WalxFormat.lsn(seg, at))
                    + " storedCrc=0x" + Integer.toHexString(WalxFormat.storedCrc(seg, at))
                    + " computedCrc=0x" + Integer.toHexString(
                            WalxFormat.computeCrc(seg, at, WalxFormat.size(seg, at) - WalxFormat.CRC_LENGTH));
            case TIMESTAMP_TOO_BIG -> "lsn=" + Long.toUnsignedString(WalxFormat.lsn(seg, at))
                    + " ts=" + Long.toUnsignedString(WalxFormat.timestamp(seg, at));
        };
    }
}

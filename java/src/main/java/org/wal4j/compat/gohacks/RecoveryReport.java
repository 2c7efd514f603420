package org.wal4j.compat.gohacks;

import java.nio.file.Path;

/**
 * What {@link WriteAheadLog#open} found and did: {@link WriteAheadLog#recovery()}.
 *
 * @param path the file
 * @param headerWritten whether open wrote a new header (the file was missing or empty)
 * @param fileBytes the file's length as open found it (0 for a new file)
 * @param records the number of valid records, from the header to the first invalid one
 * @param lastLsn the greatest LSN among them (unsigned; 0 when there are none)
 * @param validBytes where the last valid record ends: the file's length after open
 * @param bytesDropped {@code fileBytes - validBytes} for an existing file: the tail open cut
 *     off (truncated and synced before returning); 0 when the file ended cleanly
 * @param tailState why the log ends at {@code validBytes}: {@link TailState#VALID} when it
 *     ended cleanly at the end of the file
 * @param tailDetail the facts of the first invalid record ({@code key=value}), or empty
 * @param recordsAfterCut valid-looking records found inside the dropped tail (each a complete
 *     record with a matching CRC); they were dropped with the tail, as they follow a gap. This
 *     port never acknowledges a record behind a gap: it appends only at the end of what its
 *     open read from the device (O_DIRECT) or made durable itself, and a sync that failed
 *     fails the log. So, for a file only this port wrote, more than 0 means one of two things:
 *     unsynced writes that reached the disk out of order before a power loss (the record at
 *     the cut was torn or never written; nothing from it on was acknowledged, because the sync
 *     that would have covered it did not return), or damage to durable bytes at the cut (a
 *     media error or a flipped bit; then the records after it had been acknowledged). WALX
 *     carries nothing that tells the two apart (no record of where a sync ended), and the
 *     first is what a power loss normally leaves, so they are cut, as a torn tail is, and
 *     reported here and in the WARNING open logs. A file gohacks wrote may also hold records
 *     gohacks appended after a torn one, which gohacks' own replay never returns
 * @param firstRecordAfterCutOffset the file offset of the first of them, or -1
 */
public record RecoveryReport(
        Path path,
        boolean headerWritten,
        long fileBytes,
        long records,
        long lastLsn,
        long validBytes,
        long bytesDropped,
        TailState tailState,
        String tailDetail,
        long recordsAfterCut,
        long firstRecordAfterCutOffset) {

    /**
     * Whether open cut anything off.
     *
     * @return true if {@code bytesDropped > 0}
     */
    public boolean droppedTail() {
        return bytesDropped > 0;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("recovery path=").append(path)
                .append(" headerWritten=").append(headerWritten)
                .append(" fileBytes=").append(fileBytes)
                .append(" records=").append(records)
                .append(" lastLsn=").append(Long.toUnsignedString(lastLsn))
                .append(" validBytes=").append(validBytes)
                .append(" bytesDropped=").append(bytesDropped);
        if (bytesDropped > 0) {
            sb.append(" tailState=").append(tailState);
            if (!tailDetail.isEmpty()) {
                sb.append(' ').append(tailDetail);
            }
            sb.append(" recordsAfterCut=").append(recordsAfterCut);
            if (recordsAfterCut > 0) {
                sb.append(" firstRecordAfterCutOffset=").append(firstRecordAfterCutOffset);
            }
        }
        return sb.toString();
    }
}

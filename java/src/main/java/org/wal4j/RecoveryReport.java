package org.wal4j;

/**
 * What {@link Journal#open} found and did.
 *
 * @param segments segment files opened
 * @param recordsScanned records in the segments open scanned: the active one and any sealed one
 *     not yet known durable. Not the journal's size, and not a count of what survived: durable
 *     sealed segments are not read at open (they are scanned when first read), so a journal of
 *     a million records may report a few hundred here. {@link Journal#firstLsn()} and
 *     {@link Journal#lastLsn()} say what the journal holds.
 * @param droppedTailBytes bytes cut from the active segment's torn tail (never acknowledged durable);
 *     in a recycled segment only this segment's own frames count, not the former contents
 *     that follow them
 * @param tailReason why the tail was cut, or null
 * @param framesAfterCut valid-looking records found after the cut (out-of-order unsynced writes)
 * @param droppedSegments segments deleted after a never-synced torn sealed segment, or by
 *     {@link RecoveryMode#STOP}
 * @param removedUnfinished unfinished segment creations ({@code .tmp}) removed
 */
public record RecoveryReport(int segments, long recordsScanned, long droppedTailBytes, String tailReason,
                             long framesAfterCut, int droppedSegments, int removedUnfinished) {}

package org.wal4j;

import java.io.IOException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Follows a journal as records become durable ({@link Journal#tail}): each record with an
 * LSN at or above the starting one is delivered once, in LSN order, as soon as it is durable
 * and not before, so what a replica or a change-data-capture consumer applies can never be lost
 * by the primary's crash. For one thread at a time; blocking calls suit virtual threads (they
 * park, holding no carrier).
 *
 * <p>Records are read in chunks of up to 1 MiB under the journal's lock, one lock hold per
 * chunk, not per record; a reader that waits holds no lock an appender needs.
 *
 * <p>Truncations:
 * <ul>
 *   <li>{@link Journal#truncateBack} or {@link Journal#reset} that removes a record this
 *       reader already delivered ends it: the next call throws an {@link IOException} saying
 *       which records went (the consumer holds records the log no longer has). One that removes
 *       only records it has not delivered yet is followed: it goes on with the records
 *       appended after, which may reuse those LSNs.</li>
 *   <li>{@link Journal#truncateFront} that deletes a record this reader has not delivered yet
 *       (it fell behind a checkpoint) ends it the same way.</li>
 * </ul>
 * Once the journal is closed or failed, calls throw {@link JournalClosedException} or
 * {@link JournalFailedException}.
 */
public final class TailReader implements AutoCloseable {
    /** A tail reader's cursor met a truncation: the reader decides by its own rules, then reads on or fails. */
    static final class Restart extends IOException {
        private static final long serialVersionUID = 1L;

        Restart() {
            super("a truncation ended the tail reader's walk");
        }
    }

    private final Reader reader;
    private final DurableWatch watch;
    private final Committer committer;
    /** The LSN the next record must reach or pass. */
    private long next;
    /** The last LSN delivered, -1 before the first. */
    private long lastDelivered = -1;
    private Reader.RecordCursor cursor;
    /** The walk's buffer, kept from one cursor to the next. */
    private org.wal4j.log.FrameCursor frames;
    /** The lowest "every record above it removed" of the truncations since the last check; MAX_VALUE if none. */
    private final AtomicLong removedAbove = new AtomicLong(Long.MAX_VALUE);
    /** The highest LSN truncateFront deleted since the reader was made; -1 if none. */
    private volatile long removedThrough = -1;
    private volatile boolean closed;
    private IOException ended;

    TailReader(Reader reader, DurableWatch watch, Committer committer, long fromLsn) {
        this.reader = reader;
        this.watch = watch;
        this.committer = committer;
        this.next = fromLsn;
    }

    /**
     * The next durable record, waiting as long as it takes.
     *
     * @return the next record at or above {@link #position()} once it is durable; null only if
     *     another thread closed this reader while this call waited
     * @throws IOException if a truncation removed records this reader delivered or still
     *     needed (the reader has ended: every later call throws the same), if the journal is
     *     closed ({@link JournalClosedException}) or failed ({@link JournalFailedException}), or
     *     if a read fails
     * @throws InterruptedException if the thread is interrupted while waiting
     * @throws IllegalStateException if this reader is closed
     */
    public JournalRecord next() throws IOException, InterruptedException {
        return poll(Long.MAX_VALUE);
    }

    /**
     * The next durable record, waiting at most {@code timeout}.
     *
     * @param timeout how long to wait for the next record to become durable;
     *     {@link Duration#ZERO} (or a negative one) takes only what is durable now, and one
     *     too long to count in nanoseconds waits as long as it takes
     * @return the next record at or above {@link #position()}, or null if none became durable
     *     within {@code timeout} or another thread closed this reader meanwhile
     * @throws IOException as {@link #next()} does
     * @throws InterruptedException if the thread is interrupted while waiting
     * @throws NullPointerException if {@code timeout} is null
     * @throws IllegalStateException if this reader is closed
     */
    public JournalRecord poll(Duration timeout) throws IOException, InterruptedException {
        return poll(DurableWatch.nanos(Objects.requireNonNull(timeout, "timeout")));
    }

    /**
     * Where the reader is.
     *
     * @return the LSN from which the next record is searched: one past the last delivered, or
     *     the starting LSN before the first
     */
    public long position() {
        return next;
    }

    private JournalRecord poll(long timeoutNanos) throws IOException, InterruptedException {
        if (closed) {
            throw new IllegalStateException("the tail reader is closed");
        }
        if (ended != null) {
            throw ended;
        }
        long deadline = timeoutNanos == Long.MAX_VALUE ? Long.MAX_VALUE : System.nanoTime() + timeoutNanos;
        while (true) {
            if (closed) {
                return null; // closed by another thread while this one waited
            }
            reader.checkOpen();
            checkTruncations();
            if (cursor != null) {
                try {
                    if (cursor.next()) {
                        JournalRecord r = cursor.view.toRecord();
                        lastDelivered = r.lsn();
                        next = r.lsn() + 1;
                        return r;
                    }
                    cursor = null; // its range is out: wait for more
                } catch (Restart truncated) {
                    cursor = null; // checkTruncations says what happens next
                    continue;
                }
            }
            long durable = committer.durableLsn();
            if (durable >= next) {
                if (frames == null) {
                    frames = Reader.chunkCursor();
                }
                cursor = reader.tailCursor(next, durable, frames);
                continue;
            }
            long left = deadline == Long.MAX_VALUE ? Long.MAX_VALUE : deadline - System.nanoTime();
            if (left <= 0 && deadline != Long.MAX_VALUE) {
                return null;
            }
            boolean moved = watch.await(() -> committer.durableLsn() >= next || removedAbove.get() != Long.MAX_VALUE
                    || removedThrough >= next || closed || reader.closedOrFailed(), left);
            if (!moved) {
                return null;
            }
        }
    }

    /** Applies the truncations since the last call: ends the reader if they removed what it delivered or still needed. */
    private void checkTruncations() throws IOException {
        long front = removedThrough;
        if (front >= next) {
            throw end(new IOException("records this tail reader had not delivered yet were deleted by truncateFront: every"
                    + " segment with records up to lsn=" + front + " went, and the reader was at lsn=" + next + " (it fell"
                    + " behind the checkpoint)"));
        }
        long cut = removedAbove.getAndSet(Long.MAX_VALUE); // one taken while this runs is seen at the next check
        if (cut == Long.MAX_VALUE) {
            return;
        }
        if (cursor != null) {
            cursor.finished();
            cursor = null;
        }
        if (lastDelivered >= 0 && cut < lastDelivered) {
            throw end(new IOException("records this tail reader had delivered were truncated away: every record above lsn="
                    + cut + " was removed, and it had delivered up to lsn=" + lastDelivered));
        }
        // next stays: records appended again at the removed LSNs (at or above it) are new, and delivered
    }

    private IOException end(IOException e) {
        ended = e;
        return e;
    }

    /** Journal lock held: every record above {@code lsn} is being removed. */
    void removedAbove(long lsn) {
        removedAbove.accumulateAndGet(lsn, Math::min);
    }

    /** Journal lock held: truncateFront is deleting segments whose records all have LSNs up to {@code lsn}. */
    void removedThrough(long lsn) {
        removedThrough = Math.max(removedThrough, lsn);
    }

    /**
     * Stops following: the journal forgets this reader. Idempotent. A call blocked in another
     * thread returns null; later calls throw {@link IllegalStateException}.
     */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            if (cursor != null) {
                cursor.finished();
            }
            reader.tailClosed(this);
            watch.advanced();
        }
    }
}

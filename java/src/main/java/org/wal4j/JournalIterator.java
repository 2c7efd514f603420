package org.wal4j;

import java.util.Iterator;

/**
 * An iterator over a snapshot of a journal's records ({@link Journal#iterator}). Close it when
 * done with it before its end: until then the journal tells it of every truncation. One that
 * ran to its end, or was dropped, costs nothing once it is collected; close makes that
 * explicit. After {@link #close}, {@link #hasNext} throws {@link IllegalStateException}.
 * Not thread-safe.
 */
public interface JournalIterator extends Iterator<JournalRecord>, AutoCloseable {
    /** Lets the journal forget this iterator; idempotent, never throws. */
    @Override
    void close();
}

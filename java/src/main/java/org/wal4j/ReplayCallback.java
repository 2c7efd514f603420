package org.wal4j;

/**
 * Receives records during {@link Journal#replay}; throwing stops the replay with that
 * exception. {@code E} is what the callback may throw: a lambda that throws nothing makes it
 * {@link RuntimeException}, so the replay's caller handles only {@link java.io.IOException}.
 *
 * @param <E> the checked exception the callback may throw
 */
@FunctionalInterface
public interface ReplayCallback<E extends Exception> {
    /**
     * Receives one record; replay calls it once per record, in LSN order.
     *
     * @param record the record, valid only during the call (copy what must outlive it)
     * @throws E to stop the replay
     */
    void accept(RecordView record) throws E;
}

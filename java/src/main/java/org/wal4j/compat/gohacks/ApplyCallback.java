package org.wal4j.compat.gohacks;

/**
 * gohacks' {@code ApplyCallbackFn}: receives one record during {@link WriteAheadLog#replay}.
 * If it throws, replay stops and that exception propagates unchanged out of {@code replay}
 * ({@code X} lets a lambda throw a checked exception; one that throws none infers
 * {@code RuntimeException}).
 *
 * @param <X> the checked exception the callback may throw
 */
@FunctionalInterface
public interface ApplyCallback<X extends Exception> {

    /**
     * Receives one record; replay calls it once per record, in log order.
     *
     * @param lsn the record's LSN, an unsigned 64-bit value ({@link Long#toUnsignedString})
     * @param timestamp the record's timestamp, {@code >= 0}
     * @param key the key (a fresh array, possibly empty; the callback may keep it)
     * @param value the value (a fresh array, possibly empty; the callback may keep it)
     * @throws X to stop the replay; {@code replay} throws it unchanged
     */
    void apply(long lsn, long timestamp, byte[] key, byte[] value) throws X;
}

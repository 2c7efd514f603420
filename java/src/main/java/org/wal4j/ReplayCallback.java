package org.wal4j;

/** Receives records during {@link Journal#replay}; throwing stops the replay with that exception. */
@FunctionalInterface
public interface ReplayCallback {
    void accept(RecordView record) throws Exception;
}

package org.wal4j.io;

/** How {@link IoBackend#open} opens a file; the flags map to open(2)'s. */
public enum OpenFlag {
    /** Open for reading ({@code O_RDONLY}, or {@code O_RDWR} with {@link #WRITE}). */
    READ,
    /** Open for writing ({@code O_WRONLY}, or {@code O_RDWR} with {@link #READ}). */
    WRITE,
    /** Create the file if it does not exist ({@code O_CREAT}, mode 0644). */
    CREATE,
    /** Create the file; fail with {@code EEXIST} if it exists ({@code O_CREAT|O_EXCL}). */
    CREATE_NEW,
    /** Truncate an existing file to length 0 ({@code O_TRUNC}). */
    TRUNCATE,
    /**
     * Bypass the page cache ({@code O_DIRECT}). Buffer address, file offset and length of
     * every read and write must be multiples of {@link IoFile#directAlignment()}. O_DIRECT
     * alone does not make a write durable: it still needs a sync or {@link #DSYNC}.
     */
    DIRECT,
    /** Every write returns only when its data is durable ({@code O_DSYNC}). */
    DSYNC
}

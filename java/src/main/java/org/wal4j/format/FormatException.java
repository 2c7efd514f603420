package org.wal4j.format;

/** Bytes that are not what a format says they must be; names the offset and the reason. */
public final class FormatException extends Exception {
    private static final long serialVersionUID = 1L;
    private final long offset;

    public FormatException(long offset, String reason) {
        super(reason + " offset=" + offset);
        this.offset = offset;
    }

    /** Where in the file or buffer the bad bytes are. */
    public long offset() {
        return offset;
    }
}

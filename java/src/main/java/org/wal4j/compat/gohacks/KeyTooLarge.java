package org.wal4j.compat.gohacks;

/** gohacks' {@code ErrKeyTooLarge}: an appended key is longer than {@link Policy#maxKeyBytes()}. */
public final class KeyTooLarge extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** The key's length in bytes. */
    private final long keyBytes;
    /** The limit in force, in bytes. */
    private final long maxKeyBytes;

    /**
     * Reports a key over the limit.
     *
     * @param keyBytes the key's length in bytes
     * @param maxKeyBytes the limit in force, in bytes
     */
    public KeyTooLarge(long keyBytes, long maxKeyBytes) {
        super("key too large: keyBytes=" + keyBytes + " maxKeyBytes=" + maxKeyBytes);
        this.keyBytes = keyBytes;
        this.maxKeyBytes = maxKeyBytes;
    }

    /**
     * The key's length.
     *
     * @return the length in bytes
     */
    public long keyBytes() {
        return keyBytes;
    }

    /**
     * The limit in force ({@link Policy#maxKeyBytes()}).
     *
     * @return the limit in bytes
     */
    public long maxKeyBytes() {
        return maxKeyBytes;
    }
}

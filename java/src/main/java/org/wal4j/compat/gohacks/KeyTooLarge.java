package org.wal4j.compat.gohacks;

/** gohacks' {@code ErrKeyTooLarge}: an appended key is longer than {@link Policy#maxKeyBytes()}. */
public final class KeyTooLarge extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final long keyBytes;
    private final long maxKeyBytes;

    public KeyTooLarge(long keyBytes, long maxKeyBytes) {
        super("key too large: keyBytes=" + keyBytes + " maxKeyBytes=" + maxKeyBytes);
        this.keyBytes = keyBytes;
        this.maxKeyBytes = maxKeyBytes;
    }

    /** The key's length. */
    public long keyBytes() {
        return keyBytes;
    }

    /** The limit in force. */
    public long maxKeyBytes() {
        return maxKeyBytes;
    }
}

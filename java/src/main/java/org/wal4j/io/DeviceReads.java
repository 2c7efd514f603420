package org.wal4j.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Opens a file for reads of what the device holds: with {@link OpenFlag#DIRECT}, past the
 * page cache. After a failed fdatasync Linux marks the lost pages clean and keeps them
 * cached, and reports the error once, to the descriptor that synced; a process that opens
 * the file later in the same boot reads those pages back as if they were on the device, and
 * its own fdatasync returns 0 (nothing is dirty). What recovery must not trust it reads this
 * way. An O_DIRECT read first writes back the pages that are still dirty, so it sees every
 * write not lost, and what a lost write covered reads as the device holds it.
 */
public final class DeviceReads {
    private DeviceReads() {}

    /**
     * {@code path} opened read-only with O_DIRECT, or null where the filesystem refuses
     * O_DIRECT (EINVAL; JavaIo reports errno 0 for it in a non-English locale, and the caller
     * has just opened the same file without O_DIRECT, so 0 means the refusal here). Reads from
     * it start at offsets aligned to {@link IoFile#directAlignment()}, into aligned buffers,
     * for aligned lengths.
     */
    public static IoFile openOrNull(IoBackend io, Path path) throws IOException {
        try {
            return io.open(path, OpenFlag.READ, OpenFlag.DIRECT);
        } catch (IoCallException e) {
            if (e.errno() != Errno.EINVAL && e.errno() != 0) {
                throw e;
            }
            return null;
        }
    }
}

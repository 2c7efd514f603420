package org.wal4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Errno names and descriptions, and the message {@link IoCallException} builds from them. */
class ErrnoTest {

    @Test
    void commonErrnosHaveTheirNamesWithOrWithoutLibc() {
        assertEquals("EIO", Errno.name(5));
        assertEquals("EINVAL", Errno.name(22));
        assertEquals("ENOSPC", Errno.name(Errno.ENOSPC));
        assertEquals("EBADF", Errno.name(Errno.EBADF));
        assertEquals("Input/output error", Errno.description(Errno.EIO));
        assertEquals("No space left on device", Errno.description(Errno.ENOSPC));
    }

    @Test
    void unusualErrnoIsNamedByLibcWhenPosixIoIsAvailable() {
        assumeTrue(PosixIo.isAvailable(), () -> "PosixIo unavailable: " + PosixIo.unavailableReason());
        assertEquals("ETIMEDOUT", Errno.name(110));
        assertEquals("Connection timed out", Errno.description(110));
    }

    @Test
    void unusualErrnoIsNumberedWhenLibcIsOutOfReach() {
        assumeFalse(PosixIo.isAvailable(), "PosixIo is available here");
        assertEquals("errno-110", Errno.name(110));
        assertEquals("errno 110", Errno.description(110));
    }

    @Test
    void errnoUnknownToLibcIsNumbered() {
        assertEquals("errno-4095", Errno.name(4095));
    }

    @Test
    void ioCallExceptionMessageNamesCallErrnoAndPath() {
        IoCallException e = new IoCallException("fdatasync", Path.of("/d/f"), Errno.EIO, "", null);
        assertEquals("fdatasync failed: EIO (errno=5, Input/output error) path=/d/f", e.getMessage());
        assertEquals("fdatasync", e.call());
        assertEquals(Path.of("/d/f"), e.path());
        assertEquals("EIO", e.errnoName());
    }

    @Test
    void ioCallExceptionMessageAddsDetailAndSaysWhenTheDiskIsFull() {
        IoCallException e = new IoCallException("pwrite", Path.of("/d/f"), Errno.ENOSPC, "offset=4096 length=512", null);
        assertEquals("pwrite failed: ENOSPC (errno=28, No space left on device) path=/d/f offset=4096 length=512"
                + " (the disk or quota is full)", e.getMessage());
    }

    @Test
    void ioCallExceptionWithoutErrnoKeepsTheCauseMessage() {
        Exception cause = new java.io.IOException("something the JDK said");
        IoCallException e = new IoCallException("write", Path.of("/d/f"), 0, "offset=0", cause);
        assertEquals("unknown", e.errnoName());
        assertTrue(e.getMessage().startsWith("write failed: something the JDK said path=/d/f offset=0"), e.getMessage());
        assertEquals(cause, e.getCause());
    }

    /**
     * JavaIo gets most failures as the JDK's strerror text only; the errnos callers decide on
     * (a full disk, EIO, O_DIRECT's EINVAL, a read-only filesystem) are read from it, and any
     * other text stays errno 0, never taken for one of them.
     */
    @Test
    void javaIoReadsTheErrnosCallersDecideOnFromTheJdksText() {
        Path p = Path.of("/d/f");
        assertEquals(Errno.EINVAL, JavaIo.translate("open", p, new java.nio.file.FileSystemException("/d/f: Invalid argument"), "").errno());
        assertEquals(Errno.EIO, JavaIo.translate("write", p, new java.io.IOException("Input/output error"), "").errno());
        assertEquals(Errno.ENOSPC, JavaIo.translate("write", p, new java.io.IOException("No space left on device"), "").errno());
        assertEquals(Errno.EDQUOT, JavaIo.translate("write", p, new java.io.IOException("Disk quota exceeded"), "").errno());
        assertEquals(Errno.EROFS, JavaIo.translate("open", p, new java.nio.file.FileSystemException("/d/f: Read-only file system"), "").errno());
        assertEquals(0, JavaIo.translate("open", p, new java.io.IOException("Argument list too long"), "").errno());
        assertEquals(0, JavaIo.translate("open", p, new java.io.IOException((String) null), "").errno());
    }
}

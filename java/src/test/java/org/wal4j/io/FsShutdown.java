package org.wal4j.io;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import org.wal4j.bindings.libc.Libc;

/**
 * The filesystem shutdown ioctl xfstests uses for its log-recovery tests
 * ({@code FS_IOC_SHUTDOWN}, XFS's {@code XFS_IOC_GOINGDOWN}, {@code _IOR('X', 125, __u32)}),
 * with {@code FS_GOING_FLAGS_NOLOGFLUSH}: the filesystem stops at once, every later write
 * fails, and nothing not already on the device (unsynced data, and the metadata journal's
 * uncommitted tail) reaches it. After unmount and mount only what the device holds remains:
 * a power cut, for everything above the block device.
 */
public final class FsShutdown {
    /** {@code _IOR('X', 125, __u32)}. */
    public static final long FS_IOC_SHUTDOWN = 0x8004587DL;
    /** Neither the data nor the log is flushed. */
    public static final int NOLOGFLUSH = 2;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final MethodHandle IOCTL = LINKER.downcallHandle(Libc.ioctl.address(),
            FunctionDescriptor.of(Libc.C_INT, Libc.C_INT, Libc.C_LONG, Libc.C_POINTER),
            Linker.Option.firstVariadicArg(2), Linker.Option.captureCallState("errno"));

    private FsShutdown() {}

    /** Links the calls now, so that a cut made later does not wait for class initialization. */
    public static void link() throws ClassNotFoundException {
        Class.forName(Syscalls.class.getName(), true, FsShutdown.class.getClassLoader());
    }

    /** Shuts down the filesystem mounted at {@code mountRoot} with NOLOGFLUSH, or throws with the errno. */
    public static void cutPower(Path mountRoot) throws IoCallException {
        try (Arena a = Arena.ofConfined()) {
            int fd = Syscalls.open(a.allocateFrom(mountRoot.toString()), Libc.O_RDONLY() | Libc.O_DIRECTORY() | Libc.O_CLOEXEC(), 0);
            if (fd < 0) {
                throw new IoCallException("open", mountRoot, -fd, "(mount root)", null);
            }
            try {
                MemorySegment flags = a.allocateFrom(ValueLayout.JAVA_INT, NOLOGFLUSH);
                MemorySegment capture = a.allocate(CAPTURE_LAYOUT);
                int r = (int) IOCTL.invokeExact(capture, fd, FS_IOC_SHUTDOWN, flags);
                if (r < 0) {
                    int errno = capture.get(ValueLayout.JAVA_INT, CAPTURE_LAYOUT.byteOffset(
                            java.lang.foreign.MemoryLayout.PathElement.groupElement("errno")));
                    throw new IoCallException("ioctl(FS_IOC_SHUTDOWN)", mountRoot, errno, "(NOLOGFLUSH)", null);
                }
            } catch (IoCallException e) {
                throw e;
            } catch (Throwable t) {
                throw new IllegalStateException("ioctl downcall failed", t);
            } finally {
                Syscalls.close(fd);
            }
        }
    }
}

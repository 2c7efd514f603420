package org.wal4j.io;

/**
 * Linux errno values wal4j handles by name, and errno names for messages.
 *
 * <p>These numbers are the asm-generic ones, shared by x86-64 and aarch64. Names and
 * descriptions of other values come from glibc ({@code strerrorname_np},
 * {@code strerrordesc_np}) when PosixIo is available.
 */
public final class Errno {
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EINTR = 4;
    public static final int EIO = 5;
    public static final int EBADF = 9;
    public static final int EAGAIN = 11;
    public static final int EACCES = 13;
    public static final int EEXIST = 17;
    public static final int ENOTDIR = 20;
    public static final int EISDIR = 21;
    public static final int EINVAL = 22;
    public static final int EFBIG = 27;
    public static final int ENOSPC = 28;
    public static final int EROFS = 30;
    public static final int ENOSYS = 38;
    public static final int EOPNOTSUPP = 95;
    public static final int EDQUOT = 122;

    private Errno() {}

    /** The symbolic name of {@code errno}, e.g. {@code "EIO"}; {@code "errno-N"} if unknown. */
    public static String name(int errno) {
        String known = switch (errno) {
            case EPERM -> "EPERM";
            case ENOENT -> "ENOENT";
            case EINTR -> "EINTR";
            case EIO -> "EIO";
            case EBADF -> "EBADF";
            case EAGAIN -> "EAGAIN";
            case EACCES -> "EACCES";
            case EEXIST -> "EEXIST";
            case ENOTDIR -> "ENOTDIR";
            case EISDIR -> "EISDIR";
            case EINVAL -> "EINVAL";
            case EFBIG -> "EFBIG";
            case ENOSPC -> "ENOSPC";
            case EROFS -> "EROFS";
            case ENOSYS -> "ENOSYS";
            case EOPNOTSUPP -> "EOPNOTSUPP";
            case EDQUOT -> "EDQUOT";
            default -> null;
        };
        if (known == null && PosixIo.isAvailable()) {
            known = Syscalls.errnoName(errno);
        }
        return known != null ? known : "errno-" + errno;
    }

    /** A short description of {@code errno}, e.g. {@code "Input/output error"}. */
    public static String description(int errno) {
        if (PosixIo.isAvailable()) {
            String desc = Syscalls.errnoDescription(errno);
            if (desc != null) {
                return desc;
            }
        }
        return switch (errno) {
            case ENOENT -> "No such file or directory";
            case EIO -> "Input/output error";
            case EBADF -> "Bad file descriptor";
            case EACCES -> "Permission denied";
            case EINVAL -> "Invalid argument";
            case ENOSPC -> "No space left on device";
            case EROFS -> "Read-only file system";
            case EDQUOT -> "Disk quota exceeded";
            default -> "errno " + errno;
        };
    }
}

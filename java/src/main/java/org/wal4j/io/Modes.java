package org.wal4j.io;

import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;

/** Permission bits ({@code 0640}) as the JDK's {@link PosixFilePermission} sets, and the process's umask. */
public final class Modes {
    private static final PosixFilePermission[] BITS = {
        PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
        PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
        PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ,
    };
    private static volatile int umask = -1;

    private Modes() {}

    /** The permissions of {@code mode}'s low nine bits. */
    public static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
        for (int i = 0; i < BITS.length; i++) {
            if ((mode & (1 << i)) != 0) {
                set.add(BITS[i]);
            }
        }
        return set;
    }

    /** A directory's mode for files of {@code fileMode}: search ({@code x}) added wherever read is given (0600: 0700). */
    public static int directoryMode(int fileMode) {
        return fileMode | ((fileMode & 0444) >> 2);
    }

    /**
     * The process's umask, read from {@code /proc/self/status} (Linux 4.7+), else 022. The
     * JDK applies it when it creates a file with given permissions, and so does open(2); a
     * mode set after the creation must apply it by hand to mean the same.
     */
    static int umask() {
        int m = umask;
        if (m < 0) {
            m = 022;
            try {
                for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                    if (line.startsWith("Umask:")) {
                        m = Integer.parseInt(line.substring(6).trim(), 8);
                    }
                }
            } catch (java.io.IOException | RuntimeException e) {
                // not Linux, or no /proc: the usual default
            }
            umask = m;
        }
        return m;
    }
}

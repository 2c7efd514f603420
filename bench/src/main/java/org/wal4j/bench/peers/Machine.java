package org.wal4j.bench.peers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** What the results were measured on: kernel, the directory's filesystem and device, CPUs, JVM, load. */
final class Machine {
    private Machine() {}

    static String describe(Path dir) {
        String kernel = read("/proc/sys/kernel/osrelease");
        String[] mount = mountOf(dir);
        List<String> load = List.of(read("/proc/loadavg").split(" "));
        return String.format(java.util.Locale.ROOT, "kernel %s, %s on %s (%s), %d CPUs, %s %s, load average %s",
                kernel, mount[1], mount[0], dir.toAbsolutePath(), Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.vm.name"), System.getProperty("java.runtime.version"),
                String.join(" ", load.subList(0, Math.min(3, load.size()))));
    }

    /** The device and filesystem type of the mount that holds {@code dir} (the longest matching mount point). */
    private static String[] mountOf(Path dir) {
        String best = "";
        String[] found = {"?", "?"};
        String path = dir.toAbsolutePath().normalize().toString();
        for (String line : read("/proc/mounts").split("\n")) {
            String[] f = line.split(" ");
            if (f.length >= 3 && (path.equals(f[1]) || path.startsWith(f[1].endsWith("/") ? f[1] : f[1] + "/"))
                    && f[1].length() > best.length()) {
                best = f[1];
                found = new String[] {f[0], f[2]};
            }
        }
        return found;
    }

    private static String read(String file) {
        try {
            return Files.readString(Path.of(file)).trim();
        } catch (IOException e) {
            return "?";
        }
    }
}

package org.wal4j.io;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A filesystem mounted on an empty test directory for the length of one test, for the
 * behaviours only a particular filesystem shows (ramfs refuses O_DIRECT; a tiny tmpfs fills
 * up). Mounting needs root (or CAP_SYS_ADMIN): when it fails the test is skipped, with
 * mount's output as the reason. Close unmounts; close every file on it first.
 *
 * <p>{@link #mountLoop} mounts a filesystem image (a file made with mkfs) through a loop
 * device instead, for tests that need a real on-disk filesystem (ext4, XFS) they may shut
 * down; it fails rather than skips, so that the caller decides. Its close also checks
 * that the loop device went with the mount.
 */
public final class ScratchMount implements AutoCloseable {
    private final Path dir;
    private final Path image; // null for a mount of a virtual filesystem

    private ScratchMount(Path dir, Path image) {
        this.dir = dir;
        this.image = image;
    }

    /** Mounts {@code type} on {@code dir} with {@code options} (may be empty), or skips the test. */
    public static ScratchMount mount(Path dir, String type, String options) {
        List<String> command = new ArrayList<>(List.of("mount", "-t", type));
        if (!options.isEmpty()) {
            command.addAll(List.of("-o", options));
        }
        command.addAll(List.of(type, dir.toString()));
        Result r = run(command);
        assumeTrue(r.exitCode == 0,
                () -> "cannot mount " + type + " on " + dir + " (needs root or CAP_SYS_ADMIN): "
                        + String.join(" ", command) + " exited " + r.exitCode + ": " + r.output);
        return new ScratchMount(dir, null);
    }

    /**
     * {@code mount -t type -o loop image dir}: the filesystem in the image file on
     * {@code dir} through a loop device, which umount detaches again. Throws with mount's
     * output if it fails.
     */
    public static ScratchMount mountLoop(Path image, Path dir, String type) throws IOException {
        List<String> command = List.of("mount", "-t", type, "-o", "loop", image.toString(), dir.toString());
        Result r = run(command);
        if (r.exitCode != 0) {
            throw new IOException(String.join(" ", command) + " exited " + r.exitCode + ": " + r.output);
        }
        return new ScratchMount(dir, image);
    }

    public Path dir() {
        return dir;
    }

    /** Remounts it with {@code options} (e.g. {@code "ro"}), or fails the test. */
    public void remount(String options) {
        Result r = run(List.of("mount", "-o", "remount," + options, dir.toString()));
        if (r.exitCode != 0) {
            throw new IllegalStateException("remount," + options + " of " + dir + " exited " + r.exitCode + ": " + r.output);
        }
    }

    @Override
    public void close() throws IOException {
        Result r = run(List.of("umount", dir.toString()));
        if (r.exitCode != 0) {
            // Something still holds a file open there (a failed test's leak): detach it so
            // @TempDir's cleanup and later tests are not affected, and say so.
            Result lazy = run(List.of("umount", "-l", dir.toString()));
            String detached = image == null ? "" : detachLoops();
            throw new IOException("umount " + dir + " exited " + r.exitCode + ": " + r.output
                    + "; umount -l exited " + lazy.exitCode + ": " + lazy.output + detached);
        }
        if (image != null) {
            String left = detachLoops();
            if (!left.isEmpty()) {
                throw new IOException("umount " + dir + " left its loop device attached" + left);
            }
        }
    }

    /** Detaches any loop device still backed by the image; says which, or "" if none was. */
    private String detachLoops() {
        Result list = run(List.of("losetup", "-j", image.toString()));
        StringBuilder said = new StringBuilder();
        for (String line : list.output.lines().toList()) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.startsWith("/dev/loop")) {
                String device = line.substring(0, colon);
                Result d = run(List.of("losetup", "-d", device));
                said.append("; losetup -d ").append(device).append(" exited ").append(d.exitCode);
            }
        }
        return said.toString();
    }

    /** A command's exit code (-1 if it could not run or timed out) and its output (stdout and stderr). */
    public record Result(int exitCode, String output) {}

    /** Runs {@code command} (30 s at most). */
    public static Result run(String... command) {
        return run(List.of(command));
    }

    /** Runs {@code command} (30 s at most). */
    public static Result run(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, "timed out: " + output);
            }
            return new Result(p.exitValue(), output);
        } catch (IOException e) {
            return new Result(-1, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }
}

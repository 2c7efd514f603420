package org.wal4j.io;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Files written by the real Go libraries, which the compat tests read: the test resources'
 * {@code fixtures/} folder (its README says what each file is and how it was made), or the
 * folder {@code -Dwal4j.fixtures=DIR} names, to run the same tests against other files.
 * Tests never write to a fixture: they copy it.
 */
public final class Fixtures {
    private Fixtures() {}

    /** The folder holding the fixtures. */
    public static Path dir() {
        String override = System.getProperty("wal4j.fixtures");
        if (override != null) {
            Path dir = Path.of(override);
            if (!Files.isDirectory(dir)) {
                throw new IllegalStateException("-Dwal4j.fixtures=" + override + " is not a directory");
            }
            return dir;
        }
        URL readme = Fixtures.class.getResource("/fixtures/README.md");
        if (readme == null || !"file".equals(readme.getProtocol())) {
            throw new IllegalStateException("the test resources hold no fixtures/ folder (looked up fixtures/README.md: "
                    + readme + ")");
        }
        try {
            return Path.of(readme.toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The fixture {@code name}; fails naming the folder if it is not there. */
    public static Path file(String name) {
        Path dir = dir();
        Path file = dir.resolve(name);
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException("no fixture " + name + " in " + dir);
        }
        return file;
    }
}

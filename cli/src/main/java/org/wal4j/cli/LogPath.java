package org.wal4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Parameters;

/** The path argument {@code stat}, {@code verify} and {@code dump} share (a picocli mixin). */
final class LogPath {
    @Parameters(index = "0", paramLabel = "DIR|FILE",
            description = "A wal4j journal directory or segment file, a gohacks log file, or a go-wally log file")
    Path path;

    /** What the path holds; see {@link LogTarget#detect}. */
    LogTarget detect() throws LogTarget.BadInput, IOException {
        return LogTarget.detect(path);
    }

    /** The facts every report starts with: the path and the format. */
    static Map<String, Object> facts(LogTarget target) {
        Map<String, Object> facts = new LinkedHashMap<>();
        facts.put("path", target.path().toString());
        facts.put("format", target.kind().label);
        return facts;
    }
}

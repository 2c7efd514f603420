package org.wal4j;

import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * For test classes that recover thousands of damaged journals or fail journals on purpose:
 * the journal's log (recovery warnings, fail-stop errors with their stack traces) is off while
 * the class runs, since it would bury the test output; the tests assert what matters. The
 * level is restored afterwards: other tests count those warnings.
 */
public final class QuietJournalLog implements BeforeAllCallback, AfterAllCallback {
    private static final Logger LOG = Logger.getLogger("org.wal4j");
    private Level before;

    @Override
    public void beforeAll(ExtensionContext context) {
        before = LOG.getLevel();
        LOG.setLevel(Level.OFF);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        LOG.setLevel(before);
    }
}

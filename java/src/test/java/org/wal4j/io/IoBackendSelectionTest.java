package org.wal4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

/**
 * Which backend {@link IoBackend#select()} picks and why. The build runs this twice and
 * says what to expect through {@code -Dwal4j.test.expectedBackend=posix|java}.
 */
class IoBackendSelectionTest {
    private static final String EXPECTED = System.getProperty("wal4j.test.expectedBackend");

    private static void assumeExpectationGiven() {
        assumeTrue(EXPECTED != null, "wal4j.test.expectedBackend is not set (not run by the build)");
    }

    @Test
    void selectReturnsTheBackendTheBuildExpects() {
        assumeExpectationGiven();
        assumeTrue(System.getProperty(IoBackend.PROPERTY) == null, "-Dwal4j.io forces a backend");
        assertEquals(EXPECTED, IoBackend.select().name(), IoBackend.selectionReason());
        assertEquals(EXPECTED.equals("posix"), PosixIo.isAvailable(), String.valueOf(PosixIo.unavailableReason()));
    }

    @Test
    void autoPicksPosixIoExactlyWhenItIsAvailable() {
        IoBackend auto = IoBackend.select("auto");
        if (PosixIo.isAvailable()) {
            assertSame(PosixIo.instance(), auto);
            assertEquals("posix", auto.name());
        } else {
            assertSame(JavaIo.instance(), auto);
            assertEquals("java", auto.name());
        }
    }

    @Test
    void javaCanAlwaysBeChosen() {
        assertSame(JavaIo.instance(), IoBackend.select("java"));
        assertEquals("java", IoBackend.select("java").name());
    }

    @Test
    void unknownBackendNameIsIllegalArgumentNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IoBackend.select("bogus"));
        assertTrue(e.getMessage().contains("bogus"), e.getMessage());
        assertTrue(e.getMessage().contains(IoBackend.PROPERTY), e.getMessage());
    }

    @Test
    void posixCanBeChosenWhenAvailable() {
        assumeTrue(PosixIo.isAvailable(), () -> "PosixIo unavailable: " + PosixIo.unavailableReason());
        assertSame(PosixIo.instance(), IoBackend.select("posix"));
        assertNull(PosixIo.unavailableReason());
    }

    @Test
    void choosingUnavailablePosixIsIllegalStateGivingTheReason() {
        assumeFalse(PosixIo.isAvailable(), "PosixIo is available here");
        String reason = PosixIo.unavailableReason();
        assertNotNull(reason);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> IoBackend.select("posix"));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
        IllegalStateException direct = assertThrows(IllegalStateException.class, PosixIo::instance);
        assertTrue(direct.getMessage().contains(reason), direct.getMessage());
    }

    @Test
    void withNativeAccessOffPosixIsUnavailableBecauseOfNativeAccess() {
        assumeExpectationGiven();
        assumeTrue(EXPECTED.equals("java"), "this is the native-access-on run");
        assertFalse(PosixIo.isAvailable());
        assertTrue(PosixIo.unavailableReason().contains("native access is not enabled"), PosixIo.unavailableReason());
        assertTrue(PosixIo.unavailableReason().contains("--enable-native-access"), PosixIo.unavailableReason());
    }

    @Test
    void selectionReasonNamesTheBackendAndAnyFallbackReason() {
        assumeExpectationGiven();
        assumeTrue(System.getProperty(IoBackend.PROPERTY) == null, "-Dwal4j.io forces a backend");
        String reason = IoBackend.selectionReason();
        if (EXPECTED.equals("posix")) {
            assertEquals("posix", reason);
        } else {
            assertTrue(reason.startsWith("java"), reason);
            assertTrue(reason.contains(PosixIo.unavailableReason()), reason);
            assertTrue(reason.contains("native access is not enabled"), reason);
        }
    }
}

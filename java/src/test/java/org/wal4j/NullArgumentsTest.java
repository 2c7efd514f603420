package org.wal4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** A null argument is a NullPointerException naming the parameter, and appends nothing. */
class NullArgumentsTest {
    @TempDir
    Path tmp;

    @Test
    void eachNullArgumentIsNamedAndNothingIsAppended() throws Exception {
        assertEquals("dir", assertThrows(NullPointerException.class, () -> Journal.open(null, JournalOptions.defaults())).getMessage());
        assertEquals("options", assertThrows(NullPointerException.class, () -> Journal.open(tmp.resolve("x"), null)).getMessage());
        assertEquals("dir", assertThrows(NullPointerException.class, () -> Journal.inspect(null)).getMessage());
        assertEquals("name", assertThrows(NullPointerException.class, () -> JournalOptions.builder().ioBackend(null)).getMessage());
        assertEquals("spin", assertThrows(NullPointerException.class, () -> JournalOptions.builder().followerSpin(null)).getMessage());
        assertEquals("mode", assertThrows(NullPointerException.class, () -> SyncPolicy.of(null)).getMessage());
        assertEquals("mode", assertThrows(NullPointerException.class, () -> JournalOptions.builder().syncPolicy((SyncMode) null)).getMessage());
        assertEquals("policy", assertThrows(NullPointerException.class, () -> JournalOptions.builder().syncPolicy((SyncPolicy) null)).getMessage());
        try (Journal j = Journal.open(tmp.resolve("j"), JournalOptions.defaults())) {
            j.append(new byte[] {1});
            Map<String, Executable> calls = new java.util.LinkedHashMap<>();
            calls.put("value", () -> j.append((byte[]) null));
            calls.put("value ", () -> j.append((MemorySegment) null));
            calls.put("key", () -> j.append(2, 0, null, new byte[1]));
            calls.put("value  ", () -> j.append(2, 0, new byte[1], null));
            calls.put("key ", () -> j.append(2, 0, (MemorySegment) null, MemorySegment.ofArray(new byte[1])));
            calls.put("value   ", () -> j.appendAsync((byte[]) null));
            calls.put("value    ", () -> j.appendAsync((MemorySegment) null));
            calls.put("key  ", () -> j.appendAsync(2, 0, null, new byte[1]));
            calls.put("values", () -> j.appendBatch((byte[][]) null));
            calls.put("values[1]", () -> j.appendBatch(new byte[1], null, new byte[1]));
            calls.put("batch", () -> j.appendBatch((Batch) null));
            calls.put("dst", () -> j.readInto(1, (byte[]) null));
            calls.put("dst ", () -> j.readInto(1, (MemorySegment) null));
            calls.put("callback", () -> j.replay(1, null));
            calls.put("newPolicy", () -> j.setPolicy(null));
            calls.put("timeout", () -> {
                try (TailReader t = j.tail(1)) {
                    t.poll(null);
                }
            });
            for (Map.Entry<String, Executable> c : calls.entrySet()) {
                assertEquals(c.getKey().trim(), assertThrows(NullPointerException.class, c.getValue()).getMessage());
            }
            assertEquals(1, j.lastLsn(), "nothing was appended");
        }
    }
}

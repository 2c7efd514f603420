/**
 * Internal: the byte layouts of the journal format, WALX and WALLY, encoded into and decoded
 * from {@link java.lang.foreign.MemorySegment}s, and their checksums; no I/O. Specified in
 * docs/format.md. Public for the engine's packages, not API.
 */
package org.wal4j.format;

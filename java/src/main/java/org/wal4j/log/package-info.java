/**
 * Internal: the parts of the journal's log layer that do not need the API's types — a
 * segment as the engine tracks it ({@link org.wal4j.log.Segment}, whose mutators are called
 * only under the journal's lock), the segment scanner, the offset index, file names and the
 * fail-stop state shared with the compat ports. Public for the engine's packages, not API:
 * nothing here is promised to stay.
 */
package org.wal4j.log;

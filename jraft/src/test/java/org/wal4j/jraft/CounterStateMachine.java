package org.wal4j.jraft;

import com.alipay.sofa.jraft.Closure;
import com.alipay.sofa.jraft.Iterator;
import com.alipay.sofa.jraft.Status;
import com.alipay.sofa.jraft.core.StateMachineAdapter;
import com.alipay.sofa.jraft.entity.RaftOutter.SnapshotMeta;
import com.alipay.sofa.jraft.error.RaftError;
import com.alipay.sofa.jraft.error.RaftException;
import com.alipay.sofa.jraft.storage.snapshot.SnapshotReader;
import com.alipay.sofa.jraft.storage.snapshot.SnapshotWriter;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A counter for the cluster tests: each log entry carries an 8-byte delta that is added to
 * the value. A snapshot is one file holding the value and the index of the last entry applied.
 * Everything the tests read is volatile, as it is written on JRaft's FSM thread.
 */
final class CounterStateMachine extends StateMachineAdapter {
    static final String SNAPSHOT_FILE = "counter";

    /** What one snapshot held: its meta's last included index and term, and the file's content. */
    record SnapshotState(long includedIndex, long includedTerm, long value, long lastOpIndex) {}

    private volatile long value;
    private volatile long lastOpIndex;
    private volatile long appliedOps;
    private volatile long leaderTerm = -1;
    private volatile SnapshotState lastSaved;
    private final List<SnapshotState> loads = new CopyOnWriteArrayList<>();
    private final List<String> errors = new CopyOnWriteArrayList<>();

    static ByteBuffer encode(long delta) {
        return ByteBuffer.allocate(Long.BYTES).putLong(0, delta);
    }

    @Override
    public void onApply(Iterator iter) {
        while (iter.hasNext()) {
            ByteBuffer data = iter.getData();
            if (data == null || data.remaining() != Long.BYTES) {
                errors.add("entry " + iter.getIndex() + " has " + (data == null ? "no data" : data.remaining() + " bytes"));
            } else {
                value += data.getLong(data.position());
                appliedOps++;
            }
            lastOpIndex = iter.getIndex();
            Closure done = iter.done();
            if (done != null) {
                done.run(Status.OK());
            }
            iter.next();
        }
    }

    @Override
    public void onSnapshotSave(SnapshotWriter writer, Closure done) {
        // On the FSM thread, so value and lastOpIndex are those of the snapshot's last included entry.
        long v = value;
        long idx = lastOpIndex;
        try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(Path.of(writer.getPath(), SNAPSHOT_FILE)))) {
            out.writeLong(v);
            out.writeLong(idx);
        } catch (IOException e) {
            errors.add("snapshot save: " + e);
            done.run(new Status(RaftError.EIO, "snapshot save failed: %s", e));
            return;
        }
        if (!writer.addFile(SNAPSHOT_FILE)) {
            errors.add("snapshot save: addFile refused");
            done.run(new Status(RaftError.EIO, "addFile refused"));
            return;
        }
        lastSaved = new SnapshotState(-1, -1, v, idx);
        done.run(Status.OK());
    }

    @Override
    public boolean onSnapshotLoad(SnapshotReader reader) {
        if (reader.getFileMeta(SNAPSHOT_FILE) == null) {
            errors.add("snapshot load: no file " + SNAPSHOT_FILE + " in " + reader.getPath());
            return false;
        }
        SnapshotMeta meta = reader.load();
        try (DataInputStream in = new DataInputStream(Files.newInputStream(Path.of(reader.getPath(), SNAPSHOT_FILE)))) {
            long v = in.readLong();
            long idx = in.readLong();
            value = v;
            lastOpIndex = idx;
            loads.add(new SnapshotState(meta == null ? -1 : meta.getLastIncludedIndex(),
                    meta == null ? -1 : meta.getLastIncludedTerm(), v, idx));
            return true;
        } catch (IOException e) {
            errors.add("snapshot load: " + e);
            return false;
        }
    }

    @Override
    public void onLeaderStart(long term) {
        leaderTerm = term;
        super.onLeaderStart(term);
    }

    @Override
    public void onLeaderStop(Status status) {
        leaderTerm = -1;
        super.onLeaderStop(status);
    }

    @Override
    public void onError(RaftException e) {
        errors.add("onError: " + e.getStatus());
    }

    long value() {
        return value;
    }

    long lastOpIndex() {
        return lastOpIndex;
    }

    /** Data entries applied by this instance (not those a loaded snapshot covers). */
    long appliedOps() {
        return appliedOps;
    }

    /** The term this state machine leads in, or -1 if it is not the leader. */
    long leaderTerm() {
        return leaderTerm;
    }

    /** The last snapshot this instance saved (the meta fields are -1: JRaft writes the meta after). */
    SnapshotState lastSaved() {
        return lastSaved;
    }

    List<SnapshotState> loads() {
        return List.copyOf(loads);
    }

    List<String> errors() {
        return List.copyOf(errors);
    }

    @Override
    public String toString() {
        return "Counter[value=" + value + ", lastOpIndex=" + lastOpIndex + ", appliedOps=" + appliedOps
                + ", leaderTerm=" + leaderTerm + ", loads=" + loads + ", errors=" + errors + "]";
    }
}

package dev.grid.store;

import dev.grid.core.Json;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.PutOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;

/**
 * An optimistic transaction: conditions on keys' mod revisions, then writes that
 * apply only if every condition still holds. {@link #commit()} says whether they did.
 */
public final class Txn {
    private final Store store;
    private final List<Cmp> conditions = new ArrayList<>();
    private final List<Op> ops = new ArrayList<>();

    Txn(Store store) {
        this.store = store;
    }

    /** The key must still be at this mod revision; 0 means it must not exist. */
    public Txn ifUnchanged(String key, long modRevision) {
        ByteSequence k = store.bytes(key);
        conditions.add(modRevision == 0
                ? new Cmp(k, Cmp.Op.EQUAL, CmpTarget.version(0))
                : new Cmp(k, Cmp.Op.EQUAL, CmpTarget.modRevision(modRevision)));
        return this;
    }

    public Txn put(String key, Object value) {
        return put(key, value, 0);
    }

    public Txn put(String key, Object value, long lease) {
        String text = value instanceof String s ? s : Json.write(value);
        PutOption opt = lease == 0 ? PutOption.DEFAULT : PutOption.builder().withLeaseId(lease).build();
        ops.add(Op.put(store.bytes(key), ByteSequence.from(text, java.nio.charset.StandardCharsets.UTF_8), opt));
        return this;
    }

    public Txn delete(String key) {
        ops.add(Op.delete(store.bytes(key), DeleteOption.DEFAULT));
        return this;
    }

    public boolean isEmpty() {
        return ops.isEmpty();
    }

    public boolean commit() {
        return commitRevision() > 0;
    }

    /** Commits; the revision the writes made (the store's revision, if they were none), or -1 if a condition failed. */
    public long commitRevision() {
        try {
            var r = store.kv().txn().If(conditions.toArray(Cmp[]::new)).Then(ops.toArray(Op[]::new)).commit().get();
            return r.isSucceeded() ? r.getHeader().getRevision() : -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("transaction interrupted", e);
        } catch (ExecutionException e) {
            throw new StoreException("transaction failed: " + e.getCause().getMessage(), e.getCause());
        }
    }
}

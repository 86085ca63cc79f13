package dev.grid.appliance.keeper;

import dev.grid.appliance.Role;
import dev.grid.appliance.ClusterState;
import dev.grid.appliance.Datastore.Observation;
import dev.grid.appliance.Datastore.Peer;
import dev.grid.appliance.NodeReport;
import dev.grid.appliance.Positions;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * The keeper's decisions as a pure function: the cluster state, what the datastore is now (its
 * observation), what the keeper remembers from earlier rounds and the time go in; the one thing
 * to do to the datastore next comes out. {@link Keeper} reads etcd and the datastore, calls
 * {@link #next}, does what it says, observes the datastore again and calls it again, until nothing
 * is left to do in the round (each kind of action at most once a round: one that did not take is
 * tried again next round); {@code
 * FailoverSimulationTest} drives this same function over random histories of a cluster.
 *
 * <p>The rules: a node that is not the primary of the current state never takes writes (it stops
 * its datastore first); a primary makes its writes wait for the state's sync, and confirms the sync
 * caught up only once the sync holds every write acknowledged before it became the one that counts;
 * a primary whose keeper restarted waits for the manager to accept it again; a replica follows its
 * upstream ({@link ClusterState#upstreamOf}) once that serves, and rewinds when it does not stream.
 */
public final class Convergence {
    private Convergence() {}

    /** How long a replica told to follow its upstream may go without streaming before it rewinds (or rebuilds). */
    public static final long STALL_MILLIS = 3_000;

    /**
     * What the keeper remembers between rounds; a keeper process starts from {@link #START}.
     *
     * @param appliedGeneration the newest generation this node took its part in
     * @param syncApplied       the datastore was told of {@code appliedSync} while this node was the primary
     * @param appliedSync       the sync the datastore was last told of ({@link dev.grid.appliance.Datastore#requireSync})
     * @param syncFrom          the primary's position when that sync first counted (null: not yet)
     * @param following         the node this one was last told to follow
     * @param notStreamingSince since when it has followed that node without streaming (0: it streams)
     */
    public record Memory(long appliedGeneration, boolean syncApplied, Peer appliedSync, String syncFrom, String following, long notStreamingSince) {
        public static final Memory START = new Memory(0, false, null, null, null, 0);

        Memory generation(long generation) {
            return new Memory(generation, syncApplied, appliedSync, syncFrom, following, notStreamingSince);
        }

        Memory sync(boolean applied, Peer sync, String from) {
            return new Memory(appliedGeneration, applied, sync, from, following, notStreamingSince);
        }

        Memory following(String node, long since) {
            return new Memory(appliedGeneration, syncApplied, appliedSync, syncFrom, node, since);
        }
    }

    /** This node, as its keeper process knows it, and how its datastore's positions compare. */
    public record Node(String id, String incarnation, boolean cascades, Positions positions) {}

    /** One thing to do to the datastore. */
    public sealed interface Action permits BecomePrimary, RequireSync, Stop, Follow {}

    /** {@link dev.grid.appliance.Datastore#becomePrimary}. */
    public record BecomePrimary() implements Action {}

    /** {@link dev.grid.appliance.Datastore#requireSync}; null: no replica. */
    public record RequireSync(Peer replica) implements Action {}

    /** {@link dev.grid.appliance.Datastore#stop}. */
    public record Stop() implements Action {}

    /** {@link dev.grid.appliance.Datastore#follow}. */
    public record Follow(Peer upstream, boolean stalled) implements Action {}

    /**
     * @param action   what to do to the datastore now; null: nothing, the round is over
     * @param memory   what to remember from here on
     * @param say      what the keeper says about it; null: nothing
     * @param register whether this node is the cluster's registered primary from now on; null: as it is
     * @param caughtUp the sync this primary confirms holds every write it acknowledged; null: none
     */
    public record Step(Action action, Memory memory, String say, Boolean register, String caughtUp) {}

    /**
     * The next step of a round.
     *
     * @param state   the cluster's state (null: the manager has made none yet)
     * @param obs     what the datastore is now
     * @param reports the other nodes' reports by node id (null: none)
     * @param now     the time in epoch milliseconds
     * @param done    the kinds of action done in this round already
     */
    public static Step next(Node node, ClusterState state, Observation obs, Function<String, NodeReport> reports, Memory m, long now,
                            Set<Class<? extends Action>> done) {
        boolean primary = Role.PRIMARY.equals(obs.role());
        if (state != null && node.id().equals(state.primary())) {
            if (state.primaryIncarnation() != null && !node.incarnation().equals(state.primaryIncarnation()) && !primary) {
                return new Step(null, m, "restarted as the primary of generation " + state.generation()
                        + ": waiting for the manager to keep or replace it", false, null);
            }
            return asPrimary(node, state, obs, reports, m, done);
        }
        Memory left = m.sync(false, m.appliedSync(), m.syncFrom());
        if (primary && !done.contains(Stop.class)) {
            return new Step(new Stop(), left, "not the primary of generation " + (state == null ? 0 : state.generation())
                    + ": stopping to take no writes", false, null);
        }
        if (state == null || state.primary() == null) return new Step(null, left, null, false, null);
        return asReplica(node, state, obs, reports, left, now, done);
    }

    /** The memory after {@code action} failed: a follow that failed counts as stalled next round, so it tries harder. */
    public static Memory failed(Memory m, Action action) {
        if (!(action instanceof Follow)) return m;
        return m.following(m.following(), 1);
    }

    private static Step asPrimary(Node node, ClusterState state, Observation obs, Function<String, NodeReport> reports, Memory m,
                                  Set<Class<? extends Action>> done) {
        if (!Role.PRIMARY.equals(obs.role())) {
            if (done.contains(BecomePrimary.class)) return new Step(null, m.following(null, m.notStreamingSince()), null, false, null);
            return new Step(new BecomePrimary(), m, "becoming primary (generation " + state.generation() + ")", null, null);
        }
        Peer sync = syncPeer(state, reports);
        if ((!m.syncApplied() || !Objects.equals(m.appliedSync(), sync)) && !done.contains(RequireSync.class)) {
            return new Step(new RequireSync(sync), m.sync(true, sync, null),
                    "writes now wait for " + (sync == null ? "no replica" : sync.id() + (sync.address() == null ? " (its address not known yet)" : "")),
                    null, null);
        }
        String syncFrom = m.syncFrom();
        String caughtUp = null;
        if (state.sync() != null && state.sync().equals(obs.activeSync()) && obs.position() != null) {
            // Everything acknowledged before the sync was in effect lies at or below this position.
            if (syncFrom == null) syncFrom = obs.position();
            if (obs.syncDurable() != null && node.positions().atLeast(obs.syncDurable(), syncFrom)) caughtUp = state.sync();
        }
        return new Step(null, m.generation(state.generation()).sync(true, m.appliedSync(), syncFrom).following(null, m.notStreamingSince()),
                null, true, caughtUp);
    }

    /** The state's sync as a peer: its address and port from its report, null and 0 while there is none. */
    private static Peer syncPeer(ClusterState state, Function<String, NodeReport> reports) {
        if (state.sync() == null) return null;
        NodeReport r = reports.apply(state.sync());
        return r == null ? new Peer(state.sync(), null, 0) : new Peer(r.id(), r.address(), r.port());
    }

    /**
     * Streams from this node's upstream: the primary once it serves as one, or with a cascading
     * datastore the sync once it reports (while it does not, the node stays as it is rather than
     * attach to the primary, whose writes only the sync may acknowledge).
     */
    private static Step asReplica(Node node, ClusterState state, Observation obs, Function<String, NodeReport> reports, Memory m, long now,
                                  Set<Class<? extends Action>> done) {
        String up = state.upstreamOf(node.id(), node.cascades());
        boolean fromPrimary = up.equals(state.primary());
        NodeReport upstream = reports.apply(up);
        if (upstream == null || (fromPrimary ? !upstream.isWritablePrimary() : !upstream.healthy())) {
            return new Step(null, m, "waiting for " + (fromPrimary ? "primary " : "sync ") + up + " (generation " + state.generation() + ")", false, null);
        }
        Peer peer = new Peer(upstream.id(), upstream.address(), upstream.port());
        // Connected to its upstream (streaming, or receiving a full copy): not stalled.
        boolean streaming = up.equals(obs.upstream());
        long since = streaming || !up.equals(m.following()) ? 0 : m.notStreamingSince() == 0 ? now : m.notStreamingSince();
        boolean stalled = since > 0 && now - since > STALL_MILLIS;
        boolean needed = !up.equals(m.following()) || Role.STOPPED.equals(obs.role()) || Role.PRIMARY.equals(obs.role()) || stalled;
        if (needed && !done.contains(Follow.class)) {
            return new Step(new Follow(peer, stalled), m.following(up, 0),
                    "following " + peer.id() + (fromPrimary ? "" : " (the sync)") + " at " + peer.address() + ":" + peer.port()
                            + (stalled ? " (not streaming: rewinding)" : ""), false, null);
        }
        long generation = Role.REPLICA.equals(obs.role()) ? state.generation() : m.appliedGeneration();
        return new Step(null, m.generation(generation).following(m.following(), since), null, false, null);
    }
}

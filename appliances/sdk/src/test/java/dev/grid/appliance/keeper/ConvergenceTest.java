package dev.grid.appliance.keeper;

import dev.grid.appliance.Role;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.appliance.ClusterState;
import dev.grid.appliance.Datastore.Observation;
import dev.grid.appliance.Datastore.Peer;
import dev.grid.appliance.NodeReport;
import dev.grid.appliance.Positions;
import dev.grid.appliance.keeper.Convergence.Action;
import dev.grid.appliance.keeper.Convergence.Memory;
import dev.grid.appliance.keeper.Convergence.Step;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The keeper's decisions, one step at a time (FailoverSimulationTest drives them over whole histories). */
class ConvergenceTest {
    static final long NOW = 1_000_000;
    static final Convergence.Node N0 = new Convergence.Node("n0", "i0", false, Positions.BYTES);
    static final Convergence.Node N1 = new Convergence.Node("n1", "i1", false, Positions.BYTES);
    /** n0 primary (accepted as incarnation i0), n1 its sync, n2 async. */
    static final ClusterState STATE = new ClusterState(7, "n0", "n1", List.of("n2"), List.of(), false, null, 0, "i0");
    static final Map<String, NodeReport> REPORTS = Map.of(
            "n0", new NodeReport("n0", "127.0.0.2", 5000, Role.PRIMARY, 7, null, "100", null, 0, ""),
            "n1", new NodeReport("n1", "127.0.0.3", 5001, Role.REPLICA, 7, "n0", "90", null, 0, ""),
            "n2", new NodeReport("n2", "127.0.0.4", 5002, Role.STOPPED, 6, null, "0", null, 0, ""));

    /** A primary at {@code position}; {@code replicas}: what the datastore knows its replicas hold, the active sync's read as its durable position. */
    static Observation primary(long position, String activeSync, Map<String, Long> replicas) {
        Long durable = activeSync == null ? null : replicas.get(activeSync);
        return new Observation(Role.PRIMARY, String.valueOf(position), null, activeSync, durable == null ? null : String.valueOf(durable), "");
    }

    static Observation replica(long position, String upstream) {
        return new Observation(Role.REPLICA, String.valueOf(position), upstream, null, null, "");
    }

    static Step next(Convergence.Node node, ClusterState state, Observation obs, Memory m, long now, Set<Class<? extends Action>> done) {
        return Convergence.next(node, state, obs, REPORTS::get, m, now, done);
    }

    @Test
    void theStatesPrimaryBecomesPrimaryThenMakesWritesWaitForTheSyncThenRegisters() {
        Set<Class<? extends Action>> done = new HashSet<>();
        Step s = next(N0, STATE, Observation.stopped("down"), Memory.START, NOW, done);
        assertEquals(new Convergence.BecomePrimary(), s.action());
        assertNull(s.register(), "registered as it was until the datastore serves");
        done.add(Convergence.BecomePrimary.class);
        s = next(N0, STATE, primary(100, null, Map.of()), s.memory(), NOW, done);
        assertEquals(new Convergence.RequireSync(new Peer("n1", "127.0.0.3", 5001)), s.action(), "the sync, at the address its report gives");
        done.add(Convergence.RequireSync.class);
        s = next(N0, STATE, primary(100, null, Map.of()), s.memory(), NOW, done);
        assertNull(s.action());
        assertEquals(true, s.register());
        assertEquals(7, s.memory().appliedGeneration());
        assertNull(s.caughtUp(), "the sync is not the one that counts yet");
    }

    @Test
    void theSyncIsConfirmedOnlyOnceItHoldsWhatWasWrittenBeforeItCounted() {
        Memory applied = new Memory(7, true, new Peer("n1", "127.0.0.3", 5001), null, null, 0);
        Step s = next(N0, STATE, primary(100, "n1", Map.of("n1", 90L)), applied, NOW, Set.of());
        assertNull(s.caughtUp(), "n1 counts from position 100 on, and has 90");
        assertEquals("100", s.memory().syncFrom());
        s = next(N0, STATE, primary(120, "n1", Map.of("n1", 100L)), s.memory(), NOW, Set.of());
        assertEquals("n1", s.caughtUp(), "it holds position 100: every write acknowledged before it counted");
        s = next(N0, STATE, primary(130, null, Map.of()), s.memory(), NOW, Set.of());
        assertNull(s.caughtUp(), "not while it does not count");
    }

    @Test
    void aNewSyncIsRequiredAgainAndCountsFromScratch() {
        Memory applied = new Memory(7, true, new Peer("n2", "127.0.0.4", 5002), "50", null, 0);
        Step s = next(N0, STATE, primary(100, "n2", Map.of("n2", 100L)), applied, NOW, Set.of());
        assertEquals(new Convergence.RequireSync(new Peer("n1", "127.0.0.3", 5001)), s.action());
        assertNull(s.memory().syncFrom());
    }

    @Test
    void positionsAreComparedAsTheDatastoreSaysNotAsText() {
        // GTID-like positions ordered by their sequence number: as text, "0-1-10" sorts before "0-2-9".
        Positions gtids = Positions.by("transactions", p -> Long.parseLong(p.substring(p.lastIndexOf('-') + 1)));
        Convergence.Node n0 = new Convergence.Node("n0", "i0", false, gtids);
        Memory applied = new Memory(7, true, new Peer("n1", "127.0.0.3", 5001), "0-1-10", null, 0);
        Observation behind = new Observation(Role.PRIMARY, "0-1-12", null, "n1", "0-2-9", "");
        assertNull(next(n0, STATE, behind, applied, NOW, Set.of()).caughtUp(), "9 is behind 10, whatever the text says");
        Observation holds = new Observation(Role.PRIMARY, "0-1-12", null, "n1", "0-1-10", "");
        assertEquals("n1", next(n0, STATE, holds, applied, NOW, Set.of()).caughtUp());
        Observation ahead = new Observation(Role.PRIMARY, "0-1-12", null, "n1", "0-1-11", "");
        assertEquals("n1", next(n0, STATE, ahead, applied, NOW, Set.of()).caughtUp(), "11 is past 10, though \"0-1-11\" < \"0-2-9\" as text");
    }

    @Test
    void aPrimaryThatCouldNotBecomeOneEndsTheRoundUnregistered() {
        Step s = next(N0, STATE, Observation.stopped("no"), Memory.START, NOW, Set.of(Convergence.BecomePrimary.class));
        assertNull(s.action(), "tried once this round: again next round");
        assertEquals(false, s.register());
    }

    @Test
    void aRestartedPrimaryWaitsForTheManagerUnregistered() {
        Convergence.Node restarted = new Convergence.Node("n0", "i9", false, Positions.BYTES);
        Step s = next(restarted, STATE, Observation.stopped("down"), Memory.START, NOW, Set.of());
        assertNull(s.action());
        assertEquals(false, s.register());
        assertTrue(s.say().contains("waiting for the manager"), s.say());
        assertEquals(new Convergence.BecomePrimary(), next(restarted, new ClusterState(7, "n0", "n1", List.of("n2"), List.of(), false, null, 0, "i9"), Observation.stopped("down"), Memory.START, NOW,
                Set.of()).action(), "once the manager accepted it");
    }

    @Test
    void aDeposedPrimaryUnregistersAndStopsBeforeItFollowsTheNewOne() {
        ClusterState moved = new ClusterState(8, "n1", "n0", List.of("n2"), List.of(), false, null, 0, "i1");
        Map<String, NodeReport> reports = Map.of("n1", new NodeReport("n1", "127.0.0.3", 5001, Role.PRIMARY, 8, null, "100", null, 0, ""));
        Memory wasPrimary = new Memory(7, true, new Peer("n1", "127.0.0.3", 5001), "80", null, 0);
        Set<Class<? extends Action>> done = new HashSet<>();
        Step s = Convergence.next(N0, moved, primary(100, "n1", Map.of()), reports::get, wasPrimary, NOW, done);
        assertEquals(new Convergence.Stop(), s.action());
        assertEquals(false, s.register(), "unregistered before it stops: clients go to the new primary");
        assertEquals(false, s.memory().syncApplied(), "a primary again one day requires its sync again");
        done.add(Convergence.Stop.class);
        s = Convergence.next(N0, moved, Observation.stopped("stopped"), reports::get, s.memory(), NOW, done);
        assertEquals(new Convergence.Follow(new Peer("n1", "127.0.0.3", 5001), false), s.action());
        done.add(Convergence.Follow.class);
        s = Convergence.next(N0, moved, replica(100, "n1"), reports::get, s.memory(), NOW, done);
        assertNull(s.action());
        assertEquals(8, s.memory().appliedGeneration());
    }

    @Test
    void aReplicaThatDoesNotStreamForLongerThanTheStallRewinds() {
        Memory following = new Memory(7, false, null, null, "n0", 0);
        Step s = next(N1, STATE, replica(90, null), following, NOW, Set.of());
        assertNull(s.action(), "not streaming: counted from now");
        assertEquals(NOW, s.memory().notStreamingSince());
        s = next(N1, STATE, replica(90, null), s.memory(), NOW + Convergence.STALL_MILLIS, Set.of());
        assertNull(s.action(), "not longer than the stall yet");
        s = next(N1, STATE, replica(90, null), s.memory(), NOW + Convergence.STALL_MILLIS + 1, Set.of());
        assertEquals(new Convergence.Follow(new Peer("n0", "127.0.0.2", 5000), true), s.action());
        assertEquals(1, Convergence.failed(s.memory(), s.action()).notStreamingSince(), "a follow that failed is stalled at once next round");
        assertEquals(0, next(N1, STATE, replica(95, "n0"), s.memory(), NOW + 9_999, Set.of()).memory().notStreamingSince(), "streaming again");
    }

    @Test
    void aCascadingReplicaWaitsForItsSyncRatherThanAttachToThePrimary() {
        Convergence.Node n2 = new Convergence.Node("n2", "i2", true, Positions.BYTES);
        Map<String, NodeReport> syncDown = Map.of("n0", REPORTS.get("n0"),
                "n1", new NodeReport("n1", "127.0.0.3", 5001, Role.STOPPED, 7, null, "0", null, 0, ""));
        Step s = Convergence.next(n2, STATE, Observation.stopped("new"), syncDown::get, Memory.START, NOW, Set.of());
        assertNull(s.action());
        assertEquals("waiting for sync n1 (generation 7)", s.say());
        s = Convergence.next(n2, STATE, Observation.stopped("new"), REPORTS::get, Memory.START, NOW, Set.of());
        assertEquals(new Convergence.Follow(new Peer("n1", "127.0.0.3", 5001), false), s.action());
    }
}

package dev.grid.appliance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.appliance.Failover.Decision;
import dev.grid.appliance.Failover.Policy;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The failover rules one by one; {@link FailoverSimulationTest} drives them through random histories. */
class FailoverTest {
    static final Policy SYNC = new Policy(true, Duration.ofSeconds(5), 2);
    static final Policy ASYNC = new Policy(false, Duration.ofSeconds(5), 2);
    static final List<String> MEMBERS = List.of("n0", "n1", "n2");
    static final long NOW = 1_000_000;

    static NodeReport primary(String id, long gen, long pos, String caughtUp) {
        return new NodeReport(id, "127.0.0.1", 1, Role.PRIMARY, gen, null, String.valueOf(pos), caughtUp, 0, "");
    }

    static NodeReport replica(String id, long gen, String upstream, long pos) {
        return new NodeReport(id, "127.0.0.1", 1, Role.REPLICA, gen, upstream, String.valueOf(pos), null, 0, "");
    }

    static NodeReport down(String id, long gen, long since) {
        return new NodeReport(id, "127.0.0.1", 1, Role.STOPPED, gen, null, "0", null, since, "");
    }

    static ClusterState ready(long gen) {
        return new ClusterState(gen, "n0", "n1", List.of("n2"), List.of(), true, null, 0);
    }

    static Map<String, NodeReport> reports(NodeReport... rs) {
        Map<String, NodeReport> m = new HashMap<>();
        for (NodeReport r : rs) m.put(r.id(), r);
        return m;
    }

    @Test
    void bootstrapWaitsForTwoNodesThenPicksInMemberOrder() {
        Decision one = Failover.decide(null, MEMBERS, reports(replica("n2", 0, null, 0)), NOW, SYNC);
        assertFalse(one.changed());
        assertTrue(one.why().contains("waiting for 2 nodes"), one.why());

        Decision two = Failover.decide(null, MEMBERS, reports(down("n2", 0, 0), down("n1", 0, 0)), NOW, SYNC);
        assertEquals("n1", two.next().primary());
        assertEquals("n2", two.next().sync());
        assertEquals(List.of("n0"), two.next().asyncs());
        assertFalse(two.next().syncReady());
        assertEquals(1, two.next().generation());
    }

    @Test
    void syncBecomesReadyOnlyWhenThePrimaryConfirmsItForThisGeneration() {
        ClusterState s = new ClusterState(4, "n0", "n1", List.of("n2"), List.of(), false, null, 0);
        assertFalse(Failover.decide(s, MEMBERS, reports(primary("n0", 3, 9, "n1"), replica("n1", 4, "n0", 9)), NOW, SYNC).changed(),
                "a confirmation from an older generation does not count");
        assertFalse(Failover.decide(s, MEMBERS, reports(primary("n0", 4, 9, "n2"), replica("n1", 4, "n0", 9)), NOW, SYNC).changed(),
                "a confirmation of another node does not count");
        Decision d = Failover.decide(s, MEMBERS, reports(primary("n0", 4, 9, "n1"), replica("n1", 4, "n0", 9)), NOW, SYNC);
        assertTrue(d.next().syncReady());
        assertEquals(5, d.next().generation());
    }

    @Test
    void lostPrimaryPromotesTheReadySyncAndTheAsyncBecomesSync() {
        Decision d = Failover.decide(ready(7), MEMBERS, reports(replica("n1", 7, "n0", 40), replica("n2", 7, "n0", 50)), NOW, SYNC);
        ClusterState n = d.next();
        assertEquals("n1", n.primary(), "the sync is promoted even though the async received more");
        assertEquals("n2", n.sync());
        assertFalse(n.syncReady());
        assertEquals(List.of(), n.asyncs());
        assertEquals(List.of("n0"), n.deposed());
        assertEquals(8, n.generation());
        assertEquals("n0", n.lastFailover().from());
        assertEquals("n1", n.lastFailover().to());
    }

    @Test
    void aSyncThatIsNotKnownCaughtUpIsNeverPromoted() {
        ClusterState notReady = new ClusterState(7, "n0", "n1", List.of("n2"), List.of(), false, null, 0);
        Decision d = Failover.decide(notReady, MEMBERS, reports(replica("n1", 7, "n0", 40), replica("n2", 7, "n0", 50)), NOW, SYNC);
        assertFalse(d.changed());
        assertTrue(d.why().contains("waiting for n0"), d.why());
    }

    @Test
    void primaryAndSyncBothLostMeansWaitingNotPromotingTheAsync() {
        Decision d = Failover.decide(ready(7), MEMBERS, reports(replica("n2", 7, "n0", 50)), NOW, SYNC);
        assertFalse(d.changed());
        assertTrue(d.why().contains("sync n1 is unavailable"), d.why());
    }

    @Test
    void aBrieflyDownPrimaryIsWaitedOutButALongDownOneIsReplaced() {
        var brief = reports(down("n0", 7, NOW - 2_000), replica("n1", 7, "n0", 40), replica("n2", 7, "n0", 40));
        assertFalse(Failover.decide(ready(7), MEMBERS, brief, NOW, SYNC).changed());
        var longDown = reports(down("n0", 7, NOW - 6_000), replica("n1", 7, "n0", 40), replica("n2", 7, "n0", 40));
        assertEquals("n1", Failover.decide(ready(7), MEMBERS, longDown, NOW, SYNC).next().primary());
    }

    @Test
    void lostSyncIsReplacedByAReplicaOfThePrimary() {
        Decision d = Failover.decide(ready(7), MEMBERS, reports(primary("n0", 7, 50, "n1"), replica("n2", 7, "n0", 50)), NOW, SYNC);
        assertEquals("n2", d.next().sync());
        assertFalse(d.next().syncReady());
        assertEquals(List.of("n1"), d.next().asyncs());
        assertEquals("n0", d.next().primary());
    }

    @Test
    void aLostSyncWithNoReplicaLeftChangesNothing() {
        assertFalse(Failover.decide(ready(7), MEMBERS, reports(primary("n0", 7, 50, "n1")), NOW, SYNC).changed());
    }

    @Test
    void aDeposedNodeRejoinsOnlyAsAReplicaOfTheCurrentPrimaryAtThisGeneration() {
        ClusterState s = new ClusterState(8, "n1", "n2", List.of(), List.of("n0"), true, null, 0);
        var stillOld = reports(primary("n1", 8, 60, "n2"), replica("n2", 8, "n1", 60), primary("n0", 7, 70, null));
        assertFalse(Failover.decide(s, MEMBERS, stillOld, NOW, SYNC).changed(), "a node still acting as primary is not taken back");
        var rejoined = reports(primary("n1", 8, 60, "n2"), replica("n2", 8, "n1", 60), replica("n0", 8, "n1", 60));
        ClusterState n = Failover.decide(s, MEMBERS, rejoined, NOW, SYNC).next();
        assertEquals(List.of("n0"), n.asyncs());
        assertEquals(List.of(), n.deposed());
    }

    @Test
    void decidingAgainOnTheSameReportsIsAFixedPoint() {
        var rs = reports(replica("n1", 7, "n0", 40), replica("n2", 7, "n0", 50));
        ClusterState after = Failover.decide(ready(7), MEMBERS, rs, NOW, SYNC).next();
        Decision again = Failover.decide(after, MEMBERS, rs, NOW + 100, SYNC);
        assertFalse(again.changed(), "the new primary has not reported yet: no second failover; " + again.why());
    }

    @Test
    void asyncPolicyPromotesTheReplicaWithTheHighestPosition() {
        ClusterState s = new ClusterState(3, "n0", "n1", List.of("n2"), List.of(), false, null, 0);
        ClusterState n = Failover.decide(s, MEMBERS, reports(replica("n1", 3, "n0", 40), replica("n2", 3, "n0", 55)), NOW, ASYNC).next();
        assertEquals("n2", n.primary());
        assertEquals("n1", n.sync());
    }

    @Test
    void asyncPolicyWithNoReplicaWaits() {
        ClusterState s = new ClusterState(3, "n0", "n1", List.of(), List.of(), false, null, 0);
        assertNull(Failover.decide(s, List.of("n0", "n1"), reports(down("n1", 3, NOW - 60_000)), NOW, ASYNC).next());
    }

    static NodeReport restarted(String id, long gen, String incarnation) {
        return new NodeReport(id, "127.0.0.1", 2, Role.STOPPED, gen, null, "0", null, NOW, "", incarnation);
    }

    @Test
    void aRestartedPrimaryIsKeptWhenRestartsLoseNothing() {
        ClusterState s = ready(7).withPrimaryIncarnation("first");
        Decision d = Failover.decide(s, MEMBERS, reports(restarted("n0", 7, "second"), replica("n1", 7, "n0", 40)), NOW, SYNC);
        assertEquals("n0", d.next().primary());
        assertEquals("second", d.next().primaryIncarnation(), "the keeper may serve again");
        assertFalse(Failover.decide(d.next(), MEMBERS, reports(restarted("n0", 7, "second"), replica("n1", 7, "n0", 40)), NOW, SYNC).changed());
    }

    @Test
    void aRestartedPrimaryIsReplacedWhenRestartsMayLoseWrites() {
        Policy redis = new Policy(false, Duration.ofSeconds(5), 1, true);
        ClusterState s = new ClusterState(3, "n0", "n1", List.of(), List.of(), false, null, 0, "first");
        var rs = reports(restarted("n0", 3, "second"), new NodeReport("n1", "127.0.0.1", 1, Role.REPLICA, 3, "n0", "90", null, 0, "", "r1"));
        Decision d = Failover.decide(s, List.of("n0", "n1"), rs, NOW, redis);
        assertEquals("n1", d.next().primary(), d.why());
        assertEquals("r1", d.next().primaryIncarnation());
        assertEquals(List.of("n0"), d.next().deposed());
        // with no replica to promote, the restarted primary is all there is: it is kept
        Decision alone = Failover.decide(s, List.of("n0", "n1"), reports(restarted("n0", 3, "second")), NOW, redis);
        assertEquals("n0", alone.next().primary());
        assertEquals("second", alone.next().primaryIncarnation());
    }

    static NodeReport restartedEmpty(String id, long gen, String incarnation) {
        return new NodeReport(id, "127.0.0.1", 2, Role.STOPPED, gen, null, "0", null, NOW, "", incarnation, null, true);
    }

    /** A primary made again on another host, or whose volume was lost: accepting it would start an empty primary. */
    @Test
    void aPrimaryThatComesBackWithAnEmptyVolumeIsNeverAccepted() {
        Decision d = Failover.decide(ready(7).withPrimaryIncarnation("first"), MEMBERS,
                reports(restartedEmpty("n0", 7, "second"), replica("n1", 7, "n0", 40)), NOW, SYNC);
        assertEquals("n1", d.next().primary(), "the ready sync is promoted instead: " + d.why());
        assertTrue(d.why().contains("empty volume"), d.why());
        assertEquals(List.of("n0"), d.next().deposed());

        ClusterState notReady = new ClusterState(7, "n0", "n1", List.of("n2"), List.of(), false, null, 0, "first");
        Decision waits = Failover.decide(notReady, MEMBERS, reports(restartedEmpty("n0", 7, "second"), replica("n1", 7, "n0", 40)), NOW, SYNC);
        assertFalse(waits.changed(), "no sync holds its writes: nothing is promoted, and the empty node is not accepted either");
        assertTrue(waits.why().contains("empty volume") && waits.why().contains("waiting"), waits.why());

        // At bootstrap the primary's volume is empty too, and it is the incarnation the manager chose: that is no loss.
        ClusterState fresh = new ClusterState(1, "n0", "n1", List.of("n2"), List.of(), false, null, 0, "first");
        NodeReport starting = new NodeReport("n0", "127.0.0.1", 2, Role.STOPPED, 1, null, "0", null, 0, "", "first", null, true);
        assertFalse(Failover.decide(fresh, MEMBERS, reports(starting, replica("n1", 1, "n0", 0)), NOW, SYNC).changed());
    }

    @Test
    void underTheSynchronousPolicyARestartedPrimaryIsReplacedOnlyByAReadySync() {
        Policy postgres = new Policy(true, Duration.ofSeconds(5), 2, true);
        var rs = reports(restarted("n0", 7, "second"), replica("n1", 7, "n0", 40), replica("n2", 7, "n0", 50));
        Decision d = Failover.decide(ready(7).withPrimaryIncarnation("first"), MEMBERS, rs, NOW, postgres);
        assertEquals("n1", d.next().primary(), "the ready sync, not the async that received more");
        assertEquals(List.of("n0"), d.next().deposed());
        ClusterState notReady = new ClusterState(7, "n0", "n1", List.of("n2"), List.of(), false, null, 0, "first");
        Decision kept = Failover.decide(notReady, MEMBERS, rs, NOW, postgres);
        assertEquals("n0", kept.next().primary(), "no sync known to hold every write: the restarted primary is kept");
        assertEquals("second", kept.next().primaryIncarnation());
    }

    @Test
    void afterAFailoverTheNewSyncIsTakenFromAnotherDomainThanTheNewPrimary() {
        List<String> four = List.of("n0", "n1", "n2", "n3");
        Map<String, String> domains = Map.of("n0", "host a", "n1", "host b", "n2", "host b", "n3", "host c");
        ClusterState s = new ClusterState(7, "n0", "n1", List.of("n2", "n3"), List.of(), true, null, 0);
        // n0 is gone; n2 is further along than n3, but on the new primary's host.
        Decision d = Failover.decide(s, four, reports(replica("n1", 7, "n0", 60), replica("n2", 7, "n0", 50), replica("n3", 7, "n0", 40)), NOW, SYNC, domains);
        assertEquals("n1", d.next().primary());
        assertEquals("n3", d.next().sync(), d.why());
        // With no other domain left, the most advanced replica it is.
        Decision same = Failover.decide(s, four, reports(replica("n1", 7, "n0", 60), replica("n2", 7, "n0", 50)), NOW, SYNC, domains);
        assertEquals("n2", same.next().sync());
    }

    @Test
    void aSyncBesideThePrimaryHandsItsRoleToAStreamingReplicaElsewhereOnce() {
        Map<String, String> domains = Map.of("n0", "zone a", "n1", "zone a", "n2", "zone b");
        Map<String, NodeReport> streaming = reports(primary("n0", 7, 90, "n1"), replica("n1", 7, "n0", 90), replica("n2", 7, "n0", 80));
        Decision d = Failover.decide(ready(7), MEMBERS, streaming, NOW, SYNC, domains);
        assertEquals("n2", d.next().sync(), d.why());
        assertEquals(List.of("n1"), d.next().asyncs());
        assertFalse(d.next().syncReady(), "ready only once the primary says it caught up");
        assertTrue(d.why().contains("shares zone a with primary n0"), d.why());
        assertFalse(Failover.decide(ready(7), MEMBERS, reports(primary("n0", 7, 90, "n1"), replica("n1", 7, "n0", 90), down("n2", 7, NOW)), NOW, SYNC, domains)
                .changed(), "not to a replica that is down");
        assertFalse(Failover.decide(ready(7), MEMBERS, streaming, NOW, SYNC).changed(), "no domains known: nothing to improve");
    }

    @Test
    void whileSettlingAfterAnEtcdOutageAPrimaryWithNoReportIsWaitedForNotReplaced() {
        ClusterState s = ready(3);
        // etcd was paused longer than a lease: every report vanished, and the replicas' keepers reported again first.
        Map<String, NodeReport> replicasFirst = reports(replica("n1", 3, "n0", 100), replica("n2", 3, "n0", 100));
        Decision settling = Failover.decide(s, MEMBERS, replicasFirst, NOW, SYNC, Map.of(), NOW + 4_000);
        assertFalse(settling.changed(), settling.why());
        assertTrue(settling.why().contains("waiting 4 s more for its keeper"), settling.why());
        Decision async = Failover.decide(s, MEMBERS, replicasFirst, NOW, ASYNC, Map.of(), NOW + 4_000);
        assertFalse(async.changed(), "the asynchronous policy waits too: " + async.why());
        // The primary's keeper reports again in time: nothing to do, the same generation.
        Decision back = Failover.decide(s, MEMBERS, reports(primary("n0", 3, 100, "n1"), replica("n1", 3, "n0", 100)), NOW + 1_000, SYNC,
                Map.of(), NOW + 4_000);
        assertFalse(back.changed(), back.why());
        // It does not: once the settling ends, it is a lost primary like any other.
        Decision lost = Failover.decide(s, MEMBERS, replicasFirst, NOW + 4_000, SYNC, Map.of(), NOW + 4_000);
        assertEquals("n1", lost.next().primary(), lost.why());
        // A primary that reports but is down is not held by the settling: that is the down grace's business.
        Decision down = Failover.decide(s, MEMBERS, reports(down("n0", 3, NOW - 10_000), replica("n1", 3, "n0", 100)), NOW, SYNC, Map.of(), NOW + 4_000);
        assertEquals("n1", down.next().primary(), down.why());
    }

    @Test
    void whileSettlingASyncWithNoReportKeepsItsRoleAndAfterwardsIsReplaced() {
        ClusterState s = ready(3);
        Map<String, NodeReport> noSync = reports(primary("n0", 3, 100, null), replica("n2", 3, "n0", 100));
        Decision settling = Failover.decide(s, MEMBERS, noSync, NOW, SYNC, Map.of(), NOW + 2_000);
        assertFalse(settling.changed(), "the sync's keeper has a moment to report again: " + settling.why());
        assertTrue(settling.why().contains("sync n1 has not reported"), settling.why());
        Decision after = Failover.decide(s, MEMBERS, noSync, NOW + 2_000, SYNC, Map.of(), NOW + 2_000);
        assertEquals("n2", after.next().sync(), after.why());
    }

    @Test
    void aManagerSettlesWhenItStartsLeadingOrSeesEtcdAgainAfterAGap() {
        long settle = Failover.SETTLE.toMillis();
        assertEquals(NOW + settle, Failover.settleUntil(0, false, 0, NOW), "it has just become the leader");
        assertEquals(0, Failover.settleUntil(0, true, NOW - 500, NOW), "rounds read etcd every 500 ms: nothing to wait for");
        assertEquals(NOW + settle, Failover.settleUntil(0, true, NOW - 30_000, NOW), "etcd was out of reach for 30 s");
        assertEquals(NOW + settle, Failover.settleUntil(NOW + settle, true, NOW - 500, NOW + 1_000), "a settling under way runs its course");
    }

    static final Policy CASCADE = new Policy(true, Duration.ofSeconds(5), 1, true, true);

    @Test
    void withCascadingReplicationTheAsyncsStreamFromTheSyncAndTheSyncFromThePrimary() {
        ClusterState s = ready(3);
        assertEquals("n0", s.upstreamOf("n1", true), "the sync streams from the primary");
        assertEquals("n1", s.upstreamOf("n2", true), "an async from the sync");
        assertEquals("n1", s.upstreamOf("n3", true), "and so does a deposed or new node");
        assertEquals("n0", s.upstreamOf("n2", false), "without cascading, everyone from the primary");
        ClusterState noSync = new ClusterState(3, "n0", null, List.of("n1", "n2"), List.of(), false, null, 0);
        assertEquals("n0", noSync.upstreamOf("n2", true), "with no sync, from the primary");
    }

    @Test
    void cascadingALostSyncIsReplacedByAnAsyncThatStreamedFromIt() {
        // n1 (the sync) is gone; n2 streamed from it and its link is down now.
        Map<String, NodeReport> rs = reports(primary("n0", 3, 100, null), replica("n2", 3, null, 90));
        Decision d = Failover.decide(ready(3), MEMBERS, rs, NOW, CASCADE);
        assertEquals("n2", d.next().sync(), d.why());
        assertFalse(d.next().syncReady(), "not ready until the primary confirms it caught up");
        assertFalse(Failover.decide(ready(3), MEMBERS, rs, NOW, SYNC).changed(), "streaming from the primary is asked for without cascading");
    }

    @Test
    void cascadingAStreamingReplicaOfTheSyncCountsAsStreaming() {
        Map<String, String> domains = Map.of("n0", "zone a", "n1", "zone a", "n2", "zone b");
        Map<String, NodeReport> rs = reports(primary("n0", 7, 90, "n1"), replica("n1", 7, "n0", 90), replica("n2", 7, "n1", 80));
        Decision d = Failover.decide(ready(7), MEMBERS, rs, NOW, CASCADE, domains);
        assertEquals("n2", d.next().sync(), "n2 streams from the sync: it takes the role from beside the primary: " + d.why());
        assertFalse(Failover.decide(ready(7), MEMBERS, rs, NOW, SYNC, domains).changed(), "without cascading it does not stream");

        ClusterState deposed = new ClusterState(8, "n1", "n2", List.of(), List.of("n0"), true, null, 0);
        Map<String, NodeReport> back = reports(replica("n0", 8, "n2", 70), primary("n1", 8, 100, "n2"), replica("n2", 8, "n1", 100));
        Decision rejoined = Failover.decide(deposed, MEMBERS, back, NOW, CASCADE);
        assertEquals(List.of("n0"), rejoined.next().asyncs(), "the deposed primary rejoined, streaming from the sync: " + rejoined.why());
    }

    @Test
    void cascadingOnlyAReadySyncIsPromoted() {
        ClusterState notReady = new ClusterState(3, "n0", "n1", List.of("n2"), List.of(), false, null, 0);
        Map<String, NodeReport> rs = reports(replica("n1", 3, "n0", 80), replica("n2", 3, "n1", 90));
        assertFalse(Failover.decide(notReady, MEMBERS, rs, NOW, CASCADE).changed(), "the sync was catching up: nothing is promoted");
        Decision d = Failover.decide(ready(3), MEMBERS, rs, NOW, CASCADE);
        assertEquals("n1", d.next().primary(), "the ready sync, not the async that received more: " + d.why());
        assertEquals("n2", d.next().sync());
    }

    @Test
    void cascadingALostSyncWithNoReplicaToTakeItsPlaceIsDroppedSoTheOthersStreamFromThePrimary() {
        // Host a is gone with n0 (the old primary) and n1 (the sync named at the failover while its lease
        // lasted); n0 was made again on host b, empty, and waits for the sync it would cascade from.
        ClusterState s = new ClusterState(3, "n2", "n1", List.of(), List.of("n0"), false, null, 0);
        Map<String, NodeReport> rs = reports(primary("n2", 3, 100, null), down("n0", 0, 0));
        assertEquals("n1", s.upstreamOf("n0", true));
        Decision d = Failover.decide(s, MEMBERS, rs, NOW, CASCADE);
        assertNull(d.next().sync(), d.why());
        assertEquals(List.of("n1"), d.next().asyncs(), "the lost sync waits for its host as an async");
        assertEquals("n2", d.next().upstreamOf("n0", true), "n0 streams from the primary now");
        assertFalse(Failover.decide(s, MEMBERS, rs, NOW, SYNC).changed(), "without cascading the others stream from the primary already");

        Decision rejoined = Failover.decide(d.next(), MEMBERS, reports(primary("n2", 4, 100, null), replica("n0", 4, "n2", 100)), NOW, CASCADE);
        assertEquals(List.of("n1", "n0"), rejoined.next().asyncs(), rejoined.why());
        Decision synced = Failover.decide(rejoined.next(), MEMBERS, reports(primary("n2", 5, 100, null), replica("n0", 5, "n2", 100)), NOW, CASCADE);
        assertEquals("n0", synced.next().sync(), "the first to stream becomes the sync: " + synced.why());
        assertFalse(synced.next().syncReady());
    }

    @Test
    void cascadingALostSyncThatNobodyWaitsForStaysTheReadySync() {
        // Two nodes: the sync's keeper paused until its report went. Dropping it would make it a
        // sync not yet ready when it returns, and a primary lost then could not be replaced (the
        // fence test in CI). Nobody streams from it, so nobody waits for it.
        ClusterState s = new ClusterState(4, "n1", "n0", List.of(), List.of(), true, null, 0);
        assertFalse(Failover.decide(s, List.of("n0", "n1"), reports(primary("n1", 4, 100, null)), NOW, CASCADE).changed());
        // Three: the async still streams from the sync's datastore while its keeper is away. It may
        // take the sync's place (a live replica), but no node is left without one.
        ClusterState three = new ClusterState(4, "n1", "n0", List.of("n2"), List.of(), true, null, 0);
        Decision d = Failover.decide(three, MEMBERS, reports(primary("n1", 4, 100, null), replica("n2", 4, "n0", 100)), NOW, CASCADE);
        assertEquals("n2", d.next().sync(), d.why());
    }
}

package dev.grid.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.core.JobSpec;
import dev.grid.core.JobState;
import dev.grid.core.OneOffRun;
import dev.grid.core.ProcessType;
import dev.grid.core.Release;
import dev.grid.core.VolumeMount;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class ReconcilerTest {
    private final Fixtures f = new Fixtures();
    private final Release v1 = f.release("web1", 1, Map.of("web", ProcessType.of("serve"), "worker", ProcessType.of("work")));

    @Test
    void aRestartStartsAReplacementAndStopsTheJobOnlyOnceThatIsUp() {
        f.host("a").formation(v1, Map.of("web", 2));
        JobSpec one = f.job(v1, "web", "a");
        JobSpec two = f.job(v1, "web", "a");
        f.status(one, JobState.UP, Fixtures.NOW, null);
        f.status(two, JobState.UP, Fixtures.NOW, null);
        f.restart.put(one.id(), dev.grid.store.Keys.RESTART);
        Plan first = f.plan();
        assertEquals(1, first.place().size(), "a replacement first");
        assertTrue(first.stop().isEmpty(), "the job serves until its replacement is up: " + first.stop());

        JobSpec replacement = first.place().get(0);
        f.jobs.add(replacement);
        f.status(replacement, JobState.STARTING, Fixtures.NOW, null);
        Plan waiting = f.plan();
        assertTrue(waiting.isEmpty(), "nothing while the replacement starts: " + waiting);

        f.status(replacement, JobState.UP, Fixtures.NOW, null);
        Plan done = f.plan();
        assertEquals(List.of(one.id()), done.stop().stream().map(JobSpec::id).toList());
        assertTrue(done.place().isEmpty());
    }

    @Test
    void aStopStopsTheJobNowAndPlacesAReplacementInTheSamePlan() {
        f.host("a").formation(v1, Map.of("web", 1));
        JobSpec one = f.job(v1, "web", "a");
        f.status(one, JobState.UP, Fixtures.NOW, null);
        f.restart.put(one.id(), dev.grid.store.Keys.STOP);
        Plan plan = f.plan();
        assertEquals(List.of(one.id()), plan.stop().stream().map(JobSpec::id).toList());
        assertEquals(1, plan.place().size());
        assertTrue(!plan.place().get(0).id().equals(one.id()), "a new job, not the same one again");
    }

    @Test
    void aRestartOfAVolumeBoundJobStopsItFirstThenPlacesItsReplacement() {
        Release db = f.release("db", 1, Map.of("node", new ProcessType("run", Map.of(), 256, List.of(new VolumeMount("db-data", "/data")))));
        f.host("a").formation(db, Map.of("node", 1));
        JobSpec node = f.job(db, "node", "a", 0, db.processes().get("node").volumes());
        f.status(node, JobState.UP, Fixtures.NOW, null);
        f.restart.put(node.id(), dev.grid.store.Keys.RESTART);
        Plan first = f.plan();
        assertEquals(List.of(node.id()), first.stop().stream().map(JobSpec::id).toList(), "one container per volume: the old one goes first");
        assertTrue(first.place().isEmpty(), "nothing new beside it");
        f.jobs.remove(node);
        f.restart.clear(); // the scheduler deletes the key with the job
        Plan second = f.plan();
        assertEquals(1, second.place().size());
        assertEquals(db.processes().get("node").volumes(), second.place().get(0).volumes());
    }

    @Test
    void scaleUpPlacesTheMissingJobsSpreadOverHosts() {
        f.host("a").host("b").formation(v1, Map.of("web", 4));
        f.job(v1, "web", "a");
        Plan plan = f.plan();
        assertEquals(3, plan.place().size());
        Map<String, Long> perHost = plan.place().stream().collect(Collectors.groupingBy(JobSpec::hostId, Collectors.counting()));
        assertEquals(Map.of("a", 1L, "b", 2L), perHost, "the host with fewer web jobs fills first");
        assertTrue(plan.place().stream().allMatch(j -> j.command().equals("serve") && j.env().equals(Map.of("K", "V"))));
        assertTrue(plan.stop().isEmpty());
    }

    @Test
    void aConvergedClusterNeedsNoPlan() {
        f.host("a").formation(v1, Map.of("web", 2, "worker", 1));
        f.status(f.job(v1, "web", "a"), JobState.UP, Fixtures.NOW, null);
        f.status(f.job(v1, "web", "a"), JobState.UP, Fixtures.NOW, null);
        f.status(f.job(v1, "worker", "a"), JobState.UP, Fixtures.NOW, null);
        assertTrue(f.plan().isEmpty());
    }

    @Test
    void scaleDownStopsJobsThatAreNotServingFirst() {
        f.host("a").formation(v1, Map.of("web", 1));
        JobSpec up = f.job(v1, "web", "a");
        JobSpec crashed = f.job(v1, "web", "a");
        JobSpec starting = f.job(v1, "web", "a");
        f.status(up, JobState.UP, Fixtures.NOW, null);
        f.status(crashed, JobState.CRASHED, Fixtures.NOW, Fixtures.NOW);
        f.status(starting, JobState.STARTING, Fixtures.NOW, null);
        Plan plan = f.plan();
        assertEquals(List.of(crashed.id(), starting.id()), plan.stop().stream().map(JobSpec::id).toList());
        assertTrue(plan.update().isEmpty(), "a job being stopped is not also restarted");
    }

    @Test
    void crashedJobsRestartImmediatelyAFewTimesThenBackOff() {
        f.host("a").formation(v1, Map.of("web", 1));
        for (int attempt = 0; attempt < 8; attempt++) {
            f.jobs.clear();
            f.statuses.clear();
            JobSpec j = f.job(v1, "web", "a", attempt, List.of());
            f.status(j, JobState.CRASHED, Fixtures.NOW.minusSeconds(1), Fixtures.NOW);
            JobSpec restarted = f.plan().update().get(0);
            assertEquals(attempt + 1, restarted.attempt());
            assertEquals(Backoff.delay(attempt + 1), Duration.between(Fixtures.NOW, restarted.notBefore()));
        }
        assertEquals(Duration.ZERO, Backoff.delay(3));
        assertEquals(Duration.ofSeconds(1), Backoff.delay(4));
        assertEquals(Duration.ofSeconds(8), Backoff.delay(7));
        assertEquals(Duration.ofSeconds(30), Backoff.delay(40));
    }

    @Test
    void aJobThatRanLongBeforeCrashingStartsItsBackOffOver() {
        f.host("a").formation(v1, Map.of("web", 1));
        JobSpec j = f.job(v1, "web", "a", 9, List.of());
        f.status(j, JobState.CRASHED, Fixtures.NOW.minus(Duration.ofMinutes(5)), Fixtures.NOW);
        JobSpec restarted = f.plan().update().get(0);
        assertEquals(1, restarted.attempt());
        assertEquals(Fixtures.NOW, restarted.notBefore());
    }

    @Test
    void aJobThatRanLongOnItsFirstRestartGetsANewAttemptAllTheSame() {
        // PostgresApplianceTest saw a node killed twice, each time after running long: restarted as attempt 1 again, its
        // host took it for the run that had ended, never started it, and the scheduler updated it every round.
        f.host("a").formation(v1, Map.of("web", 1));
        JobSpec j = f.job(v1, "web", "a", 1, List.of());
        f.status(j, JobState.CRASHED, Fixtures.NOW.minus(Duration.ofMinutes(5)), Fixtures.NOW);
        JobSpec restarted = f.plan().update().get(0);
        assertEquals(2, restarted.attempt(), "a new attempt: its host starts it");
        assertEquals(Fixtures.NOW, restarted.notBefore(), "and at once: the back-off starts over");
    }

    @Test
    void aCrashIsActedOnOnceNotOnEveryRound() {
        f.host("a").formation(v1, Map.of("web", 1));
        JobSpec j = f.job(v1, "web", "a", 2, List.of());
        // The host still reports the previous attempt's crash: the restart is already decided.
        f.statuses.put(j.id(), new dev.grid.core.JobStatus(j.id(), "a", JobState.CRASHED, 1, "c", 1, 1, null, null, null));
        assertTrue(f.plan().isEmpty());
    }

    @Test
    void jobsOfALostHostMoveToALiveOne() {
        f.host("b").formation(v1, Map.of("web", 2));
        JobSpec lost = f.job(v1, "web", "gone");
        f.status(f.job(v1, "web", "b"), JobState.UP, Fixtures.NOW, null);
        Plan plan = f.plan();
        assertEquals(List.of(lost.id()), plan.stop().stream().map(JobSpec::id).toList());
        assertEquals(1, plan.place().size());
        assertEquals("b", plan.place().get(0).hostId());
    }

    /** A scheduler that has just started, and a host that has not registered again yet (they restarted together). */
    @Test
    void jobsOfAnAwaitedHostStayWhereTheyAreUntilTheWaitEnds() {
        Release db = f.release("db", 1, Map.of("node", new ProcessType("run", Map.of(), 256, List.of(new VolumeMount("db-data", "/data")))));
        f.host("b").formation(v1, Map.of("web", 2)).formation(db, Map.of("node", 1));
        JobSpec web = f.job(v1, "web", "restarting");
        f.status(f.job(v1, "web", "b"), JobState.UP, Fixtures.NOW, null);
        JobSpec node = f.job(db, "node", "restarting", 0, db.processes().get("node").volumes());
        Plan waiting = Reconciler.plan(f.view().awaiting(java.util.Set.of("restarting")), Fixtures.NOW, () -> "new");
        assertTrue(waiting.isEmpty(), "nothing stopped, placed elsewhere or marked blocked: " + waiting.stop() + waiting.place() + waiting.update());

        Plan after = f.plan(); // the wait is over and the host is still not back
        assertEquals(List.of(web.id()), after.stop().stream().map(JobSpec::id).toList());
        assertEquals(1, after.place().size());
        assertTrue(after.update().stream().anyMatch(j -> j.id().equals(node.id()) && j.blocked() != null));
    }

    @Test
    void volumeBoundJobsOfALostHostAreBlockedNotMoved() {
        Release db = f.release("db", 1, Map.of("node", new ProcessType("run", Map.of(), 256, List.of(new VolumeMount("db-data", "/data")))));
        f.host("b").formation(db, Map.of("node", 1));
        JobSpec bound = f.job(db, "node", "gone", 0, db.processes().get("node").volumes());
        Plan plan = f.plan();
        assertTrue(plan.place().isEmpty(), "never moved silently");
        assertTrue(plan.stop().isEmpty());
        assertEquals(1, plan.update().size());
        assertTrue(plan.update().get(0).blocked().contains("host gone is down"), plan.update().get(0).blocked());

        // The host returns: the job is unblocked in place.
        f.jobs.set(0, plan.update().get(0));
        f.host("gone");
        Plan back = f.plan();
        assertEquals(1, back.update().size());
        assertNull(back.update().get(0).blocked());
        assertEquals(bound.id(), back.update().get(0).id());
    }


    /** {@code grid hosts:remove}: the operator says the host is gone for good, so its data node is made again elsewhere. */
    @Test
    void volumeBoundJobsOfARemovedHostArePlacedAgainElsewhereAndNothingGoesToIt() {
        Release db = f.release("db", 1, Map.of("node", new ProcessType("run", Map.of(), 256, List.of(new VolumeMount("db-data", "/data")))));
        f.host("b").formation(db, Map.of("node", 1)).formation(v1, Map.of("web", 2));
        JobSpec bound = f.job(db, "node", "gone", 0, db.processes().get("node").volumes());
        f.job(v1, "web", "gone");
        f.status(f.job(v1, "web", "b"), JobState.UP, Fixtures.NOW, null);
        f.host("gone"); // its agent even registers: a removed host is still never used
        Plan plan = Reconciler.plan(f.view().removing(java.util.Set.of("gone")).awaiting(java.util.Set.of("gone")), Fixtures.NOW, () -> "new");
        assertTrue(plan.stop().stream().anyMatch(j -> j.id().equals(bound.id())), "the old node's job goes: " + plan.stop());
        assertEquals(2, plan.stop().size(), plan.stop().toString());
        assertEquals(List.of("b", "b"), plan.place().stream().map(JobSpec::hostId).toList());
        JobSpec again = plan.place().stream().filter(j -> j.type().equals("node")).findFirst().orElseThrow();
        assertEquals(db.processes().get("node").volumes(), again.volumes(), "same volume name: fresh on its new host, where it never was");
        assertTrue(plan.update().isEmpty(), "nothing is blocked waiting for it: " + plan.update());
    }
    /** An appliance's manager let a node on a lost host go (GRID_NODE_REPLACE_AFTER): it is made again elsewhere, and only then. */
    @Test
    void aVolumeBoundJobItsOwnerLetsGoIsPlacedElsewhereWhileItsHostIsDown() {
        Release db = f.release("db", 1, Map.of("node", new ProcessType("run", Map.of(), 256, List.of(new VolumeMount("db-data", "/data")))));
        f.host("b").formation(db, Map.of("node", 1));
        JobSpec bound = f.job(db, "node", "gone", 0, db.processes().get("node").volumes());
        Plan plan = Reconciler.plan(f.view().replacing(java.util.Set.of(bound.id())), Fixtures.NOW, () -> "new");
        assertEquals(List.of(bound.id()), plan.stop().stream().map(JobSpec::id).toList());
        assertEquals(List.of("b"), plan.place().stream().map(JobSpec::hostId).toList());

        Plan awaited = Reconciler.plan(f.view().replacing(java.util.Set.of(bound.id())).awaiting(java.util.Set.of("gone")), Fixtures.NOW, () -> "new");
        assertTrue(awaited.isEmpty(), "a host that may be registering again keeps its node");
        f.host("gone");
        assertTrue(Reconciler.plan(f.view().replacing(java.util.Set.of(bound.id())), Fixtures.NOW, () -> "new").isEmpty(),
                "its host is back: the node stays with its data");
    }

    @Test
    void aNewReleaseReplacesTheOldOnlyAsItsJobsComeUp() {
        f.host("a").host("b");
        JobSpec old1 = f.job(v1, "web", "a");
        JobSpec old2 = f.job(v1, "web", "b");
        f.status(old1, JobState.UP, Fixtures.NOW, null);
        f.status(old2, JobState.UP, Fixtures.NOW, null);
        Release v2 = f.release("web1", 2, Map.of("web", ProcessType.of("serve2")));
        f.formation(v2, Map.of("web", 2));

        Plan start = f.plan();
        assertEquals(2, start.place().size(), "the new release's jobs start first");
        assertTrue(start.place().stream().allMatch(j -> j.command().equals("serve2")));
        assertTrue(start.stop().isEmpty(), "the old release keeps serving meanwhile");

        f.jobs.addAll(start.place());
        f.status(start.place().get(0), JobState.UP, Fixtures.NOW, null);
        f.status(start.place().get(1), JobState.STARTING, Fixtures.NOW, null);
        Plan half = f.plan();
        assertEquals(1, half.stop().size(), "one new job serves: one old job goes");
        assertTrue(half.place().isEmpty());

        f.status(start.place().get(1), JobState.UP, Fixtures.NOW, null);
        f.jobs.remove(half.stop().get(0));
        Plan done = f.plan();
        assertEquals(1, done.stop().size());
        assertEquals(v1.id(), done.stop().get(0).releaseId());
    }

    @Test
    void aReleaseThatCrashesOnBootLeavesTheOldOneServing() {
        f.host("a");
        JobSpec old = f.job(v1, "web", "a");
        f.status(old, JobState.UP, Fixtures.NOW, null);
        Release v2 = f.release("web1", 2, Map.of("web", ProcessType.of("crash")));
        f.formation(v2, Map.of("web", 1));
        JobSpec crashing = f.job(v2, "web", "a", 5, List.of());
        f.status(crashing, JobState.CRASHED, Fixtures.NOW, Fixtures.NOW);
        Plan plan = f.plan();
        assertTrue(plan.stop().isEmpty(), "the old job keeps serving");
        assertEquals(6, plan.update().get(0).attempt(), "the new one keeps being retried with back-off");
    }

    @Test
    void volumeBoundTypesAreReplacedStopFirst() {
        Release db1 = f.release("db", 1, Map.of("node", new ProcessType("run", Map.of(), 256, List.of(new VolumeMount("d", "/data")))));
        f.host("a");
        JobSpec old = f.job(db1, "node", "a", 0, db1.processes().get("node").volumes());
        f.status(old, JobState.UP, Fixtures.NOW, null);
        Release db2 = f.release("db", 2, Map.of("node", new ProcessType("run2", Map.of(), 256, List.of(new VolumeMount("d", "/data")))));
        f.formation(db2, Map.of("node", 1));
        Plan first = f.plan();
        assertEquals(List.of(old), first.stop(), "two jobs never share the volume");
        assertTrue(first.place().isEmpty());
        f.jobs.clear();
        assertEquals("run2", f.plan().place().get(0).command());
    }

    @Test
    void aReleaseThatChangesOneDataNodeRestartsThatNodeAloneAndStatelessTypesStillRoll() {
        f.host("a");
        Map<String, ProcessType> nodes = new java.util.TreeMap<>();
        for (String n : List.of("n0", "n1", "n2")) nodes.put(n, new ProcessType("keeper " + n, Map.of(), 256, List.of(new VolumeMount("v-" + n, "/data"))));
        nodes.put("web", ProcessType.of("serve"));
        Release v1 = f.release("db", 1, nodes, "http://blobs/keeper-1.tgz");
        Map<String, JobSpec> running = new java.util.HashMap<>();
        for (String type : nodes.keySet()) {
            JobSpec j = f.job(v1, type, "a", 0, nodes.get(type).volumes());
            f.status(j, JobState.UP, Fixtures.NOW, null);
            running.put(type, j);
        }
        Map<String, ProcessType> upgraded = new java.util.TreeMap<>(nodes);
        upgraded.put("n2", nodes.get("n2").withSlug("http://blobs/keeper-2.tgz"));
        Release v2 = f.release("db", 2, upgraded, "http://blobs/keeper-1.tgz");
        f.formation(v2, Map.of("n0", 1, "n1", 1, "n2", 1, "web", 1));

        Plan plan = f.plan();
        assertEquals(List.of(running.get("n2")), plan.stop(), "only the changed node stops: " + plan);
        var carried = plan.update().stream().filter(j -> j.releaseId().equals(v2.id())).map(JobSpec::type).sorted().toList();
        assertEquals(List.of("n0", "n1"), carried, "the others are the new release's jobs as they run");
        assertTrue(plan.update().stream().allMatch(j -> j.attempt() == 0 && j.slugUrl().equals("http://blobs/keeper-1.tgz")), "carried, not restarted");
        assertEquals(List.of("web"), plan.place().stream().map(JobSpec::type).toList(), "a stateless type rolls on every release, as on Heroku");

        f.jobs.remove(running.get("n2"));
        f.jobs.replaceAll(j -> j.type().startsWith("n") ? j.withRelease(v2.id()) : j);
        Plan next = f.plan();
        JobSpec placed = next.place().stream().filter(j -> j.type().equals("n2")).findFirst().orElseThrow();
        assertEquals("http://blobs/keeper-2.tgz", placed.slugUrl(), "the changed node runs its own slug");
        assertTrue(next.stop().stream().noneMatch(j -> j.type().startsWith("n")), "nothing else of the data nodes stops");
    }

    @Test
    void typesDroppedByTheNewReleaseStop() {
        f.host("a");
        JobSpec worker = f.job(v1, "worker", "a");
        Release v2 = f.release("web1", 2, Map.of("web", ProcessType.of("serve2")));
        f.formation(v2, Map.of("web", 1, "worker", 1));
        assertTrue(f.plan().stop().contains(worker));
    }

    @Test
    void jobsOfADestroyedAppStop() {
        f.host("a");
        JobSpec j = f.job(v1, "web", "a");
        assertEquals(List.of(j), f.plan().stop());
    }

    @Test
    void typesTheReleaseDoesNotHaveAreNotPlaced() {
        f.host("a").formation(v1, Map.of("web", 1, "ghost", 2));
        assertEquals(List.of("web"), f.plan().place().stream().map(JobSpec::type).toList());
    }

    @Test
    void oneOffRunsArePlacedOnceAndStoppedWhenTheRunIsGone() {
        f.host("a").formation(v1, Map.of());
        OneOffRun run = new OneOffRun("web1-run-1", "web1", v1.id(), "echo hi", Fixtures.NOW);
        ClusterView withRun = new ClusterView(f.formations, f.releases, f.hosts, f.jobs, f.statuses, List.of(run));
        Plan plan = Reconciler.plan(withRun, Fixtures.NOW, () -> "x");
        assertEquals(1, plan.place().size());
        JobSpec placed = plan.place().get(0);
        assertTrue(placed.oneOff());
        assertEquals("echo hi", placed.command());

        f.jobs.add(placed);
        f.status(placed, JobState.CRASHED, Fixtures.NOW, Fixtures.NOW);
        ClusterView exited = new ClusterView(f.formations, f.releases, f.hosts, f.jobs, f.statuses, List.of(run));
        assertTrue(Reconciler.plan(exited, Fixtures.NOW, () -> "x").isEmpty(), "a one-off is never restarted");
        assertEquals(List.of(placed), f.plan().stop(), "without its run, the job goes");
    }

    @Test
    void aDetachedRunIsSpentOnlyAWhileAfterItsJobExited() {
        f.host("a").formation(v1, Map.of());
        OneOffRun run = new OneOffRun("web1-run-2", "web1", v1.id(), "rake db:migrate", Fixtures.NOW, true);
        OneOffRun waited = new OneOffRun("web1-run-3", "web1", v1.id(), "echo hi", Fixtures.NOW);
        OneOffRun attached = new OneOffRun("web1-run-4", "web1", v1.id(), "bash", Fixtures.NOW, false, OneOffRun.Stdio.TTY);
        JobSpec job = Reconciler.plan(new ClusterView(f.formations, f.releases, f.hosts, f.jobs, f.statuses, List.of(run)), Fixtures.NOW, () -> "x").place().get(0);
        f.jobs.add(job);
        JobSpec other = new JobSpec("web1-run-3", job.hostId(), job.app(), job.releaseId(), job.type(), job.image(), "echo hi", job.env(),
                job.memoryMb(), job.volumes(), true, 0, null, null, job.slugUrl());
        f.jobs.add(other);
        JobSpec shell = Reconciler.plan(new ClusterView(f.formations, f.releases, f.hosts, f.jobs, f.statuses, List.of(attached)), Fixtures.NOW, () -> "x").place().get(0);
        assertEquals(OneOffRun.Stdio.TTY, shell.attached(), "the host makes its container with a terminal, and waits for its caller");
        f.jobs.add(shell);
        ClusterView view = new ClusterView(f.formations, f.releases, f.hosts, f.jobs, f.statuses, List.of(run, waited, attached));
        f.status(job, JobState.UP, Fixtures.NOW, null);
        assertEquals(Set.of(), Reconciler.spentRuns(view, Fixtures.NOW.plus(java.time.Duration.ofHours(5))), "running: never spent");
        f.status(job, JobState.EXITED, Fixtures.NOW, Fixtures.NOW);
        f.status(other, JobState.EXITED, Fixtures.NOW, Fixtures.NOW);
        f.status(shell, JobState.FAILED, Fixtures.NOW, Fixtures.NOW);
        assertEquals(Set.of(), Reconciler.spentRuns(view, Fixtures.NOW.plus(Reconciler.DETACHED_KEPT).minusSeconds(1)), "its output is kept a while");
        assertEquals(Set.of("web1-run-2", "web1-run-4"), Reconciler.spentRuns(view, Fixtures.NOW.plus(Reconciler.DETACHED_KEPT)),
                "then it goes, and an attached run nobody ended (its controller went away); a run someone waits for is theirs to end");
    }

    @Test
    void noOneOffRunIsPlacedInOneOfGridsOwnApps() {
        Release nodes = f.release("grid-postgres-main", 1, Map.of("n0", ProcessType.of("/app/keeper")));
        f.host("a").formation(nodes, Map.of());
        OneOffRun run = new OneOffRun("grid-postgres-main-run-1", "grid-postgres-main", nodes.id(), "env", Fixtures.NOW);
        ClusterView withRun = new ClusterView(f.formations, f.releases, f.hosts, f.jobs, f.statuses, List.of(run));
        assertTrue(Reconciler.plan(withRun, Fixtures.NOW, () -> "x").place().isEmpty());
    }

    @Test
    void whenNothingFitsThePlanSaysWhy() {
        f.formation(v1, Map.of("web", 1));
        Plan plan = f.plan();
        assertTrue(plan.place().isEmpty());
        assertNotNull(plan.unplaceable().get(0));
        assertTrue(plan.unplaceable().get(0).reason().contains("no host is up"));
    }

    @Test
    void whatDoesNotFitIsCountedWithTheCapacityThatIsMissing() {
        f.host("h1", 1024, Map.of()).formation(v1, Map.of("web", 6));
        Plan plan = f.plan();
        assertEquals(4, plan.place().size(), "four of 256 MB fit in 1,024 MB");
        assertEquals(1, plan.unplaceable().size());
        var u = plan.unplaceable().get(0);
        assertEquals("web", u.type());
        assertEquals(2, u.missing());
        assertEquals("no host has 256 MB free (1,024 of 1,024 MB reserved; the most free is 0 MB, on h1)", u.reason());
        f.host("h2", 2048, Map.of());
        List<JobSpec> assigned = new java.util.ArrayList<>(plan.place());
        assigned.add(f.job(v1, "web", "h2"));
        assertEquals("no host has 4,096 MB free (1,280 of 3,072 MB reserved over 2 hosts; the most free is 1,792 MB, on h2)",
                new Placement(f.hosts.values(), assigned).whyNot(new ProcessType("x", Map.of(), 4096, List.of())));
    }

}

package dev.grid.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.core.Instance;
import dev.grid.core.JobSpec;
import dev.grid.core.JobState;
import dev.grid.core.JobStatus;
import dev.grid.host.Convergence.Action;
import dev.grid.host.Convergence.Check;
import dev.grid.host.Convergence.Deregister;
import dev.grid.host.Convergence.Forget;
import dev.grid.host.Convergence.Input;
import dev.grid.host.Convergence.Plan;
import dev.grid.host.Convergence.Probe;
import dev.grid.host.Convergence.Register;
import dev.grid.host.Convergence.Remove;
import dev.grid.host.Convergence.Report;
import dev.grid.host.Convergence.Seen;
import dev.grid.host.Convergence.Start;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The host agent's decisions, without Docker, etcd or a network: {@link Convergence#decide}. */
class ConvergenceTest {
    private static final Instant T0 = Instant.parse("2026-12-02T10:00:00Z");

    private static JobSpec job(String id, String type, int attempt) {
        return new JobSpec(id, "h1", "shop", "r1", type, "grid/stack", "run", Map.of(), 256, List.of(), false, attempt, null, null, null);
    }

    private static Seen container(String cid, String job, int attempt, int port, boolean running, Long exit) {
        var c = new Docker.Container(cid, running ? "running" : "exited",
                Map.of("grid.job", job, "grid.attempt", String.valueOf(attempt), "grid.port", String.valueOf(port), "grid.app", "shop", "grid.type", "web"));
        return new Seen(c, new Docker.State(running, T0.minusSeconds(30), running ? null : T0.minusSeconds(1), exit, false));
    }

    /** An agent's memory between rounds, and a tiny Docker: enough to run rounds one after another. */
    private static final class World {
        final Map<String, JobSpec> desired = new HashMap<>();
        final List<Seen> seen = new ArrayList<>();
        final Map<String, JobStatus> reported = new HashMap<>();
        final Map<String, Instance> registered = new HashMap<>();
        Map<String, Instant> draining = Map.of();
        final Set<String> busy = new HashSet<>();
        final Map<String, Probe> probes = new HashMap<>();
        /** Ports whose check passes. */
        final Set<Integer> listening = new HashSet<>();
        Instant now = T0;
        int nextContainer;
        int nextPort = 20000;

        Input input() {
            return new Input("h1", "127.0.0.2", desired, seen, reported, registered, draining, busy, probes, now);
        }

        Plan round() {
            Plan plan = Convergence.decide(input());
            draining = plan.draining();
            for (Action a : plan.actions()) apply(a);
            return plan;
        }

        void apply(Action a) {
            if (a instanceof Start s) {
                int port = nextPort++;
                seen.add(container("c" + nextContainer++, s.spec().id(), s.spec().attempt(), port, true, null));
                listening.add(port);
            } else if (a instanceof Remove r) {
                seen.removeIf(x -> r.containers().contains(x.container()));
            } else if (a instanceof Check c) {
                probes.put(c.spec().id(), new Probe(c.target(), listening.contains(c.port()) ? null : "waiting for port " + c.port()));
            } else if (a instanceof Register r) {
                registered.put(r.instance().jobId(), r.instance());
            } else if (a instanceof Deregister d) {
                registered.remove(d.instance().jobId());
            } else if (a instanceof Report r) {
                reported.put(r.status().jobId(), r.status());
            } else if (a instanceof Forget f) {
                reported.remove(f.job());
                probes.remove(f.job());
            }
        }

        /** Rounds until nothing is left to do (at most 20), time moving on by what each asks. */
        void settle() {
            for (int i = 0; i < 20; i++) {
                Plan p = round();
                if (p.actions().stream().noneMatch(a -> !(a instanceof Check))) {
                    if (p.wakeAfter() == null) return;
                }
                now = now.plus(p.wakeAfter() == null ? Duration.ofSeconds(1) : p.wakeAfter());
            }
            throw new AssertionError("no fixed point after 20 rounds: " + round().actions());
        }
    }

    @Test
    void aJobWithAVolumeStartsOnlyOnceNoOtherContainerUsingTheVolumeRuns() {
        // A new release of a data node: a new job, the same volume, the old job taken away (stop-first).
        World w = new World();
        var data = List.of(new dev.grid.core.VolumeMount("data", "/data"));
        JobSpec next = new JobSpec("db-new", "h1", "shop", "r2", "db", "grid/stack", "run", Map.of(), 256, data, false, 0, null, null, null);
        w.desired.put(next.id(), next);
        var old = new Docker.Container("c-old", "running", Map.of("grid.job", "db-old", "grid.attempt", "0", "grid.port", "20000"),
                Set.of(Convergence.volume("h1", "data"), "grid-h1-other"));
        w.seen.add(new Seen(old, new Docker.State(true, T0.minusSeconds(60), null, null, false)));
        // Another job's volume, or a stopped container, holds nothing back.
        w.seen.add(new Seen(new Docker.Container("c-gone", "exited", Map.of("grid.job", "db-older"), Set.of(Convergence.volume("h1", "data"))),
                new Docker.State(false, T0.minusSeconds(90), T0.minusSeconds(80), 0L, false)));

        Plan p = w.round();
        assertTrue(p.all(Start.class).isEmpty(), "not while the old container runs on the volume: " + p.actions());
        Report waiting = p.all(Report.class).stream().filter(r -> r.status().jobId().equals("db-new")).findFirst().orElseThrow();
        assertEquals(JobState.PENDING, waiting.status().state());
        assertEquals("waiting for job db-old to stop: its container still uses volume grid-h1-data", waiting.status().message());
        assertEquals(Convergence.STARTING_POLL, p.wakeAfter());

        // Its drain ends and it is removed (the listing of that round still had it).
        w.now = w.now.plus(Convergence.DRAIN).plusMillis(50);
        p = w.round();
        assertTrue(p.all(Remove.class).stream().anyMatch(r -> r.job().equals("db-old")), p.actions().toString());
        assertTrue(p.all(Start.class).isEmpty(), p.actions().toString());
        p = w.round();
        assertEquals(List.of(new Start(next)), p.all(Start.class), "started once the old container is gone");

        // A job without volumes never waits for one.
        World plain = new World();
        plain.desired.put("w1", job("w1", "web", 0));
        plain.seen.add(new Seen(old, new Docker.State(true, T0.minusSeconds(60), null, null, false)));
        assertEquals(1, plain.round().all(Start.class).size());
    }

    @Test
    void aJobWithNoContainerIsStartedAndAWebJobGetsTrafficOnlyOnceItsPortAccepts() {
        World w = new World();
        w.desired.put("j1", job("j1", "web", 0));
        Plan p = w.round();
        assertEquals(List.of(new Start(w.desired.get("j1"))), p.actions());

        w.listening.clear(); // the process is not listening yet
        p = w.round();
        Report starting = p.all(Report.class).get(0);
        assertEquals(JobState.STARTING, starting.status().state());
        assertEquals("checking that port 20000 accepts connections", starting.status().message(), "no check has finished yet");
        assertTrue(p.all(Register.class).isEmpty());
        assertEquals(Convergence.STARTING_POLL, p.wakeAfter(), "a starting job is looked at again soon, not on the next tick");

        p = w.round();
        assertEquals("waiting for port 20000", p.all(Report.class).get(0).status().message(), "the check's answer is what is reported");

        w.listening.add(20000);
        w.round(); // the check passes
        p = w.round();
        assertEquals(1, p.all(Register.class).size());
        assertEquals(new Instance("shop.web", "j1", "127.0.0.2", 20000, "j1", "h1"), p.all(Register.class).get(0).instance());
        assertEquals(JobState.UP, p.all(Report.class).get(0).status().state());

        assertEquals(List.of(), w.round().actions(), "converged: nothing more to do, nothing written again");
    }

    @Test
    void aCheckOfAnotherTargetSaysNothingOfThisOne() {
        World w = new World();
        JobSpec spec = new JobSpec("j1", "h1", "shop", "r1", "web", "grid/stack", "run", Map.of(HostAgent.HEALTHCHECK, "/up"), 256, List.of(),
                false, 0, null, null, null);
        w.desired.put("j1", spec);
        w.seen.add(container("c1", "j1", 0, 20000, true, null));
        w.probes.put("j1", new Probe("20000", null)); // passed, but without the health path the app now sets
        Plan p = Convergence.decide(w.input());
        assertTrue(p.all(Register.class).isEmpty());
        assertEquals(new Check(spec, "20000 /up", 20000, "/up"), p.all(Check.class).get(0));
        assertEquals(JobState.STARTING, p.all(Report.class).get(0).status().state());
    }

    @Test
    void workersAreUpOnceTheyRunAndOneOffsAreNeverChecked() {
        World w = new World();
        w.desired.put("w1", job("w1", "worker", 0));
        JobSpec oneOff = new JobSpec("o1", "h1", "shop", "r1", "run", "grid/stack", "rake", Map.of(), 256, List.of(), true, 0, null, null, null);
        w.desired.put("o1", oneOff);
        w.seen.add(container("c1", "w1", 0, 20000, true, null));
        w.seen.add(container("c2", "o1", 0, 20001, true, null));
        Plan p = Convergence.decide(w.input());
        assertEquals(Set.of("w1", "o1"), Set.copyOf(p.all(Report.class).stream().filter(r -> r.status().state() == JobState.UP).map(r -> r.status().jobId()).toList()));
        assertEquals(List.of("w1"), p.all(Check.class).stream().map(c -> c.spec().id()).toList(), "a one-off gets no traffic: nothing to check");
    }

    @Test
    void aNewAttemptStartsOnlyOnceTheOldContainerIsGone() {
        World w = new World();
        w.desired.put("j1", job("j1", "web", 1));
        w.seen.add(container("old", "j1", 0, 20000, true, null));
        w.registered.put("j1", new Instance("shop.web", "j1", "127.0.0.2", 20000, "j1", "h1"));
        Plan p = w.round();
        assertTrue(p.actions().get(0) instanceof Deregister, "out of discovery before it stops: " + p.actions());
        assertEquals("old", p.all(Remove.class).get(0).containers().get(0).id());
        assertTrue(p.all(Start.class).isEmpty(), "a data node's volume is never used by two containers at once");
        assertEquals(List.of(new Start(w.desired.get("j1"))), w.round().actions());
    }

    @Test
    void aBackedOffRestartWaitsAndSaysHowLong() {
        World w = new World();
        JobSpec spec = job("j1", "web", 3).withRestart(3, T0.plusMillis(4200));
        w.desired.put("j1", spec);
        Plan p = w.round();
        assertTrue(p.all(Start.class).isEmpty());
        assertEquals("crashed; restart 3 in 5 s (back-off)", p.all(Report.class).get(0).status().message());
        assertEquals(Duration.ofMillis(4200), p.wakeAfter());
        w.now = T0.plusMillis(4200);
        assertEquals(1, w.round().all(Start.class).size());
    }

    @Test
    void aStoppedContainerIsReportedOncePerAttemptWithHowItEnded() {
        World w = new World();
        w.desired.put("j1", job("j1", "web", 0));
        w.seen.add(new Seen(new Docker.Container("c1", "exited", Map.of("grid.job", "j1", "grid.attempt", "0", "grid.port", "20000")),
                new Docker.State(false, T0.minusSeconds(9), T0, 137L, true)));
        w.registered.put("j1", new Instance("shop.web", "j1", "127.0.0.2", 20000, "j1", "h1"));
        Plan p = w.round();
        assertTrue(p.actions().get(0) instanceof Deregister);
        JobStatus s = p.all(Report.class).get(0).status();
        assertEquals(JobState.CRASHED, s.state());
        assertEquals(137, s.exitCode());
        assertEquals("exited with code 137 (out of memory)", s.message());
        assertEquals(T0, s.finishedAt());
        assertEquals(List.of(), w.round().actions(), "reported once: the scheduler restarts it with a new attempt");
    }

    @Test
    void anAttachedRunsContainerWaitsForItsCallerThenForAWhileOnly() {
        World w = new World();
        JobSpec shell = new JobSpec("r1", "h1", "shop", "r1", "run", "grid/stack", "bash", Map.of(), 256, List.of(), true, 0, null, null, null,
                List.of(), dev.grid.core.OneOffRun.Stdio.TTY);
        w.desired.put("r1", shell);
        // Made, not started: Docker calls it exited with code 0, but nothing ran yet.
        w.seen.add(new Seen(new Docker.Container("c1", "created", Map.of("grid.job", "r1", "grid.attempt", "0", "grid.port", "20000")),
                new Docker.State(false, null, null, 0L, false, T0)));
        Plan p = w.round();
        JobStatus waiting = p.all(Report.class).get(0).status();
        assertEquals(JobState.STARTING, waiting.state(), "not exited: its caller starts it");
        assertEquals(Convergence.AWAITING_CALLER, waiting.message());
        assertEquals(Convergence.ATTACH_WAIT, p.wakeAfter(), "looked at again when the wait is over");
        assertTrue(p.all(Start.class).isEmpty() && p.all(Remove.class).isEmpty());
        assertEquals(List.of(), w.round().actions(), "reported once");

        w.now = T0.plus(Convergence.ATTACH_WAIT);
        JobStatus failed = w.round().all(Report.class).get(0).status();
        assertEquals(JobState.FAILED, failed.state(), "nobody came (a controller that went away): the job fails, and the scheduler ends the run");
        assertEquals("nobody attached to it within 60 s", failed.message());
        w.now = w.now.plusSeconds(30);
        assertEquals(List.of(), w.round().actions(), "and stays failed: never started, never restarted");

        // The same container for a job that is not an attached run is what it says: exited.
        World plain = new World();
        plain.desired.put("j1", job("j1", "worker", 0));
        plain.seen.add(new Seen(new Docker.Container("c1", "exited", Map.of("grid.job", "j1", "grid.attempt", "0", "grid.port", "20000")),
                new Docker.State(false, null, null, 0L, false, T0)));
        assertEquals(JobState.EXITED, plain.round().all(Report.class).get(0).status().state());
    }

    @Test
    void aJobTakenAwayLeavesDiscoveryThenStopsAfterTheDrain() {
        World w = new World();
        w.seen.add(container("c1", "gone", 0, 20000, true, null));
        w.registered.put("gone", new Instance("shop.web", "gone", "127.0.0.2", 20000, "gone", "h1"));
        w.reported.put("gone", new JobStatus("gone", "h1", JobState.UP, 0, "c1", 20000, null, T0, null, null));
        Plan p = w.round();
        assertEquals(List.of(new Deregister(new Instance("shop.web", "gone", "127.0.0.2", 20000, "gone", "h1"))), p.actions());
        assertEquals(Map.of("gone", T0.plus(Convergence.DRAIN)), p.draining());
        w.now = T0.plusSeconds(1);
        p = w.round();
        assertEquals(List.of(), p.actions(), "still draining: its in-flight requests finish");
        assertEquals(Map.of("gone", T0.plus(Convergence.DRAIN)), p.draining(), "the deadline is kept, not pushed back");
        w.now = T0.plus(Convergence.DRAIN);
        p = w.round();
        assertEquals("c1", p.all(Remove.class).get(0).containers().get(0).id());
        p = w.round();
        assertEquals(List.of(new Forget("gone")), p.actions(), "once its container is gone, so is its status");
        assertEquals(Map.of(), p.draining());
    }

    @Test
    void aStoppedContainerNoLongerAssignedGoesAtOnce() {
        World w = new World();
        w.seen.add(container("c1", "gone", 0, 20000, false, 0L));
        assertEquals(1, w.round().all(Remove.class).size());
    }

    @Test
    void busyAndBlockedJobsAreLeftAlone() {
        World w = new World();
        w.desired.put("j1", job("j1", "web", 0));
        w.desired.put("j2", job("j2", "web", 0).withBlocked("its volume's host is gone"));
        w.seen.add(container("c9", "leaving", 0, 20000, false, 0L));
        w.busy.addAll(Set.of("j1", "leaving"));
        assertEquals(List.of(), w.round().actions());
    }

    @Test
    void theFirstRoundOfARestartedAgentAdoptsRunningContainersWithoutStartingAnything() {
        World w = new World();
        w.desired.put("j1", job("j1", "web", 2));
        w.seen.add(container("c1", "j1", 2, 20000, true, null));
        w.listening.add(20000);
        Plan p = w.round();
        assertTrue(p.all(Start.class).isEmpty() && p.all(Remove.class).isEmpty(), "the running container is this attempt's: kept");
        assertEquals(T0.minusSeconds(30), p.all(Report.class).get(0).status().startedAt(), "its start time is the container's, not now");
        w.settle();
        assertEquals(Set.of("j1"), w.registered.keySet());
    }

    /**
     * Random histories: jobs assigned, taken away and restarted, containers that crash or vanish,
     * ports that never open. After each change the rounds reach a fixed point where every job
     * assigned has exactly one container of its attempt, nothing unassigned runs, and only jobs
     * whose port accepts are in discovery.
     */
    @Test
    void randomHistoriesAlwaysConverge() {
        Random random = new Random(42);
        for (int history = 0; history < 200; history++) {
            World w = new World();
            for (int step = 0; step < 15; step++) {
                String id = "j" + random.nextInt(6);
                switch (random.nextInt(6)) {
                    case 0, 1 -> w.desired.putIfAbsent(id, job(id, random.nextBoolean() ? "web" : "worker", 0));
                    case 2 -> w.desired.remove(id);
                    case 3 -> w.desired.computeIfPresent(id, (k, j) -> j.withRestart(j.attempt() + 1, null));
                    case 4 -> w.seen.removeIf(s -> s.job().equals(id)); // vanished (docker rm by hand)
                    default -> {
                        // crashed
                        for (int i = 0; i < w.seen.size(); i++) {
                            Seen s = w.seen.get(i);
                            if (s.job().equals(id) && s.container().running()) {
                                w.seen.set(i, new Seen(new Docker.Container(s.container().id(), "exited", s.container().labels()),
                                        new Docker.State(false, T0, w.now, 1L, false)));
                            }
                        }
                    }
                }
                if (random.nextInt(4) == 0) w.listening.clear(); // ports of this round's new jobs stay shut for a while
                w.settle();
                w.listening.addAll(Convergence.usedPorts(w.seen));
                w.settle();
                check(w);
            }
        }
    }

    private static void check(World w) {
        for (JobSpec spec : w.desired.values()) {
            List<Seen> mine = w.seen.stream().filter(s -> s.job().equals(spec.id())).toList();
            assertEquals(1, mine.size(), spec.id() + ": one container, of its attempt: " + mine);
            assertEquals(spec.attempt(), mine.get(0).attempt());
            JobStatus status = w.reported.get(spec.id());
            if (mine.get(0).container().running()) {
                assertEquals(JobState.UP, status.state(), spec.id());
                assertTrue(w.registered.containsKey(spec.id()), spec.id() + " accepts connections: in discovery");
                assertEquals(mine.get(0).port(), w.registered.get(spec.id()).port());
            } else {
                assertEquals(JobState.CRASHED, status.state(), spec.id());
                assertNull(w.registered.get(spec.id()), spec.id() + " crashed: out of discovery");
            }
        }
        for (Seen s : w.seen) assertTrue(w.desired.containsKey(s.job()), "nothing unassigned runs: " + s);
        for (String job : w.reported.keySet()) assertTrue(w.desired.containsKey(job), "no status of a job gone: " + job);
        for (String job : w.registered.keySet()) assertTrue(w.desired.containsKey(job), "no registration of a job gone: " + job);
    }
}

package dev.grid.host;

import dev.grid.core.Instance;
import dev.grid.core.JobSpec;
import dev.grid.core.JobState;
import dev.grid.core.JobStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The host agent's decision, as a pure function: given the jobs assigned to this host, the
 * containers seen, what was reported and registered, the readiness checks' last answers and
 * the time, what to start, stop, register, deregister and report. {@link HostAgent} gathers the
 * {@link Input} (one container listing, an inspection per container state change) and carries
 * the {@link Plan} out; nothing here touches Docker, etcd or the network.
 *
 * <p>Rules, as on Heroku: a web process is up once its port accepts connections (and its health
 * check, if the app sets one, passes); other types once they run. A job whose attempt the
 * scheduler bumped loses its old container before the new one starts, and a job with volumes
 * starts only once no other container that mounts one of them runs (a data node's volume is never
 * used by two: a new release's data node waits for the old one's drain and stop). A job taken
 * away leaves discovery first and is stopped {@link #DRAIN} later.
 */
final class Convergence {
    /** How long a job leaves discovery before its container is stopped. */
    static final Duration DRAIN = Duration.ofSeconds(2);
    /** How often a starting job's port (or health check) is looked at again. */
    static final Duration STARTING_POLL = Duration.ofMillis(150);
    static final String WEB = "web";
    /** What an attached run's job says while its container waits for its caller ({@code grid run}) to attach and start it. */
    static final String AWAITING_CALLER = "waiting for its caller to attach";
    /** How long an attached run's container waits for its caller: one who never comes (its controller went away) leaves a failed job. */
    static final Duration ATTACH_WAIT = Duration.ofSeconds(60);
    /** A config var: the path a web job must answer with 2xx/3xx before it counts as up and gets traffic. */
    static final String HEALTHCHECK = HostAgent.HEALTHCHECK;
    static final String LABEL_JOB = "grid.job";
    static final String LABEL_ATTEMPT = "grid.attempt";
    static final String LABEL_PORT = "grid.port";

    private Convergence() {}

    /** A container as seen, with what its inspection said in its current state (null if none was possible: it went meanwhile). */
    record Seen(Docker.Container container, Docker.State state) {
        String job() {
            return container.label(LABEL_JOB);
        }

        int attempt() {
            return intLabel(LABEL_ATTEMPT);
        }

        int port() {
            return intLabel(LABEL_PORT);
        }

        private int intLabel(String name) {
            try {
                return Integer.parseInt(container.labels().getOrDefault(name, "-1"));
            } catch (NumberFormatException e) {
                return -1;
            }
        }
    }

    /** The last finished readiness check of a job: of which target ("PORT" or "PORT PATH"), and its problem (null: passed). */
    record Probe(String target, String problem) {}

    /**
     * Everything the decision reads. {@code busy}: jobs with a start or a stop still under way
     * (left alone until it ends). {@code draining}: jobs taken away, out of discovery, and when
     * their containers may be stopped.
     */
    record Input(String hostId, String address, Map<String, JobSpec> desired, List<Seen> seen,
                 Map<String, JobStatus> reported, Map<String, Instance> registered, Map<String, Instant> draining,
                 Set<String> busy, Map<String, Probe> probes, Instant now) {
        Input {
            desired = Map.copyOf(desired);
            seen = List.copyOf(seen);
            reported = Map.copyOf(reported);
            registered = Map.copyOf(registered);
            draining = Map.copyOf(draining);
            busy = Set.copyOf(busy);
            probes = Map.copyOf(probes);
        }
    }

    sealed interface Action permits Start, Remove, Check, Register, Deregister, Report, Forget {}

    /** Start a container for the job's current attempt. */
    record Start(JobSpec spec) implements Action {}

    /** Stop (with its grace period) and remove these containers of one job. */
    record Remove(String job, List<Docker.Container> containers) implements Action {}

    /** Check (beside the loop) whether the job may get traffic at {@code target}: its port accepts, and its health check passes. */
    record Check(JobSpec spec, String target, int port, String healthPath) implements Action {}

    record Register(Instance instance) implements Action {}

    record Deregister(Instance instance) implements Action {}

    /** Write this status (it differs from the one reported last). */
    record Report(JobStatus status) implements Action {}

    /** The job is gone from this host: its status goes, and what was checked of it. */
    record Forget(String job) implements Action {}

    /**
     * What to do, in order; the draining jobs from now on; and when to look again at the latest
     * (null: nothing is due before the agent's regular tick).
     */
    record Plan(List<Action> actions, Map<String, Instant> draining, Duration wakeAfter) {
        <T extends Action> List<T> all(Class<T> type) {
            return actions.stream().filter(type::isInstance).map(type::cast).toList();
        }
    }

    static Plan decide(Input in) {
        var out = new Builder(in);
        Map<String, List<Seen>> byJob = new TreeMap<>();
        for (Seen s : in.seen()) {
            if (s.job() != null) byJob.computeIfAbsent(s.job(), k -> new ArrayList<>()).add(s);
        }
        for (var e : byJob.entrySet()) {
            if (!in.desired().containsKey(e.getKey()) && !in.busy().contains(e.getKey())) out.retire(e.getKey(), e.getValue());
        }
        Set<String> known = new java.util.TreeSet<>(in.reported().keySet());
        known.addAll(in.registered().keySet());
        for (String job : known) {
            if (!in.desired().containsKey(job) && !byJob.containsKey(job) && !in.busy().contains(job)) {
                out.deregister(job);
                out.actions.add(new Forget(job));
            }
        }
        for (JobSpec spec : new TreeMap<>(in.desired()).values()) {
            if (spec.blocked() == null && !in.busy().contains(spec.id())) out.converge(spec, byJob.getOrDefault(spec.id(), List.of()));
        }
        return new Plan(List.copyOf(out.actions), Map.copyOf(out.draining), out.wake);
    }

    private static final class Builder {
        final Input in;
        final List<Action> actions = new ArrayList<>();
        final Map<String, Instant> draining = new LinkedHashMap<>();
        Duration wake;

        Builder(Input in) {
            this.in = in;
        }

        void wakeIn(Duration d) {
            if (d.isNegative()) d = Duration.ZERO;
            if (wake == null || d.compareTo(wake) < 0) wake = d;
        }

        void deregister(String job) {
            Instance i = in.registered().get(job);
            if (i != null) actions.add(new Deregister(i));
        }

        void report(JobSpec spec, JobState state, String containerId, int port, Integer exitCode, Instant started, Instant finished, String message) {
            JobStatus status = new JobStatus(spec.id(), in.hostId(), state, spec.attempt(), containerId, port, exitCode, started, finished, message);
            if (!status.equals(in.reported().get(spec.id()))) actions.add(new Report(status));
        }

        /** A job no longer assigned here: out of discovery first, stopped once {@link #DRAIN} has passed; at once if nothing of it runs. */
        void retire(String job, List<Seen> containers) {
            boolean running = containers.stream().anyMatch(s -> s.container().running());
            Instant deadline = in.draining().get(job);
            if (running && deadline == null) {
                deregister(job);
                draining.put(job, in.now().plus(DRAIN));
                wakeIn(DRAIN.plusMillis(20));
                return;
            }
            if (running && in.now().isBefore(deadline)) {
                draining.put(job, deadline);
                wakeIn(Duration.between(in.now(), deadline).plusMillis(20));
                return;
            }
            deregister(job);
            actions.add(new Remove(job, containers.stream().map(Seen::container).toList()));
        }

        Set<String> volumes(JobSpec spec) {
            Set<String> names = new java.util.HashSet<>();
            for (var v : spec.volumes()) names.add(volume(in.hostId(), v.name()));
            return names;
        }

        /** A running container of another job that mounts one of the job's volumes, or null. */
        Seen holderOfVolumes(JobSpec spec) {
            if (spec.volumes().isEmpty()) return null;
            Set<String> mine = volumes(spec);
            for (Seen s : in.seen()) {
                if (!spec.id().equals(s.job()) && s.container().running() && s.container().volumes().stream().anyMatch(mine::contains)) return s;
            }
            return null;
        }

        void converge(JobSpec spec, List<Seen> containers) {
            Seen current = null;
            List<Docker.Container> old = new ArrayList<>();
            for (Seen s : containers) {
                if (s.attempt() == spec.attempt() && current == null) current = s;
                else old.add(s.container());
            }
            if (!old.isEmpty()) {
                // The old attempt's container is stopped first: the new one starts, or is looked at, once it is gone (the next round).
                deregister(spec.id());
                actions.add(new Remove(spec.id(), old));
                return;
            }
            if (current == null) {
                deregister(spec.id()); // its container vanished (removed by hand, say): what discovery has of it is stale
                if (spec.notBefore() != null && in.now().isBefore(spec.notBefore())) {
                    Duration left = Duration.between(in.now(), spec.notBefore());
                    wakeIn(left);
                    long seconds = Math.max(1, (left.toMillis() + 999) / 1000);
                    report(spec, JobState.PENDING, null, 0, null, null, null, "crashed; restart " + spec.attempt() + " in " + seconds + " s (back-off)");
                    return;
                }
                Seen holder = holderOfVolumes(spec);
                if (holder != null) {
                    // Docker's events (the holder's stop) wake the agent; the poll is a safety net.
                    wakeIn(STARTING_POLL);
                    report(spec, JobState.PENDING, null, 0, null, null, null, "waiting for job " + holder.job() + " to stop: its container still uses volume "
                            + holder.container().volumes().stream().filter(volumes(spec)::contains).sorted().findFirst().orElse("?"));
                    return;
                }
                actions.add(new Start(spec));
                return;
            }
            int port = current.port();
            String id = current.container().id();
            JobStatus last = in.reported().get(spec.id());
            boolean lastIsThis = last != null && id.equals(last.containerId());
            if (current.container().running()) {
                Instant started = lastIsThis && last.startedAt() != null ? last.startedAt()
                        : current.state() == null ? null : current.state().startedAt();
                Instance known = in.registered().get(spec.id());
                boolean registered = known != null && known.port() == port;
                if (known != null && !registered) actions.add(new Deregister(known)); // another container's port
                String healthPath = WEB.equals(spec.type()) ? spec.env().get(HEALTHCHECK) : null;
                String notReady = null;
                if (!spec.oneOff() && !registered) {
                    String target = port + (healthPath == null ? "" : " " + healthPath);
                    actions.add(new Check(spec, target, port, healthPath));
                    Probe p = in.probes().get(spec.id());
                    notReady = p != null && p.target().equals(target) ? p.problem() : "checking that port " + port + " accepts connections";
                }
                boolean ready = !spec.oneOff() && notReady == null;
                if (ready && !registered) {
                    actions.add(new Register(new Instance(spec.service(), spec.id(), in.address(), port, spec.id(), in.hostId())));
                }
                if (ready || !WEB.equals(spec.type())) {
                    report(spec, JobState.UP, id, port, null, started, null, null);
                } else {
                    report(spec, JobState.STARTING, id, port, null, started, null, notReady);
                    wakeIn(STARTING_POLL);
                }
                return;
            }
            // Stopped: reported once per attempt (a crash the scheduler then restarts with a new attempt).
            if (last != null && last.state().isDown() && last.attempt() == spec.attempt()) return;
            if (spec.attached() != null && current.state() != null && current.state().startedAt() == null) {
                // Made and never started: its caller's attach starts it (AttachServer).
                Instant giveUp = current.state().createdAt() == null ? null : current.state().createdAt().plus(ATTACH_WAIT);
                if (giveUp != null && !in.now().isBefore(giveUp)) {
                    report(spec, JobState.FAILED, id, port, null, null, giveUp, "nobody attached to it within " + ATTACH_WAIT.toSeconds() + " s");
                    return;
                }
                report(spec, JobState.STARTING, id, port, null, null, null, AWAITING_CALLER);
                if (giveUp != null) wakeIn(Duration.between(in.now(), giveUp));
                return;
            }
            deregister(spec.id());
            Docker.State s = current.state();
            long code = s == null || s.exitCode() == null ? -1 : s.exitCode();
            String message = code == 0 ? "exited" : "exited with code " + code + (s != null && s.oomKilled() ? " (out of memory)" : "");
            report(spec, code == 0 ? JobState.EXITED : JobState.CRASHED, id, port, (int) code,
                    s == null ? null : s.startedAt(), s == null ? null : s.finishedAt(), message);
        }
    }

    /** The name of the Docker volume behind a job's volume on a host: named after the host too, since hosts (and Grids) may share one engine. */
    static String volume(String hostId, String name) {
        return "grid-" + hostId + "-" + name;
    }

    /** The ports the containers seen hold (by their label), so a new job gets another. */
    static Set<Integer> usedPorts(List<Seen> seen) {
        Set<Integer> used = new java.util.HashSet<>();
        for (Seen s : seen) if (s.port() > 0) used.add(s.port());
        return used;
    }
}

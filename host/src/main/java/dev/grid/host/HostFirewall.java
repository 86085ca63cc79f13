package dev.grid.host;

import dev.grid.core.App;
import dev.grid.core.GridEndpoint;
import dev.grid.core.HostInfo;
import dev.grid.core.JobSpec;
import dev.grid.core.JobStatus;
import dev.grid.net.NftTable;
import dev.grid.store.CoalescedTask;
import dev.grid.store.Keys;
import dev.grid.store.Store;
import dev.grid.store.StoreMirror;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The app firewall ({@link FirewallRules}), the host agent's part of the host's nftables table,
 * rebuilt from etcd whenever hosts, jobs, apps or Grid's endpoints change and written when it
 * differs. Taken out of the table when the host stops with its jobs.
 */
final class HostFirewall implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HostFirewall.class);
    private static final String PART = "firewall";
    private static final List<String> WATCHED = List.of(Keys.HOSTS, Keys.JOBS, Keys.STATUS, Keys.APPS, Keys.ENDPOINTS);

    private final Store store;
    private final HostConfig config;
    private final Supplier<HostInfo> self;
    private final CoalescedTask loop;
    private final NftTable table;
    /** The hosts, jobs, statuses, apps and endpoints the rules come from, kept by one watch: a rebuild reads no etcd. */
    private StoreMirror state;

    HostFirewall(Store store, HostConfig config, Supplier<HostInfo> self, NftTable table) {
        this.store = store;
        this.config = config;
        this.self = self;
        this.table = table;
        this.loop = new CoalescedTask("firewall-" + config.hostId(), this::rebuild);
    }

    /** Loads the table now (an error if nftables cannot be used here), then keeps it current. */
    HostFirewall start() {
        state = new StoreMirror(store, WATCHED, loop::request);
        table.put(PART, rules().part());
        loop.every(Duration.ofSeconds(10));
        log.info("host {}: firewall table inet {} loaded: app UIDs {}-{} reach no Grid port and no job port but their app's",
                config.hostId(), table.name(), config.appUidMin(), config.appUidMax());
        return this;
    }

    private void rebuild() {
        try {
            table.put(PART, rules().part());
        } catch (IllegalStateException e) {
            log.warn("host {}: cannot update the firewall: {}", config.hostId(), e.getMessage());
        }
    }

    private FirewallRules rules() {
        List<HostInfo> hosts = state.values(Keys.HOSTS, HostInfo.class);
        List<GridEndpoint> endpoints = state.values(Keys.ENDPOINTS, GridEndpoint.class);
        Map<String, Integer> uids = new HashMap<>();
        for (App a : state.values(Keys.APPS, App.class)) if (a.uid() != null) uids.put(a.name(), a.uid());
        Map<String, JobStatus> statuses = new HashMap<>();
        for (JobStatus s : state.values(Keys.STATUS, JobStatus.class)) statuses.put(s.jobId(), s);
        List<FirewallRules.AppJob> jobs = new ArrayList<>();
        for (JobSpec j : state.values(Keys.JOBS, JobSpec.class)) {
            Integer uid = uids.get(j.app());
            JobStatus s = statuses.get(j.id());
            if (uid != null && s != null && s.port() > 0) jobs.add(new FirewallRules.AppJob(uid, j.hostId(), s.port()));
        }
        return FirewallRules.of(self.get(), config.appUidMin(), config.appUidMax(), endpoints, hosts, jobs);
    }

    /** Stops following etcd; with {@code remove} the table goes too (the host's jobs are stopped). */
    void stop(boolean remove) {
        if (state != null) state.close();
        loop.close(Duration.ofSeconds(10));
        if (remove) table.remove(PART);
    }

    @Override
    public void close() {
        stop(true);
    }
}

package dev.grid.controller;

import dev.grid.metrics.GridMetrics;
import dev.grid.store.Credentials;
import dev.grid.store.Store;
import dev.grid.controller.api.RunSocket;
import dev.grid.controller.domain.BackupScheduler;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import java.util.Map;

/** Starts the controller's HTTP API over a store. It writes desired state; it runs nothing itself. */
public final class ControllerServer implements AutoCloseable {
    private final ApplicationContext context;
    private final String url;
    private final Credentials.Own credential;
    private final BackupScheduler schedules;

    private ControllerServer(ApplicationContext context, Credentials.Own credential, BackupScheduler schedules) {
        this.context = context;
        this.credential = credential;
        this.schedules = schedules;
        EmbeddedServer server = context.getBean(EmbeddedServer.class);
        this.url = "http://" + server.getHost() + ":" + server.getPort();
    }

    /** @param port 0 picks a free port */
    public static ControllerServer start(Store store, ControllerConfig config, String bindAddress, int port) {
        return start(store, config, ApplianceCatalog.none(), bindAddress, port);
    }

    public static ControllerServer start(Store store, ControllerConfig config, ApplianceCatalog appliances, String bindAddress, int port) {
        return start(store, config, appliances, new GridMetrics(), bindAddress, port);
    }

    /** @param metrics this process's, served on {@code GET /metrics} */
    public static ControllerServer start(Store store, ControllerConfig config, ApplianceCatalog appliances, GridMetrics metrics,
                                         String bindAddress, int port) {
        // What the controller shows the hosts' log servers: a credential of its own.
        String name = "controller-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        Credentials.Own credential = new Credentials.Own(store, name);
        // Not Micronaut.run: it installs a shutdown hook of its own, which deadlocks with the server's.
        ApplicationContext ctx = ApplicationContext.builder()
                .deduceEnvironment(false)
                .properties(Map.ofEntries(
                        Map.entry("micronaut.server.host", (Object) bindAddress),
                        Map.entry("micronaut.server.port", (Object) (port == 0 ? -1 : port)),
                        Map.entry("micronaut.server.thread-selection", "IO"),
                        Map.entry("micronaut.executors." + RunSocket.INPUT + ".type", "fixed"),
                        Map.entry("micronaut.executors." + RunSocket.INPUT + ".number-of-threads", 1),
                        Map.entry("micronaut.server.idle-timeout", "30m"),
                        // pg:backups:restore --file streams a dump of any size (the operator's token is checked first).
                        Map.entry("micronaut.server.max-request-size", "64GB"),
                        Map.entry("micronaut.server.read-idle-timeout", "30m"),
                        Map.entry("micronaut.server.write-idle-timeout", "30m"),
                        Map.entry("jackson.deserialization.failOnUnknownProperties", true),
                        Map.entry("jackson.serialization.writeDatesAsTimestamps", false),
                        Map.entry("jackson.serializationInclusion", "ALWAYS")))
                .singletons(store, config, appliances, credential, metrics)
                .start();
        ctx.getBean(dev.grid.controller.domain.Upgrades.class).run();
        ctx.getBean(EmbeddedServer.class).start();
        backupAges(store, metrics);
        BackupScheduler schedules = BackupScheduler.start(store, ctx.getBean(dev.grid.controller.domain.Addons.class),
                name, BackupScheduler.TICK);
        return new ControllerServer(ctx, credential, schedules);
    }

    /** {@code grid_addon_backup_age_seconds}: each add-on's newest backup's age, at each scrape. */
    private static void backupAges(Store store, GridMetrics metrics) {
        metrics.census("grid.addon.backup.age", "How long ago each add-on's newest backup was taken (add-ons without one have none)", "seconds", () -> {
            Map<io.micrometer.core.instrument.Tags, Double> rows = new java.util.HashMap<>();
            dev.grid.controller.domain.BackupCensus.newestAge(store.values("backups/", dev.grid.controller.domain.Addons.Backup.class), java.time.Instant.now())
                    .forEach((addon, age) -> rows.put(io.micrometer.core.instrument.Tags.of("addon", addon), age.toMillis() / 1000.0));
            return rows;
        });
    }

    public String url() {
        return url;
    }

    @Override
    public void close() {
        schedules.close();
        context.close();
        credential.close();
    }
}

package dev.grid.controller;

import dev.grid.store.Credentials;
import dev.grid.store.Store;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import java.util.Map;

/** Starts the controller's HTTP API over a store. It writes desired state; it runs nothing itself. */
public final class ControllerServer implements AutoCloseable {
    private final ApplicationContext context;
    private final String url;
    private final Credentials.Own credential;

    private ControllerServer(ApplicationContext context, Credentials.Own credential) {
        this.context = context;
        this.credential = credential;
        EmbeddedServer server = context.getBean(EmbeddedServer.class);
        this.url = "http://" + server.getHost() + ":" + server.getPort();
    }

    /** @param port 0 picks a free port */
    public static ControllerServer start(Store store, ControllerConfig config, String bindAddress, int port) {
        return start(store, config, ApplianceCatalog.none(), bindAddress, port);
    }

    public static ControllerServer start(Store store, ControllerConfig config, ApplianceCatalog appliances, String bindAddress, int port) {
        // What the controller shows the hosts' log servers: a credential of its own.
        Credentials.Own credential = new Credentials.Own(store, "controller-" + java.util.UUID.randomUUID().toString().substring(0, 8));
        // Not Micronaut.run: it installs a shutdown hook of its own, which deadlocks with the server's.
        ApplicationContext ctx = ApplicationContext.builder()
                .deduceEnvironment(false)
                .properties(Map.of(
                        "micronaut.server.host", bindAddress,
                        "micronaut.server.port", port == 0 ? -1 : port,
                        "micronaut.server.thread-selection", "IO",
                        "micronaut.server.idle-timeout", "30m",
                        "micronaut.server.read-idle-timeout", "30m",
                        "micronaut.server.write-idle-timeout", "30m",
                        "jackson.deserialization.failOnUnknownProperties", true,
                        "jackson.serialization.writeDatesAsTimestamps", false,
                        "jackson.serializationInclusion", "ALWAYS"))
                .singletons(store, config, appliances, credential)
                .start();
        ctx.getBean(dev.grid.controller.domain.Upgrades.class).run();
        ctx.getBean(EmbeddedServer.class).start();
        return new ControllerServer(ctx, credential);
    }

    public String url() {
        return url;
    }

    @Override
    public void close() {
        context.close();
        credential.close();
    }
}

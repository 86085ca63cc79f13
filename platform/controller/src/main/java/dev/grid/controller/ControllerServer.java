package dev.grid.controller;

import dev.grid.store.Store;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import java.util.Map;

/** Starts the controller's HTTP API over a store. It writes desired state; it runs nothing itself. */
public final class ControllerServer implements AutoCloseable {
    private final ApplicationContext context;
    private final String url;

    private ControllerServer(ApplicationContext context) {
        this.context = context;
        EmbeddedServer server = context.getBean(EmbeddedServer.class);
        this.url = "http://" + server.getHost() + ":" + server.getPort();
    }

    /** @param port 0 picks a free port */
    public static ControllerServer start(Store store, ControllerConfig config, String bindAddress, int port) {
        return start(store, config, ApplianceCatalog.none(), bindAddress, port);
    }

    public static ControllerServer start(Store store, ControllerConfig config, ApplianceCatalog appliances, String bindAddress, int port) {
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
                .singletons(store, config, appliances)
                .start();
        ctx.getBean(dev.grid.controller.domain.Upgrades.class).run();
        ctx.getBean(EmbeddedServer.class).start();
        return new ControllerServer(ctx);
    }

    public String url() {
        return url;
    }

    @Override
    public void close() {
        context.close();
    }
}

package dev.grid.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Grid process's metrics, through Micrometer, in Prometheus' text format: what its
 * {@code /metrics} answers (the API's where the controller runs, {@link MetricsServer}'s on
 * {@code GRID_METRICS_PORT} elsewhere). Each part records into {@link #registry()}; a part whose
 * figures are a census (jobs by state, data nodes by role) refreshes them just before a scrape.
 */
public final class GridMetrics implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GridMetrics.class);
    /** What a scrape answers with: Prometheus' text format 0.0.4. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final List<Runnable> censuses = new CopyOnWriteArrayList<>();
    private final JvmGcMetrics gc = new JvmGcMetrics();

    public GridMetrics() {
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
    }

    public MeterRegistry registry() {
        return registry;
    }

    /**
     * A gauge {@code name} of counted things (jobs by state, data nodes by role), counted again
     * before every scrape: {@code rows} gives each row's tags and value; a row it no longer gives
     * is no longer exported. {@code baseUnit} may be null.
     */
    public void census(String name, String description, String baseUnit, Supplier<Map<Tags, ? extends Number>> rows) {
        MultiGauge.Builder b = MultiGauge.builder(name).description(description);
        if (baseUnit != null) b.baseUnit(baseUnit);
        MultiGauge gauge = b.register(registry);
        censuses.add(() -> {
            List<MultiGauge.Row<?>> now = new ArrayList<>();
            rows.get().forEach((tags, value) -> now.add(MultiGauge.Row.of(tags, value)));
            gauge.register(now, true);
        });
    }

    /** Every meter now, in Prometheus' text format. A census that fails leaves its gauges as they were. */
    public String scrape() {
        for (Runnable c : censuses) {
            try {
                c.run();
            } catch (RuntimeException e) {
                log.debug("metrics: a census failed, its gauges keep their last values: {}", e.toString());
            }
        }
        return registry.scrape();
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}

package dev.grid.controller;

import dev.grid.appliance.Appliance;
import dev.grid.blobs.Blobs;
import java.util.List;

/** The appliances this Grid offers (found on the classpath) and the blob store their providers use. */
public record ApplianceCatalog(List<Appliance> appliances, Blobs blobs) {
    public ApplianceCatalog {
        appliances = List.copyOf(appliances);
    }

    public static ApplianceCatalog none() {
        return new ApplianceCatalog(List.of(), null);
    }
}

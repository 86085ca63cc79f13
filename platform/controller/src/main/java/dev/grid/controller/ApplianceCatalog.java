package dev.grid.controller;

import dev.grid.appliance.Appliance;
import dev.grid.blobs.Blobs;
import java.util.List;

/** The appliances this Grid offers (found on the classpath) and the blob store their providers use. */
public record ApplianceCatalog(List<Appliance> appliances, Blobs blobs, String machineAddress) {
    public ApplianceCatalog {
        appliances = List.copyOf(appliances);
        if (machineAddress == null) machineAddress = "127.0.0.1";
    }

    /** With the blob store on loopback: one machine. */
    public ApplianceCatalog(List<Appliance> appliances, Blobs blobs) {
        this(appliances, blobs, "127.0.0.1");
    }

    public static ApplianceCatalog none() {
        return new ApplianceCatalog(List.of(), null);
    }
}

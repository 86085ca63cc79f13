package dev.grid.appliance;

/**
 * Where one appliance cluster lives in etcd, under {@code appliances/APPLIANCE/CLUSTER/}:
 * {@code spec} (members and service, written at creation), {@code state} (the manager's,
 * by compare-and-swap), {@code nodes/NODE} (each keeper's report, leased), {@code secrets}
 * (the cluster's passwords: only its keepers and Grid's own parts read them) and
 * {@code settings} (what an operator set through Grid, which every keeper applies) and {@code keeper}
 * (the keeper program its nodes should run).
 */
public record ClusterKeys(String appliance, String cluster) {
    public static final String ROOT = "appliances/";

    public static String appliance(String appliance) {
        return ROOT + appliance + "/";
    }

    public String root() {
        return appliance(appliance) + cluster + "/";
    }

    public String spec() {
        return root() + "spec";
    }

    public String state() {
        return root() + "state";
    }

    public String secrets() {
        return root() + "secrets";
    }

    public String settings() {
        return root() + "settings";
    }

    /** The keeper program the cluster's nodes should run ({@link Clusters#upgradeKeepers}): the manager rolls them onto it. */
    public String keeper() {
        return root() + "keeper";
    }

    public String nodes() {
        return root() + "nodes/";
    }

    public String node(String id) {
        return nodes() + id;
    }

    /** The manager's note of a member's last report when that report went ({@link HostLoss.LastSeen}): what a lost node last had. */
    public String seen(String id) {
        return root() + "seen/" + id;
    }

    /** The service whose leader is the primary: what the cluster's TCP route follows. */
    public String service() {
        return "grid-" + appliance + "-" + cluster;
    }

    /** The layer-0 app that runs the cluster's data nodes. */
    public String app() {
        return "grid-" + appliance + "-" + cluster;
    }
}

package dev.grid.controller.domain;

import java.util.ArrayList;
import java.util.List;

/**
 * What {@code grid status} says about space: etcd's database against its quota (etcd refuses
 * every write once it is reached, so Grid warns at {@link #ETCD_WARN_FRACTION} of it), etcd's own
 * alarms, and the disk of the blob store (slugs, keeper programs, backups) with what the blobs
 * take. Warnings say what to do.
 *
 * @param etcdBytes the largest etcd member's database size, or -1 when none answered
 * @param blobsFree bytes free on the blob store's disk, or -1 when this controller has no blob store
 */
public record DiskStatus(long etcdBytes, long etcdQuota, List<String> etcdAlarms, String blobsDir, long blobsFree, long blobsTotal,
                         long blobsBytes, List<String> warnings) {
    public static final double ETCD_WARN_FRACTION = 0.8;
    /** Below this much free on the blob store's disk, or a tenth of it, status warns. */
    public static final long DISK_WARN_BYTES = 2L << 30;

    public DiskStatus {
        etcdAlarms = List.copyOf(etcdAlarms);
        warnings = List.copyOf(warnings);
    }

    public static DiskStatus of(long etcdBytes, long etcdQuota, List<String> etcdAlarms, String blobsDir, long blobsFree, long blobsTotal,
                                long blobsBytes) {
        List<String> warnings = new ArrayList<>();
        for (String alarm : etcdAlarms) {
            warnings.add("etcd raised the alarm " + alarm + ": it refuses writes until it is resolved. For NOSPACE, compact and defragment"
                    + " (etcdctl compact, etcdctl defrag) and then disarm it (etcdctl alarm disarm)");
        }
        if (etcdBytes >= 0 && etcdBytes >= ETCD_WARN_FRACTION * etcdQuota) {
            warnings.add("etcd's database is " + mib(etcdBytes) + " of its " + mib(etcdQuota) + " quota: at the quota etcd refuses every"
                    + " write. Defragment it (etcdctl defrag) now");
        }
        if (blobsFree >= 0 && (blobsFree < DISK_WARN_BYTES || blobsFree < blobsTotal / 10)) {
            warnings.add("the blob store's disk (" + blobsDir + ") has " + mib(blobsFree) + " free of " + mib(blobsTotal) + ": builds stop below"
                    + " GRID_BUILD_MIN_FREE and backups fail when it is full. Free space there (old backups: grid pg:backups)");
        }
        return new DiskStatus(etcdBytes, etcdQuota, etcdAlarms, blobsDir, blobsFree, blobsTotal, blobsBytes, warnings);
    }

    static String mib(long bytes) {
        return (bytes >> 20) + " MiB";
    }
}

package dev.grid.controller.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class DiskStatusTest {
    private static final long GIB = 1L << 30;

    @Test
    void roomEverywhereWarnsOfNothing() {
        assertEquals(List.of(), DiskStatus.of(100L << 20, 2 * GIB, List.of(), "/g/blobs", 50 * GIB, 100 * GIB, GIB).warnings());
    }

    @Test
    void etcdIsWarnedOfWellBeforeItsQuota() {
        long quota = 2 * GIB;
        assertEquals(List.of(), DiskStatus.of((long) (0.79 * quota), quota, List.of(), "/g", 50 * GIB, 100 * GIB, 0).warnings());
        List<String> w = DiskStatus.of((long) Math.ceil(0.8 * quota), quota, List.of(), "/g", 50 * GIB, 100 * GIB, 0).warnings();
        assertEquals(1, w.size());
        assertTrue(w.get(0).contains("1638 MiB of its 2048 MiB quota") && w.get(0).contains("etcdctl defrag"), w.get(0));
    }

    @Test
    void etcdsOwnAlarmIsPassedOnWithWhatToDo() {
        List<String> w = DiskStatus.of(-1, 2 * GIB, List.of("NOSPACE (member 8e9e05c52164694d)"), "/g", 50 * GIB, 100 * GIB, 0).warnings();
        assertEquals(1, w.size(), "an etcd that did not say its size adds no size warning: " + w);
        assertTrue(w.get(0).contains("NOSPACE") && w.get(0).contains("etcdctl alarm disarm"), w.get(0));
    }

    @Test
    void aNearlyFullBlobDiskIsWarnedOfByAbsoluteAndRelativeFloors() {
        assertEquals(1, DiskStatus.of(0, 2 * GIB, List.of(), "/g", GIB, 1000 * GIB, 0).warnings().size(), "1 GiB free of a big disk");
        assertEquals(1, DiskStatus.of(0, 2 * GIB, List.of(), "/g", 5 * GIB, 100 * GIB, 0).warnings().size(), "5 % free");
        assertEquals(0, DiskStatus.of(0, 2 * GIB, List.of(), "/g", 11 * GIB, 100 * GIB, 0).warnings().size());
        assertEquals(0, DiskStatus.of(0, 2 * GIB, List.of(), null, -1, -1, 0).warnings().size(), "no blob store here: nothing to say");
    }
}

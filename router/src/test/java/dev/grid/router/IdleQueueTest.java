package dev.grid.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class IdleQueueTest {
    private static final long MAX = 1_000;
    private final List<String> expired = new ArrayList<>();

    private String take(IdleQueue<String> q, long now) {
        return q.take(now, MAX, s -> !s.startsWith("closed"), expired::add);
    }

    @Test
    void theConnectionIdleLongestIsReusedFirst() {
        IdleQueue<String> q = new IdleQueue<>();
        q.add("a", 0);
        q.add("b", 1);
        q.add("c", 2);
        assertEquals("a", take(q, 10));
        q.add("a", 11); // returned after its exchange: behind the others now
        assertEquals("b", take(q, 12));
        assertEquals("c", take(q, 13));
        assertEquals("a", take(q, 14));
        assertNull(take(q, 15));
        assertEquals(0, q.size());
    }

    /**
     * Two app processes, each owning the connections it accepted; the one that answered last
     * returns its connection last. Requests keep alternating between them, where most recent
     * first would send every request to the process that answered last.
     */
    @Test
    void requestsSpreadOverTheProcessesBehindAPort() {
        IdleQueue<String> q = new IdleQueue<>();
        q.add("worker1-conn", 0);
        q.add("worker2-conn", 0);
        List<String> served = new ArrayList<>();
        for (int t = 1; t <= 6; t++) {
            String c = take(q, t);
            served.add(c);
            q.add(c, t);
        }
        assertEquals(List.of("worker1-conn", "worker2-conn", "worker1-conn", "worker2-conn", "worker1-conn", "worker2-conn"), served);
    }

    @Test
    void aConnectionIdleTooLongIsHandedBackToBeClosedAndTheNextOneIsTaken() {
        IdleQueue<String> q = new IdleQueue<>();
        q.add("old", 0);
        q.add("older-than-max-too", 500);
        q.add("fresh", 1_600);
        assertEquals("fresh", take(q, 1_600 + MAX));
        assertEquals(List.of("old", "older-than-max-too"), expired);
        q.add("x", 0);
        assertEquals("x", take(q, MAX)); // exactly the bound is still fine
    }

    @Test
    void aConnectionThatClosedIsDroppedNotReturnedNorExpired() {
        IdleQueue<String> q = new IdleQueue<>();
        q.add("closed-1", 0);
        q.add("open", 0);
        assertEquals("open", take(q, 5_000 - 4_000));
        assertTrue(expired.isEmpty());
        q.add("closed-2", 0);
        assertNull(take(q, 1));
        assertTrue(expired.isEmpty());
    }

    @Test
    void removeKeepsTheOrderOfTheRestAcrossTheWrapOfItsRing() {
        IdleQueue<String> q = new IdleQueue<>();
        for (int i = 0; i < 6; i++) q.add("p" + i, i);
        for (int i = 0; i < 6; i++) take(q, 10); // head now mid-array: what follows wraps around
        String[] c7 = {"c0", "c1", "c2", "c3", "c4", "c5", "c6"};
        for (int i = 0; i < 7; i++) q.add(c7[i], 20 + i);
        assertTrue(q.remove(c7[2]));
        assertFalse(q.remove(c7[2]));
        assertTrue(q.remove(c7[6]));
        assertEquals(5, q.size());
        List<String> order = new ArrayList<>();
        String c;
        while ((c = take(q, 30)) != null) order.add(c);
        assertEquals(List.of("c0", "c1", "c3", "c4", "c5"), order);
    }

    @Test
    void itGrowsPastItsFirstSizeKeepingOrderAndTimes() {
        IdleQueue<String> q = new IdleQueue<>();
        take(q, 0);
        for (int i = 0; i < 3; i++) q.add("w" + i, 0); // wrap the head before growing
        for (int i = 0; i < 3; i++) take(q, 0);
        for (int i = 0; i < 40; i++) q.add("g" + i, i * 100L);
        assertEquals(40, q.size());
        assertEquals("g30", take(q, 3_000 + MAX)); // g0..g29 idle past the bound
        assertEquals(30, expired.size());
        assertEquals(Set.of("g0", "g29"), Set.of(expired.get(0), expired.get(29)));
        assertEquals(9, q.size());
    }
}

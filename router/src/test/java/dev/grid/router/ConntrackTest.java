package dev.grid.router;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ConntrackTest {
    /** As /proc/net/nf_conntrack has it on this machine (kernel 6.18). */
    static final String TABLE = """
            ipv4     2 tcp      6 4 ESTABLISHED src=127.0.0.1 dst=127.0.0.1 sport=55004 dport=9500 src=127.0.0.1 dst=127.0.0.1 sport=9501 dport=55004 [ASSURED] mark=0 zone=0 use=2
            ipv4     2 tcp      6 431999 ESTABLISHED src=127.0.0.1 dst=127.0.0.1 sport=55010 dport=9500 src=127.0.0.1 dst=127.0.0.1 sport=9502 dport=55010 [ASSURED] mark=0 zone=0 use=2
            ipv4     2 tcp      6 93 TIME_WAIT src=127.0.0.1 dst=127.0.0.1 sport=55000 dport=9500 src=127.0.0.1 dst=127.0.0.1 sport=9501 dport=55000 [ASSURED] mark=0 zone=0 use=2
            ipv4     2 tcp      6 100 SYN_SENT src=127.0.0.1 dst=127.0.0.1 sport=55020 dport=9500 [UNREPLIED] src=127.0.0.1 dst=127.0.0.1 sport=9501 dport=55020 mark=0 zone=0 use=2
            ipv4     2 tcp      6 300 ESTABLISHED src=127.0.0.1 dst=127.0.0.1 sport=44000 dport=9500 src=127.0.0.1 dst=127.0.0.1 sport=9500 dport=44000 [ASSURED] mark=0 zone=0 use=2
            ipv4     2 udp      17 20 src=127.0.0.1 dst=127.0.0.53 sport=5353 dport=53 src=127.0.0.53 dst=127.0.0.1 sport=53 dport=5353 mark=0 zone=0 use=2
            """;

    @Test
    void theFlowsOfARouteWhoseBackendIsNoLongerLiveAreFound() {
        List<Conntrack.Flow> flows = Conntrack.flows(TABLE);
        assertEquals(5, flows.size(), "the TCP flows");
        assertEquals(new Conntrack.Flow("127.0.0.1", 55004, "127.0.0.1", 9500, "127.0.0.1", 9501), flows.get(0));
        assertEquals(new Conntrack.Flow("127.0.0.1", 55000, "127.0.0.1", 9500, "127.0.0.1", 9501, true), flows.get(2),
                "a closed one too: a new connection from its port would take up its entry, and its old backend");
        List<Conntrack.Flow> stale = Conntrack.stale(flows, Set.of(9500), Set.of("9500 . 127.0.0.1 . 9502"));
        assertEquals(List.of(55004, 55000, 55020), stale.stream().map(Conntrack.Flow::clientPort).toList(),
                "the ones on 9501; not the live backend's, nor a connection no rule redirected");
        assertEquals(List.of(), Conntrack.stale(flows, Set.of(9600), Set.of()), "only watched ports");
    }

    @Test
    void theSocketsOfAFlowArePickedAtBothEnds() {
        assertEquals("( src 127.0.0.1 and sport = :55004 and dst 127.0.0.1 and dport = :9500 ) or "
                + "( src 127.0.0.1 and sport = :9501 and dst 127.0.0.1 and dport = :55004 )",
                Conntrack.filter(List.of(new Conntrack.Flow("127.0.0.1", 55004, "127.0.0.1", 9500, "127.0.0.1", 9501))));
    }
}

package dev.grid.net;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Set;
import org.junit.jupiter.api.Test;

class ListenersTest {
    static final String TABLE = """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 00000000:4E21 00000000:0000 0A 00000000:00000000 00:00000000 00000000 200001        0 1146 1 0 100 0 0 10 0
               1: 0200007F:4E21 00000000:0000 0A 00000000:00000000 00:00000000 00000000 200002        0 1147 1 0 100 0 0 10 0
               2: 0100007F:4E21 0200007F:526E 01 00000000:00000000 03:00000768 00000000 200003        0 0 3 0
               3: 0100007F:4E22 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1148 1 0 100 0 0 10 0
            """;

    @Test
    void theOwnersOfAPortAreTheUsersOfItsListeningSocketsOnly() {
        // Port 20001 (4E21): two listeners (any address, and 127.0.0.2 alone), and a connection that is not one.
        assertEquals(Set.of(200001, 200002), Listeners.owners(TABLE, 20001));
        assertEquals(Set.of(0), Listeners.owners(TABLE, 20002));
        assertEquals(Set.of(), Listeners.owners(TABLE, 20003));
    }

    @Test
    void theListeningPortsAreThoseOfListeningSocketsOnly() {
        assertEquals(Set.of(20001, 20002), Listeners.ports(TABLE), "20001 twice, 20002; not the connection from 21102");
    }
}

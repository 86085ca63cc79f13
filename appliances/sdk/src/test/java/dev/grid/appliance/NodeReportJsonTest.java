package dev.grid.appliance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.grid.core.Json;
import org.junit.jupiter.api.Test;

/** A report as etcd holds it: what a keeper writes, the controller reads, and an earlier Grid's keeper wrote. */
class NodeReportJsonTest {
    @Test
    void aRoleIsItsWordAndAPositionTheDatastoresText() throws Exception {
        NodeReport r = new NodeReport("n1", "127.0.0.3", 3306, Role.REPLICA, 4, "n0", "0-1-42", null, 0, "replica of n0");
        JsonNode written = Json.MAPPER.readTree(Json.MAPPER.writeValueAsString(r));
        assertEquals("replica", written.path("role").asText());
        assertEquals("0-1-42", written.path("position").asText());
        assertEquals(r, Json.MAPPER.readValue(written.toString(), NodeReport.class));
    }

    @Test
    void anEarlierKeepersReportReadsAsOneOfThisVersion() throws Exception {
        // Written before positions were the datastore's text: a number; and Redis's "syncing".
        NodeReport old = Json.MAPPER.readValue("{\"id\":\"n2\",\"address\":\"127.0.0.4\",\"port\":6379,\"role\":\"syncing\",\"generation\":3,"
                + "\"position\":1234,\"downSinceMillis\":0}", NodeReport.class);
        assertEquals(Role.SYNCING, old.role());
        assertEquals("1234", old.position());
        assertTrue(old.healthy() && !old.isReplicaOf("n0"), "it answers, and is no replica yet");
        assertEquals(1234 - 1000, Positions.BYTES.distance("1000", old.position()));
    }

    @Test
    void anUnknownRoleIsRefusedByName() {
        var e = assertThrows(Exception.class, () -> Json.MAPPER.readValue("{\"id\":\"n2\",\"role\":\"leader\"}", NodeReport.class));
        assertTrue(e.getMessage().contains("leader"), e.getMessage());
    }
}

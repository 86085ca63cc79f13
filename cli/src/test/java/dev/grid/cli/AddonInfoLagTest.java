package dev.grid.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class AddonInfoLagTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aNodesLagIsShownInTheUnitItsAddonCountsIn() throws Exception {
        assertEquals("1024 B", AddonsCommands.lag(JSON.readTree("{\"node\":\"n1\",\"lag_bytes\":1024}")));
        assertEquals("3 transactions", AddonsCommands.lag(JSON.readTree("{\"node\":\"n1\",\"lag_transactions\":3}")));
        assertEquals("", AddonsCommands.lag(JSON.readTree("{\"node\":\"n0\",\"role\":\"primary\"}")), "the primary has none");
    }
}

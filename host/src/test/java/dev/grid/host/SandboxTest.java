package dev.grid.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.core.JobSpec;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SandboxTest {
    private static JobSpec job(String app, boolean oneOff, List<String> capabilities) {
        return new JobSpec(app + "-x-1", "h", app, app + "-v1", "x", "img", "cmd", Map.of(), 256, List.of(), oneOff, 0, null, null, null, capabilities);
    }

    @Test
    void anAppsJobRunsAsItsUidWithNoCapabilityWhateverItsSpecAsks() {
        Sandbox s = Sandbox.of(job("shop", false, List.of("NET_RAW", "SYS_ADMIN")), 200007).orElseThrow();
        assertEquals("200007:200007", s.user());
        assertEquals(200007, s.uid());
        assertEquals(List.of(), s.capabilities());
        assertEquals(256L << 20, s.memoryBytes());
        assertEquals(Sandbox.APP_PIDS, s.pidsLimit());
    }

    @Test
    void anAppWithoutAUidGetsNoSandboxSoItsJobDoesNotStart() {
        assertTrue(Sandbox.of(job("shop", false, List.of()), null).isEmpty());
    }

    @Test
    void aDataNodeKeepsOnlyItsDatastoresCapabilitiesAsRoot() {
        Sandbox s = Sandbox.of(job("grid-postgres-main", false, List.of("SETUID", "SETGID")), 200007).orElseThrow();
        assertEquals(null, s.user(), "root in its container, not the UID it was offered");
        assertEquals(List.of("SETUID", "SETGID"), s.capabilities());
        assertEquals(Sandbox.DATA_NODE_PIDS, s.pidsLimit());
    }

    @Test
    void onlyADataNodeGetsItsAppsSecretsNeverAOneOff() {
        assertTrue(Sandbox.getsAppSecrets(job("grid-postgres-main", false, List.of())));
        assertFalse(Sandbox.getsAppSecrets(job("grid-postgres-main", true, List.of())), "a one-off beside a data node");
        assertFalse(Sandbox.getsAppSecrets(job("shop", false, List.of())));
    }
}

package dev.grid.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PsqlCallTest {
    @Test
    void thePasswordGoesInTheEnvironmentNeverInTheArguments() {
        var call = PgCommands.PsqlCall.of("postgres://shop_db:s3cr%40t@127.0.0.1:30000/shop_db?sslmode=disable", "SELECT 1");
        assertEquals(List.of("psql", "postgres://shop_db@127.0.0.1:30000/shop_db?sslmode=disable", "-v", "ON_ERROR_STOP=1", "-c", "SELECT 1"),
                call.command());
        assertEquals(Map.of("PGPASSWORD", "s3cr@t"), call.env(), "decoded as psql would");
        assertFalse(String.join(" ", call.command()).contains("s3cr"));
    }

    @Test
    void aUrlWithoutAPasswordIsPassedAsItIs() {
        var call = PgCommands.PsqlCall.of("postgres://shop@db.internal:5432/shop", null);
        assertEquals(List.of("psql", "postgres://shop@db.internal:5432/shop"), call.command());
        assertEquals(Map.of(), call.env());
    }
}

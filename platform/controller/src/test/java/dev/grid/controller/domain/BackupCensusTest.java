package dev.grid.controller.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BackupCensusTest {
    @Test
    void eachAddOnHasItsNewestBackupsAgeAndOneWithoutBackupsHasNone() {
        Instant now = Instant.parse("2026-12-07T12:00:00Z");
        List<Addons.Backup> backups = List.of(
                new Addons.Backup("b001", "shop-db", now.minus(Duration.ofDays(2)), 10),
                new Addons.Backup("b002", "shop-db", now.minus(Duration.ofHours(3)), 10),
                new Addons.Backup("b001", "blog-db", now.minus(Duration.ofMinutes(5)), 10),
                new Addons.Backup("b001", "clock-skew-db", now.plusSeconds(30), 10));
        assertEquals(Map.of("shop-db", Duration.ofHours(3), "blog-db", Duration.ofMinutes(5), "clock-skew-db", Duration.ZERO),
                BackupCensus.newestAge(backups, now));
    }
}

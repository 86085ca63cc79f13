package dev.grid.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SlugProcessTest {
    @Test
    void aBaseImageGoesWithItsAppAndNoSooner() {
        List<String> tags = List.of("b3a420e6e9d8-200001", "b3a420e6e9d8-200002", "0a1b2c3d4e5f-200002", "b3a420e6e9d8-0",
                "b3a420e6e9d8-300007", "latest", "b3a420e6e9d8-x");
        Map<Integer, String> claims = Map.of(200001, "web", 200002, "gone");
        assertEquals(List.of("b3a420e6e9d8-200002", "0a1b2c3d4e5f-200002"), SlugProcess.staleBases(tags, claims, Set.of("web")),
                "a destroyed app's images, of every stack; not a live app's, root's, another Grid's UID or a tag of another form");
        assertEquals(List.of(), SlugProcess.staleBases(tags, claims, Set.of("web", "gone")));
    }

    @Test
    void aBaseImagesTagNamesItsUser() {
        assertEquals(java.util.OptionalInt.of(200001), SlugProcess.baseUid("b3a420e6e9d8-200001"));
        assertEquals(java.util.OptionalInt.of(0), SlugProcess.baseUid("b3a420e6e9d8-0"));
        for (String other : List.of("b3a420e6e9d8", "latest", "b3a420e6e9d8-", "b3a420e6e9d8-x1", "b3a420e6e9d8-99999999999", "b3a420e6e9d8-4294967296")) {
            assertEquals(java.util.OptionalInt.empty(), SlugProcess.baseUid(other), other);
        }
    }

    @Test
    void theSlugReachesTheContainerReadOnly() {
        assertEquals("/grid/slug.tgz", SlugProcess.bind(java.nio.file.Path.of("/var/lib/grid/slugs/x.tgz")).path());
        assertTrue(SlugProcess.bind(java.nio.file.Path.of("/x.tgz")).readOnly(),
                "read-only: a process cannot change the slug the next container unpacks");
    }
}

package dev.grid.builder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DockerfileTest {
    @Test
    void instructionsAreJoinedAcrossContinuationsWithoutComments() {
        var steps = Dockerfile.parse("""
                # syntax=docker/dockerfile:1
                FROM grid/stack:bookworm-3 AS build
                RUN npm install \\
                  # a comment inside
                  && npm run build
                copy . /srv/
                """);
        assertEquals(List.of("FROM", "RUN", "COPY"), steps.stream().map(Dockerfile.Instruction::keyword).toList());
        assertEquals("npm install && npm run build", steps.get(1).args());
        assertEquals(3, steps.get(1).line());
    }

    @Test
    void anUnknownInstructionOrNoFromIsRefusedByLine() {
        BuildFailure e = assertThrows(BuildFailure.class, () -> Dockerfile.parse("FROM x\nFETCH http://example.com\n"));
        assertEquals("Dockerfile line 2: unknown instruction FETCH", e.getMessage());
        assertThrows(BuildFailure.class, () -> Dockerfile.parse("RUN true\n"));
    }

    @Test
    void execFormShellFormPairsAndWords() {
        assertEquals(Optional.of(List.of("node", "server.js")), Dockerfile.execForm("[\"node\", \"server.js\"]"));
        assertEquals(Optional.empty(), Dockerfile.execForm("[ -f x ] && run"), "shell form starting with [");
        assertEquals(Map.of("A", "1", "B", "two words"), Dockerfile.pairs("A=1 B=\"two words\"", 1));
        assertEquals(Map.of("NODE_ENV", "production mode"), Dockerfile.pairs("NODE_ENV production mode", 1), "the old ENV form");
        assertEquals(List.of("--from=build", "/srv/app", "./"), Dockerfile.words("--from=build /srv/app ./"));
        assertEquals(List.of("a b", "c"), Dockerfile.words("'a b' c"));
    }

    @Test
    void variablesExpandAsDockerDoes() {
        Map<String, String> vars = Map.of("APP", "shop", "EMPTY", "");
        assertEquals("/srv/shop/x", Dockerfile.expand("/srv/$APP/x", vars));
        assertEquals("/srv/shop-1", Dockerfile.expand("/srv/${APP}-1", vars));
        assertEquals("dflt", Dockerfile.expand("${EMPTY:-dflt}", vars));
        assertEquals("alt", Dockerfile.expand("${APP:+alt}", vars));
        assertEquals("", Dockerfile.expand("${MISSING:+alt}", vars));
        assertEquals("$APP", Dockerfile.expand("\\$APP", vars));
    }

    @Test
    void aCommandLineRunsExactlyItsWords() {
        assertEquals("node /srv/server.js", Dockerfile.shellLine(List.of("node", "/srv/server.js")));
        assertEquals("echo 'it'\"'\"'s $HOME'", Dockerfile.shellLine(List.of("echo", "it's $HOME")));
    }

    @Test
    void noBuildStartsFromOrCopiesOutOfAnotherAppsImage() {
        DockerfileBuild.checkImage("shop", "grid-app/shop:abc", "line 1"); // its own earlier image
        DockerfileBuild.checkImage("shop", "grid/stack:bookworm-3", "line 1");
        BuildFailure other = assertThrows(BuildFailure.class, () -> DockerfileBuild.checkImage("shop", "grid-app/blog:abc", "line 1"));
        assertTrue(other.getMessage().contains("another app's image"), other.getMessage());
        assertThrows(BuildFailure.class, () -> DockerfileBuild.checkImage("shop", "grid-app/shop-admin:abc", "line 1"), "a name that only starts like it");
        assertThrows(BuildFailure.class, () -> DockerfileBuild.checkImage("shop", "scratch", "line 1"));
        assertThrows(BuildFailure.class, () -> DockerfileBuild.checkImage("shop", "sha256:0123456789abcdef", "line 1"), "an id hides whose image it is");
    }
}

package dev.grid.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompletionTest {
    @TempDir
    Path dir;

    @Test
    void bashCompletesCommandsAndTheirOptions() throws Exception {
        var cl = Grid.commandLine(new Grid());
        StringWriter out = new StringWriter();
        cl.setOut(new PrintWriter(out));
        assertEquals(0, cl.execute("completion"));
        String script = out.toString();
        Path file = Files.writeString(dir.resolve("grid-completion.bash"), script);
        // Sourced by a real bash, asked what follows "grid ps:re" and "grid logs --so".
        Process bash = new ProcessBuilder("bash", "-c", "source " + file + "; "
                + "COMP_WORDS=(grid ps:re); COMP_CWORD=1; _complete_grid; echo \"${COMPREPLY[*]}\"; "
                + "COMP_WORDS=(grid logs --so); COMP_CWORD=2; _complete_grid; echo \"${COMPREPLY[*]}\"").redirectErrorStream(true).start();
        String answer = new String(bash.getInputStream().readAllBytes());
        assertEquals(0, bash.waitFor(), answer);
        String[] lines = answer.strip().split("\n");
        assertTrue(lines[0].contains("ps:restart") && lines[0].contains("ps:resize") && !lines[0].contains("ps:scale"), answer);
        assertEquals("--source", lines[lines.length - 1].strip(), answer);
    }
}

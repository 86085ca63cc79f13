package dev.grid.drains;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SyslogFrameTest {
    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    @Test
    void aLineIsAnRfc5424MessageCountedInBytesAsLogplexSendsIt() {
        String msg = "<190>1 2026-12-07T04:00:00.123456Z d.0123456789abcdef app web.j1 - - héllo";
        byte[] frame = SyslogFrame.frame("2026-12-07T04:00:00.123456Z", "d.0123456789abcdef", "app", "web.j1", "héllo");
        assertEquals(msg.getBytes(StandardCharsets.UTF_8).length + " " + msg, text(frame), "the count is of bytes, not characters");
    }

    @Test
    void nothingAnAppPrintsEndsAMessageOrBreaksAHeader() {
        String evil = "one\n2 <190>1 forged - - -\r\n";
        String f = text(SyslogFrame.frame("2026-12-07T04:00:00.000000Z", "d.x", "app", "web job\nx", evil));
        int space = f.indexOf(' ');
        int count = Integer.parseInt(f.substring(0, space));
        assertEquals(count, f.substring(space + 1).getBytes(StandardCharsets.UTF_8).length, "the whole line, newlines and all, is one frame");
        assertTrue(f.contains(" app web_job_x - - one\n2 <190>1 forged"), "a header field has no space or control character: " + f);
        String nil = text(SyslogFrame.frame("t", "", "app", null, "m"));
        assertTrue(nil.endsWith(" t - app - - - m"), "an empty field is a nil value: " + nil);
    }

    @Test
    void aLongLineIsCutAtTenThousandBytesOnACharactersStart() {
        String line = "€".repeat(4000); // 12,000 bytes, 3 to a character
        String f = text(SyslogFrame.frame("t", "h", "app", "web.j", line));
        String message = f.substring(f.indexOf(" - - ") + 5);
        assertEquals(3333, message.length(), "9,999 bytes: the 10,000th would split a character");
        assertTrue(message.chars().allMatch(c -> c == '€'));
    }
}

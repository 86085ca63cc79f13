package dev.grid.drains;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DrainUrlTest {
    @Test
    void syslogOverTcpOrTlsAndHttpsAreDrains() {
        DrainUrl tcp = DrainUrl.parse("syslog://logs.example.com:514");
        assertEquals(DrainUrl.Kind.SYSLOG, tcp.kind());
        assertEquals("logs.example.com", tcp.host());
        assertEquals(514, tcp.port());
        assertEquals(DrainUrl.Kind.SYSLOG_TLS, DrainUrl.parse("syslog+tls://logs.example.com:6514").kind());
        DrainUrl https = DrainUrl.parse("https://user:pw@logs.example.com/in?app=shop");
        assertEquals(DrainUrl.Kind.HTTPS, https.kind());
        assertEquals(443, https.port());
        assertEquals("https://user:***@logs.example.com/in?app=shop", https.shown());
        assertEquals("syslog://logs.example.com:514", tcp.shown());
    }

    @Test
    void anythingElseIsRefusedSayingWhatWouldDo() {
        String[][] cases = {
                {"http://logs.example.com/in", "unencrypted over HTTP: use https://"},
                {"ftp://logs.example.com:21", "use syslog://HOST:PORT, syslog+tls://HOST:PORT or https://HOST/PATH"},
                {"syslog://logs.example.com", "names no port"},
                {"syslog://u:p@logs.example.com:514", "HOST:PORT only"},
                {"syslog://logs.example.com:514/path", "HOST:PORT only"},
                {"https:///in", "names no host"},
                {"", "a drain needs a URL"},
                {"syslog://logs example.com:514", "is not a URL"},
        };
        for (String[] c : cases) {
            var e = assertThrows(IllegalArgumentException.class, () -> DrainUrl.parse(c[0]), c[0]);
            assertTrue(e.getMessage().contains(c[1]), c[0] + ": " + e.getMessage());
        }
    }
}

package dev.grid.drains;

import java.nio.charset.StandardCharsets;

/**
 * One log line as an RFC 5424 syslog message, framed by octet counting (RFC 6587: its length in
 * bytes, a space, the message), as Heroku's Logplex sends it:
 * {@code <190>1 TIMESTAMP d.TOKEN app web.JOB - - MESSAGE} for an app's own output and
 * {@code ... d.TOKEN grid router - - at=info method=GET ...} for the router's lines. The framing
 * carries any bytes an app prints; nothing it prints can end a message or start another.
 */
public final class SyslogFrame {
    private SyslogFrame() {}

    /** local7.info, as Heroku's. */
    static final int PRI = 190;
    /** Heroku's Logplex cuts a message after 10,000 bytes. */
    public static final int MAX_MESSAGE_BYTES = 10_000;

    /**
     * The framed message. {@code timestamp}: RFC 3339 with at most 6 fractional digits (Grid's
     * {@code LogTimes} form); {@code host}: the drain's token; {@code appName}: {@code app} or
     * {@code grid}; {@code procId}: {@code TYPE.JOB} or {@code router}.
     */
    public static byte[] frame(String timestamp, String host, String appName, String procId, String message) {
        byte[] head = ("<" + PRI + ">1 " + field(timestamp) + " " + field(host) + " " + field(appName) + " " + field(procId) + " - - ")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] body = message.getBytes(StandardCharsets.UTF_8);
        int bodyLength = Math.min(body.length, MAX_MESSAGE_BYTES);
        // Cut at a character's start, not inside one.
        while (bodyLength < body.length && bodyLength > 0 && (body[bodyLength] & 0xC0) == 0x80) bodyLength--;
        byte[] length = (String.valueOf(head.length + bodyLength) + " ").getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[length.length + head.length + bodyLength];
        System.arraycopy(length, 0, out, 0, length.length);
        System.arraycopy(head, 0, out, length.length, head.length);
        System.arraycopy(body, 0, out, length.length + head.length, bodyLength);
        return out;
    }

    /** A header field: printable US-ASCII without spaces, at most 48 characters; "-" if empty. */
    static String field(String value) {
        if (value == null || value.isEmpty()) return "-";
        StringBuilder b = new StringBuilder(Math.min(value.length(), 48));
        for (int i = 0; i < value.length() && b.length() < 48; i++) {
            char c = value.charAt(i);
            b.append(c > 32 && c < 127 ? c : '_');
        }
        return b.toString();
    }
}

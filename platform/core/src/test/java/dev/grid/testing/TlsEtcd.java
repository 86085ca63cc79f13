package dev.grid.testing;

import dev.grid.store.LocalEtcd;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * An etcd that speaks TLS only and asks clients for a certificate, as an etcd cluster across
 * machines should: a CA, a server certificate for 127.0.0.1 and a client certificate, all made
 * with openssl for this one test.
 */
public final class TlsEtcd implements AutoCloseable {
    public final Path dir;
    public final Path ca;
    public final Path clientCert;
    public final Path clientKey;
    public final String url;
    private final Process etcd;

    public TlsEtcd() throws Exception {
        dir = Files.createTempDirectory("grid-tls-etcd");
        ca = dir.resolve("ca.pem");
        clientCert = dir.resolve("client.pem");
        clientKey = dir.resolve("client-key.pem");
        Files.writeString(dir.resolve("san.ext"), "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n");
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=grid-test-ca", "-keyout", "ca-key.pem", "-out", "ca.pem");
        for (String who : List.of("server", "client")) {
            openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + who, "-keyout", who + "-key.pem", "-out", who + ".csr");
            openssl("x509", "-req", "-in", who + ".csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial", "-days", "1",
                    "-extfile", "san.ext", "-out", who + ".pem");
        }
        int port = dev.grid.testing.Ports.free();
        int peer = dev.grid.testing.Ports.free();
        url = "https://127.0.0.1:" + port;
        etcd = new ProcessBuilder("etcd", "--name", "tls", "--data-dir", dir.resolve("data").toString(),
                "--listen-client-urls", url, "--advertise-client-urls", url,
                "--listen-peer-urls", "http://127.0.0.1:" + peer, "--initial-advertise-peer-urls", "http://127.0.0.1:" + peer,
                "--initial-cluster", "tls=http://127.0.0.1:" + peer,
                "--cert-file", dir.resolve("server.pem").toString(), "--key-file", dir.resolve("server-key.pem").toString(),
                "--trusted-ca-file", ca.toString(), "--client-cert-auth")
                .redirectErrorStream(true).redirectOutput(dir.resolve("etcd.log").toFile()).start();
        for (int i = 0; i < 100; i++) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("the TLS etcd did not start: " + Files.readString(dir.resolve("etcd.log")));
    }

    private void openssl(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) throw new IllegalStateException("openssl " + String.join(" ", args) + ": " + out);
    }

    @Override
    public void close() {
        etcd.destroy();
    }
}

package dev.grid.appliance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;

class ClusterCaTest {
    static final ClusterCa CA = ClusterCa.create("test CA");

    static SSLContext context(ClusterCa trusted, ClusterCa.Issued own) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", trusted.certificate());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(trust);
        KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        if (own != null) {
            keys.setKeyEntry("me", ClusterCa.privateKey(own.keyPem()), new char[0], new X509Certificate[] {ClusterCa.certificate(own.certPem())});
        }
        kmf.init(keys, new char[0]);
        SSLContext c = SSLContext.getInstance("TLSv1.3");
        c.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return c;
    }

    /** A TLS server that asks for a client certificate of {@link #CA}; returns what the client read or the failure. */
    static String handshake(ClusterCa.Issued server, SSLContext client) throws Exception {
        try (SSLServerSocket ss = (SSLServerSocket) context(CA, server).getServerSocketFactory().createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            ss.setNeedClientAuth(true);
            CompletableFuture<String> served = CompletableFuture.supplyAsync(() -> {
                try (SSLSocket s = (SSLSocket) ss.accept(); OutputStream out = s.getOutputStream()) {
                    out.write(("hello " + ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName()).getBytes());
                    return "served";
                } catch (Exception e) {
                    return "server refused: " + e.getMessage();
                }
            });
            try (SSLSocket s = (SSLSocket) client.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), ss.getLocalPort());
                 InputStream in = s.getInputStream()) {
                s.setSoTimeout(5000);
                String got = new String(in.readAllBytes());
                served.get(5, TimeUnit.SECONDS);
                return got;
            } catch (Exception e) {
                return "client failed: " + e;
            }
        }
    }

    @Test
    void aClientWithTheCasCertificateIsLetInAndNamedByIt() throws Exception {
        ClusterCa.Issued server = CA.issue("grid-postgres-main", true);
        ClusterCa.Issued replicator = CA.issue("replicator", false);
        assertEquals("hello CN=replicator", handshake(server, context(CA, replicator)));
    }

    @Test
    void noCertificateOrOneOfAnotherCaIsRefused() throws Exception {
        ClusterCa.Issued server = CA.issue("grid-postgres-main", true);
        ClusterCa other = ClusterCa.create("another Grid's CA");
        String none = handshake(server, context(CA, null));
        assertTrue(none.startsWith("client failed"), none);
        String foreign = handshake(server, context(CA, other.issue("grid", false)));
        assertTrue(foreign.startsWith("client failed"), foreign);
        String untrusting = handshake(server, context(other, CA.issue("grid", false)));
        assertTrue(untrusting.startsWith("client failed"), "a client that trusts another CA does not trust this server: " + untrusting);
    }

    @Test
    void certificatesSayWhatTheyAreFor() throws Exception {
        X509Certificate server = ClusterCa.certificate(CA.issue("grid-postgres-main", true).certPem());
        X509Certificate client = ClusterCa.certificate(CA.issue("grid", false).certPem());
        assertEquals(List.of("1.3.6.1.5.5.7.3.1"), server.getExtendedKeyUsage(), "server authentication");
        assertEquals(List.of("1.3.6.1.5.5.7.3.2"), client.getExtendedKeyUsage(), "client authentication");
        assertEquals(-1, client.getBasicConstraints(), "a leaf signs no certificates");
        assertEquals(0, CA.certificate().getBasicConstraints());
        client.verify(CA.certificate().getPublicKey());
        assertTrue(client.getNotAfter().after(new java.util.Date(System.currentTimeMillis() + 365L * 24 * 3600 * 1000)));
        assertThrows(IllegalArgumentException.class, () -> CA.issue("grid\nCN=evil", false), "no name injection");
        X509Certificate named = ClusterCa.certificate(CA.issue("grid-redis-cache", true, List.of("127.0.0.1", "addons.grid.test")).certPem());
        assertEquals(List.of(List.of(7, "127.0.0.1"), List.of(2, "addons.grid.test")), named.getSubjectAlternativeNames().stream().map(List::copyOf).toList(),
                "where apps reach it: an IP address and a host name");
        assertEquals(null, server.getSubjectAlternativeNames(), "none unless asked");
    }

    @Test
    void pemRoundTripsAndTheDerKeyIsTheSameKey() {
        ClusterCa.Issued issued = CA.issue("grid", false);
        assertTrue(issued.keyPem().startsWith("-----BEGIN PRIVATE KEY-----"), "PKCS#8, as Postgres and libpq read it: " + issued.keyPem());
        ClusterCa again = ClusterCa.of(CA.certPem(), CA.keyPem());
        assertEquals(CA.certificate(), again.certificate());
        ClusterCa.certificate(again.issue("grid", false).certPem()).getSubjectX500Principal(); // the key read back signs
        assertTrue(handshakeOk(again));
        assertArrayEquals(ClusterCa.privateKey(issued.keyPem()).getEncoded(), ClusterCa.pkcs8Der(issued.keyPem()));
        Map<String, String> secrets = Clusters.tlsSecrets(CA, new Clusters.Tls("grid-postgres-main", List.of("127.0.0.1"), List.of("grid", "replicator")));
        assertEquals(List.of("TLS_CA", "TLS_SERVER_CERT", "TLS_SERVER_KEY", "TLS_CLIENT_GRID_CERT", "TLS_CLIENT_GRID_KEY",
                "TLS_CLIENT_REPLICATOR_CERT", "TLS_CLIENT_REPLICATOR_KEY"), List.copyOf(secrets.keySet()));
        assertEquals("CN=replicator", ClusterCa.certificate(secrets.get("TLS_CLIENT_REPLICATOR_CERT")).getSubjectX500Principal().getName());
    }

    /** A certificate the copy issues is one the original CA's servers accept. */
    static boolean handshakeOk(ClusterCa copy) {
        try {
            return handshake(CA.issue("grid-postgres-main", true), context(CA, copy.issue("grid", false))).equals("hello CN=grid");
        } catch (Exception e) {
            return false;
        }
    }
}

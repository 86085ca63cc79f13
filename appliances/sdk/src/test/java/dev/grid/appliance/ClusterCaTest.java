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
        long days = java.time.Duration.between(java.time.Instant.now(), client.getNotAfter().toInstant()).toDays();
        assertEquals(364, days, "a year: the controller re-issues it 90 days before its end");
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

    static final java.time.Instant NOW = java.time.Instant.parse("2027-01-01T00:00:00Z");

    static ClusterCa caFrom(String name, java.time.Instant from, long days) {
        return ClusterCa.create(name, java.time.Duration.ofDays(days), from);
    }

    @Test
    void aNewCaIsMadeAYearBeforeTheNewestEndsTrustedAMonthBeforeItIssuesAndTheExpiredLeave() {
        ClusterCa old = caFrom("old", NOW.minus(java.time.Duration.ofDays(3400)), 3650); // ends in 250 days
        ClusterCa made = caFrom("new", NOW, 3650);
        List<ClusterCa> kept = ClusterCa.Authority.rotated(List.of(old), NOW, () -> made);
        assertEquals(List.of(old, made), kept, "a year before the end: a new one joins");
        assertEquals(old, ClusterCa.Authority.of(kept, NOW).issuer(), "the old one still issues while clients learn the new one");
        assertEquals(old.certPem() + made.certPem(), ClusterCa.Authority.of(kept, NOW).bundlePem(), "both are trusted");
        java.time.Instant later = NOW.plus(java.time.Duration.ofDays(31));
        assertEquals(List.of(old, made), ClusterCa.Authority.rotated(kept, later, () -> { throw new AssertionError("no third"); }));
        assertEquals(made, ClusterCa.Authority.of(kept, later).issuer(), "a month on, the new one issues");
        java.time.Instant afterOld = NOW.plus(java.time.Duration.ofDays(251));
        assertEquals(List.of(made), ClusterCa.Authority.rotated(kept, afterOld, () -> { throw new AssertionError("no third"); }), "the expired leaves the bundle");
        ClusterCa fresh = caFrom("only", NOW, 3650);
        assertEquals(List.of(fresh), ClusterCa.Authority.rotated(List.of(), NOW, () -> fresh), "the first");
        assertEquals(fresh, ClusterCa.Authority.of(List.of(fresh), NOW).issuer(), "a Grid's first CA issues at once");
    }

    @Test
    void aCertificateNeverOutlivesItsCaAndABundleReadsBackWhole() {
        ClusterCa ending = caFrom("ending", java.time.Instant.now().minus(java.time.Duration.ofDays(3600)), 3650); // 50 days left
        X509Certificate leaf = ClusterCa.certificate(ending.issue("grid", false).certPem());
        assertTrue(!leaf.getNotAfter().after(ending.certificate().getNotAfter()), "capped at the CA's end");
        assertEquals(2, ClusterCa.certificates(ending.certPem() + CA.certPem()).size());
    }
}

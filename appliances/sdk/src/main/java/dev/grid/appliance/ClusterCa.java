package dev.grid.appliance;

import dev.grid.store.Store;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Grid's certificate authority for appliance clusters: a self-signed CA (EC P-256) that Grid
 * makes once and keeps in etcd at {@link #KEY}, where only Grid's own parts read it (a keeper's
 * etcd user does not), and the leaf certificates it issues to a cluster's servers and to the
 * clients a cluster lets in by certificate (Postgres's superuser and replication users).
 */
public final class ClusterCa {
    public static final String KEY = "tls/ca";
    static final Duration CA_VALIDITY = Duration.ofDays(3650);
    /** A new CA is made this long before the newest ends. */
    static final Duration CA_RENEW_BEFORE = Duration.ofDays(365);
    /** A new CA is in every bundle this long before it issues. */
    static final Duration TRUSTED_BEFORE_ISSUING = Duration.ofDays(30);
    /** A leaf lives a year; the controller re-issues a cluster's within {@link #RENEW_BEFORE} of its end. */
    public static final Duration LEAF_VALIDITY = Duration.ofDays(365);
    public static final Duration RENEW_BEFORE = Duration.ofDays(90);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final java.util.regex.Pattern IP = java.util.regex.Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private final X509Certificate cert;
    private final PrivateKey key;

    private ClusterCa(X509Certificate cert, PrivateKey key) {
        this.cert = cert;
        this.key = key;
    }

    /** A certificate and its private key, both PEM (the key as unencrypted PKCS#8). */
    public record Issued(String certPem, String keyPem) {}

    /** The CA that issues now ({@link Authority#of}). */
    public static ClusterCa of(Store store) {
        return Authority.of(store, Instant.now()).issuer();
    }

    /**
     * Grid's CAs at {@link #KEY}: the one that issues and the bundle clients trust. The CA is
     * rotated: a year before the newest ends, a new one is made and joins the bundle (every
     * cluster's {@code TLS_CA}, and apps' CA config, within seconds); it issues once it has been
     * trusted {@link #TRUSTED_BEFORE_ISSUING}, so no client meets a certificate of a CA it does not
     * trust yet. An expired CA leaves the bundle. Stored by compare-and-swap: two controllers agree.
     */
    public record Authority(ClusterCa issuer, List<ClusterCa> trusted) {
        public String bundlePem() {
            StringBuilder b = new StringBuilder();
            for (ClusterCa ca : trusted) b.append(ca.certPem());
            return b.toString();
        }

        public static Authority of(Store store, Instant now) {
            while (true) {
                var entry = store.get(KEY);
                List<ClusterCa> cas = new java.util.ArrayList<>();
                if (entry.isPresent()) {
                    for (Object o : (List<?>) entry.get().as(Map.class).get("cas")) {
                        Map<?, ?> m = (Map<?, ?>) o;
                        cas.add(ClusterCa.of(String.valueOf(m.get("cert")), String.valueOf(m.get("key"))));
                    }
                }
                List<ClusterCa> kept = rotated(cas, now, () -> create("Grid appliance CA " + Secrets.token(8).toLowerCase()));
                if (kept.equals(cas)) return of(kept, now);
                List<Map<String, String>> stored = kept.stream().map(ca -> Map.of("cert", ca.certPem(), "key", ca.keyPem())).toList();
                if (store.txn().ifUnchanged(KEY, entry.map(dev.grid.store.Entry::modRevision).orElse(0L)).put(KEY, Map.of("cas", stored)).commit()) {
                    return of(kept, now);
                }
            }
        }

        /** The CAs to keep at {@code now}: the unexpired ones, and a new one once the newest ends within {@link #CA_RENEW_BEFORE}. */
        static List<ClusterCa> rotated(List<ClusterCa> cas, Instant now, java.util.function.Supplier<ClusterCa> make) {
            List<ClusterCa> kept = new java.util.ArrayList<>(cas.stream().filter(ca -> ca.notAfter().isAfter(now)).toList());
            if (kept.isEmpty() || kept.get(kept.size() - 1).notAfter().isBefore(now.plus(CA_RENEW_BEFORE))) kept.add(make.get());
            return kept;
        }

        /** The newest CA trusted for {@link #TRUSTED_BEFORE_ISSUING} issues; before any has been, the oldest. */
        static Authority of(List<ClusterCa> cas, Instant now) {
            ClusterCa issuer = cas.get(0);
            for (ClusterCa ca : cas) if (!ca.notBefore().isAfter(now.minus(TRUSTED_BEFORE_ISSUING))) issuer = ca;
            return new Authority(issuer, List.copyOf(cas));
        }
    }

    Instant notAfter() {
        return cert.getNotAfter().toInstant();
    }

    Instant notBefore() {
        return cert.getNotBefore().toInstant();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClusterCa other && other.cert.equals(cert);
    }

    @Override
    public int hashCode() {
        return cert.hashCode();
    }

    public static ClusterCa create(String name) {
        return create(name, CA_VALIDITY, Instant.now());
    }

    /** A CA valid from an hour before {@code from} for {@code validity}: for tests of rotation, as {@link #create(String)} otherwise. */
    public static ClusterCa create(String name, Duration validity, Instant from) {
        try {
            KeyPair pair = keyPair();
            X500Name subject = new X500Name("CN=" + name);
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(), Date.from(from.minus(Duration.ofHours(1))),
                    Date.from(from.plus(validity)), subject, pair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
            return new ClusterCa(sign(b, pair.getPrivate()), pair.getPrivate());
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot make a CA: " + e.getMessage(), e);
        }
    }

    public static ClusterCa of(String certPem, String keyPem) {
        return new ClusterCa(certificate(certPem), privateKey(keyPem));
    }

    public String certPem() {
        return pem(cert);
    }

    /** The CA's own key (PKCS#8 PEM): it belongs in Grid's store at {@link #KEY} and nowhere else. */
    public String keyPem() {
        return pem(key);
    }

    public X509Certificate certificate() {
        return cert;
    }

    /**
     * A leaf for {@code commonName}: a server's (TLS server authentication) or a client's (client
     * authentication, where Postgres's {@code clientcert=verify-full} takes the common name as
     * the user).
     */
    public Issued issue(String commonName, boolean server) {
        return issue(commonName, server, List.of());
    }

    /**
     * As above, naming also {@code addresses} (IP addresses or host names) as the server's, so
     * that a client checking the name it connected to (node-redis, {@code sslmode=verify-full})
     * accepts it.
     */
    public Issued issue(String commonName, boolean server, List<String> addresses) {
        return issue(commonName, server, addresses, LEAF_VALIDITY);
    }

    public Issued issue(String commonName, boolean server, List<String> addresses, Duration validity) {
        return issue(commonName, server, addresses, validity, false);
    }

    /**
     * As above; with {@code addressesAsNames} an IP address is named as a host name too, for a
     * client that compares the address it connected to with the certificate's host names only
     * (pgBackRest's TLS client does).
     */
    public Issued issue(String commonName, boolean server, List<String> addresses, Duration validity, boolean addressesAsNames) {
        if (!commonName.matches("[A-Za-z0-9._-]{1,64}")) throw new IllegalArgumentException("invalid certificate name '" + commonName + "'");
        try {
            KeyPair pair = keyPair();
            Instant now = Instant.now();
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            // Never past the CA's own end: the chain would stop verifying then.
            Instant end = now.plus(validity).isAfter(notAfter()) ? notAfter() : now.plus(validity);
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(cert, serial(), Date.from(now.minus(Duration.ofHours(1))),
                    Date.from(end), new X500Name("CN=" + commonName), pair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(server ? KeyPurposeId.id_kp_serverAuth : KeyPurposeId.id_kp_clientAuth))
                    .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(cert));
            if (!addresses.isEmpty()) {
                List<GeneralName> named = new java.util.ArrayList<>();
                for (String a : addresses) {
                    boolean ip = IP.matcher(a).matches() || a.contains(":");
                    named.add(new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, a));
                    if (ip && addressesAsNames) named.add(new GeneralName(GeneralName.dNSName, a));
                }
                GeneralName[] names = named.toArray(GeneralName[]::new);
                b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
            }
            return new Issued(pem(sign(b, key)), pem(pair.getPrivate()));
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot issue a certificate for " + commonName + ": " + e.getMessage(), e);
        }
    }

    /** Whether the PEM certificate ends within {@link #RENEW_BEFORE} of {@code now}: time to issue it again. */
    public static boolean renewalDue(String certPem, Instant now) {
        return certificate(certPem).getNotAfter().toInstant().isBefore(now.plus(RENEW_BEFORE));
    }

    /** A PEM certificate read back. */
    public static X509Certificate certificate(String pem) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(pem.getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not a PEM certificate: " + e.getMessage(), e);
        }
    }

    /** Every certificate of a PEM bundle, in order. */
    public static List<X509Certificate> certificates(String pem) {
        try {
            return CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem.getBytes(java.nio.charset.StandardCharsets.US_ASCII)))
                    .stream().map(c -> (X509Certificate) c).toList();
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not a PEM bundle: " + e.getMessage(), e);
        }
    }

    /** A TLS client context that trusts the CAs of {@code bundlePem} and nothing else (a cluster's TLS_CA, an app's CA config). */
    public static javax.net.ssl.SSLContext trusting(String bundlePem) {
        try {
            java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            int i = 0;
            for (X509Certificate ca : certificates(bundlePem)) trust.setCertificateEntry("ca" + i++, ca); // two while a CA is rotated
            javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance("PKIX");
            tmf.init(trust);
            javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot trust the CA bundle: " + e.getMessage(), e);
        }
    }

    /** A PEM private key read back. */
    public static PrivateKey privateKey(String pem) {
        try (PEMParser p = new PEMParser(new StringReader(pem))) {
            Object o = p.readObject();
            if (!(o instanceof PrivateKeyInfo info)) throw new IllegalArgumentException("not a PKCS#8 PEM private key");
            return new JcaPEMKeyConverter().getPrivateKey(info);
        } catch (IOException e) {
            throw new IllegalArgumentException("not a PEM private key: " + e.getMessage(), e);
        }
    }

    /** The key as PKCS#8 DER, the form the Postgres JDBC driver reads from a {@code .pk8} file. */
    public static byte[] pkcs8Der(String keyPem) {
        return privateKey(keyPem).getEncoded();
    }

    private static KeyPair keyPair() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        return g.generateKeyPair();
    }

    private static BigInteger serial() {
        return new BigInteger(127, RANDOM).add(BigInteger.ONE);
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey signer) throws GeneralSecurityException {
        try {
            return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
        } catch (org.bouncycastle.operator.OperatorCreationException | java.security.cert.CertificateException e) {
            throw new GeneralSecurityException(e);
        }
    }

    private static String pem(Object o) {
        if (o instanceof PrivateKey k) {
            // PKCS#8 ("PRIVATE KEY"), which Postgres, libpq and the JDK read alike; BouncyCastle's writer makes SEC1 of an EC key.
            return "-----BEGIN PRIVATE KEY-----\n" + java.util.Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(k.getEncoded())
                    + "\n-----END PRIVATE KEY-----\n";
        }
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            w.writeObject(o);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toString();
    }
}

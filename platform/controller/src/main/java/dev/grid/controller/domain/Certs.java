package dev.grid.controller.domain;

import dev.grid.core.Certificate;
import dev.grid.core.GridException;
import dev.grid.store.Keys;
import dev.grid.store.Store;
import jakarta.inject.Singleton;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;

/** TLS certificates the router serves by SNI. A certificate is stored only if it parses and its key matches it. */
@Singleton
public final class Certs {
    private static final Pattern DOMAIN = Pattern.compile("\\*|(\\*\\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*");
    private final Store store;

    public Certs(Store store) {
        this.store = store;
    }

    /** What the API shows: never the key. */
    public record CertInfo(String domain, String subject, Instant notAfter, Instant addedAt) {}

    public List<CertInfo> list() {
        return store.values(Keys.CERTS, Certificate.class).stream()
                .map(c -> new CertInfo(c.domain(), parseChain(c.certPem()).getSubjectX500Principal().getName(), c.notAfter(), c.addedAt()))
                .sorted(Comparator.comparing(CertInfo::domain)).toList();
    }

    public CertInfo add(String domain, String certPem, String keyPem) {
        if (domain == null || !DOMAIN.matcher(domain.toLowerCase()).matches()) {
            throw GridException.invalid("invalid domain '" + domain + "': use a DNS name, *.name for a wildcard, or * for the default certificate");
        }
        if (certPem == null || certPem.isBlank()) throw GridException.invalid("a certificate (PEM) is required");
        if (keyPem == null || keyPem.isBlank()) throw GridException.invalid("a private key (PEM) is required");
        X509Certificate cert = parseChain(certPem);
        PrivateKey key = parseKey(keyPem);
        try {
            String algorithm = key.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
            byte[] probe = "grid".getBytes(StandardCharsets.US_ASCII);
            Signature sign = Signature.getInstance(algorithm);
            sign.initSign(key);
            sign.update(probe);
            byte[] sig = sign.sign();
            Signature verify = Signature.getInstance(algorithm);
            verify.initVerify(cert.getPublicKey());
            verify.update(probe);
            if (!verify.verify(sig)) throw new IllegalArgumentException("mismatch");
        } catch (Exception e) {
            throw GridException.invalid("the private key does not belong to the certificate for " + cert.getSubjectX500Principal().getName());
        }
        String d = domain.toLowerCase();
        Certificate c = new Certificate(d, certPem, keyPem, cert.getNotAfter().toInstant(), Instant.now());
        store.put(Keys.cert(d), c);
        return new CertInfo(d, cert.getSubjectX500Principal().getName(), c.notAfter(), c.addedAt());
    }

    public void remove(String domain) {
        if (!store.delete(Keys.cert(domain.toLowerCase()))) throw GridException.notFound("no certificate for '" + domain + "': see 'grid certs'");
    }

    private static X509Certificate parseChain(String pem) {
        try {
            var certs = CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
            if (certs.isEmpty()) throw new IllegalArgumentException("empty");
            return (X509Certificate) certs.iterator().next();
        } catch (Exception e) {
            throw GridException.invalid("the certificate is not a PEM X.509 certificate chain");
        }
    }

    private static PrivateKey parseKey(String pem) {
        if (!pem.contains("-----BEGIN PRIVATE KEY-----")) {
            throw GridException.invalid("the private key must be unencrypted PKCS#8 PEM ('BEGIN PRIVATE KEY'); convert it with: openssl pkcs8 -topk8 -nocrypt -in KEY");
        }
        String body = pem.substring(pem.indexOf("-----BEGIN PRIVATE KEY-----") + 27, pem.indexOf("-----END PRIVATE KEY-----")).replaceAll("\\s", "");
        byte[] der;
        try {
            der = Base64.getDecoder().decode(body);
        } catch (IllegalArgumentException e) {
            throw GridException.invalid("the private key is not valid base64 PEM");
        }
        for (String algorithm : List.of("RSA", "EC")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (Exception tryNext) {
                // not this algorithm
            }
        }
        throw GridException.invalid("the private key is neither an RSA nor an EC key");
    }
}

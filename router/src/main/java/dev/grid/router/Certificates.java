package dev.grid.router;

import dev.grid.core.Certificate;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import io.netty.util.DomainWildcardMappingBuilder;
import io.netty.util.Mapping;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Server name to TLS context, for the router's SNI handler. Rebuilt whenever the
 * certificates in etcd change; a name without a certificate of its own gets the
 * default (self-signed unless the operator adds one for "*").
 */
final class Certificates implements Mapping<String, SslContext> {
    private static final Logger log = LoggerFactory.getLogger(Certificates.class);
    /**
     * OpenSSL (BoringSSL, from netty-tcnative) where it loads, as nginx and HAProxy use it: the
     * JDK's engine costs the router more CPU per request than the proxying itself. The JDK's otherwise.
     */
    static final io.netty.handler.ssl.SslProvider PROVIDER = io.netty.handler.ssl.OpenSsl.isAvailable()
            ? io.netty.handler.ssl.SslProvider.OPENSSL : io.netty.handler.ssl.SslProvider.JDK;
    private final SslContext fallback;
    private volatile Mapping<String, SslContext> mapping;

    Certificates() {
        try {
            SelfSignedCertificate self = new SelfSignedCertificate("grid.default");
            fallback = alpn(SslContextBuilder.forServer(self.certificate(), self.privateKey())).build();
        } catch (Exception e) {
            throw new IllegalStateException("cannot make the router's default certificate: " + e.getMessage(), e);
        }
        mapping = new DomainWildcardMappingBuilder<>(fallback).build();
    }

    static SslContext context(String certPem, String keyPem) throws SSLException {
        return alpn(SslContextBuilder.forServer(new ByteArrayInputStream(certPem.getBytes(StandardCharsets.US_ASCII)),
                new ByteArrayInputStream(keyPem.getBytes(StandardCharsets.US_ASCII)))).build();
    }

    /**
     * Offers HTTP/2 by ALPN, and HTTP/1.1 to a client that does not ask for it (or asks for
     * neither: then the router speaks HTTP/1.1). HTTP/2 needs TLS 1.2 or later with the ciphers
     * RFC 9113 9.2.2 allows.
     */
    private static SslContextBuilder alpn(SslContextBuilder b) {
        return b.sslProvider(PROVIDER).protocols("TLSv1.3", "TLSv1.2")
                .ciphers(io.netty.handler.codec.http2.Http2SecurityUtil.CIPHERS, io.netty.handler.ssl.SupportedCipherSuiteFilter.INSTANCE)
                .applicationProtocolConfig(new io.netty.handler.ssl.ApplicationProtocolConfig(
                        io.netty.handler.ssl.ApplicationProtocolConfig.Protocol.ALPN,
                        io.netty.handler.ssl.ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        io.netty.handler.ssl.ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                        io.netty.handler.ssl.ApplicationProtocolNames.HTTP_2, io.netty.handler.ssl.ApplicationProtocolNames.HTTP_1_1));
    }

    void update(Collection<Certificate> certs) {
        SslContext defaultContext = fallback;
        DomainWildcardMappingBuilder<SslContext> b = null;
        for (Certificate c : certs) {
            if (c.domain().equals("*")) {
                try {
                    defaultContext = context(c.certPem(), c.keyPem());
                } catch (SSLException e) {
                    log.warn("router: default certificate unusable: {}", e.getMessage());
                }
            }
        }
        b = new DomainWildcardMappingBuilder<>(defaultContext);
        for (Certificate c : certs) {
            if (c.domain().equals("*")) continue;
            try {
                b.add(c.domain(), context(c.certPem(), c.keyPem()));
            } catch (SSLException e) {
                log.warn("router: certificate for {} unusable: {}", c.domain(), e.getMessage());
            }
        }
        mapping = b.build();
    }

    @Override
    public SslContext map(String serverName) {
        return mapping.map(serverName == null ? "" : serverName);
    }
}

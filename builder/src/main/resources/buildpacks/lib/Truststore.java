import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;

/** Makes a PKCS#12 truststore from a PEM bundle, so Java tools trust what the machine trusts. Usage: java Truststore.java BUNDLE OUT */
public class Truststore {
    public static void main(String[] args) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        int n = 0;
        try (FileInputStream in = new FileInputStream(args[0])) {
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) store.setCertificateEntry("ca" + n++, c);
        }
        try (FileOutputStream out = new FileOutputStream(args[1])) {
            store.store(out, "changeit".toCharArray());
        }
        System.out.println("       trusting " + n + " certificates of the machine's CA bundle");
    }
}

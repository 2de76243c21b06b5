import Crypto
import Foundation
import GRPCNIOTransportHTTP2
import GatehouseIdentity
import GatehouseTestSupport
import SwiftASN1
import X509

/// Certificates for TLS listener tests, valid around the wall clock: a handshake is judged now,
/// not at ``TestPKI/referenceTime``.
///
/// A root and an issuing intermediate (the listener's `clientCA` holds both, as a deployment's
/// bundle would), the server's certificate, and client certificates issued on demand.
struct ListenerPKI: Sendable {
    let root: TestPKI.Authority
    let intermediate: TestPKI.Authority
    /// A directory holding `server.pem` and `server-key.pem`; removed by ``remove()``.
    let directory: String

    static let now = Date()

    /// A client's certificate chain (leaf first) and key, as the TLS client presents them.
    struct Client: Sendable {
        var chain: [Certificate]
        var key: P256.Signing.PrivateKey

        /// The client transport's security: presents `chain`, trusts the test root, no host name check.
        func security(trusting root: Certificate) throws -> HTTP2ClientTransport.Posix.TransportSecurity {
            let chain = try self.chain.map {
                TLSConfig.CertificateSource.bytes(Array(try $0.serializeAsPEM().pemString.utf8), format: .pem)
            }
            let rootPEM = Array(try root.serializeAsPEM().pemString.utf8)
            return .mTLS(
                certificateChain: chain, privateKey: .bytes(Array(self.key.pemRepresentation.utf8), format: .pem)
            ) {
                $0.trustRoots = .certificates([.bytes(rootPEM, format: .pem)])
                $0.serverCertificateVerification = .noHostnameVerification
            }
        }
    }

    init() throws {
        self.root = try TestPKI.root("Listener Test Root")
        self.intermediate = try TestPKI.intermediate("Listener Test Issuing CA", issuer: self.root)
        self.directory = NSTemporaryDirectory() + "gatehouse-listener-tls-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: self.directory, withIntermediateDirectories: true)
        var server = Self.leaf()
        server.subject = TestPKI.name("gatehouse")
        server.dnsNames = ["localhost"]
        server.uris = ["spiffe://gov.example/gatehouse"]
        server.extendedKeyUsage = [.serverAuth]
        let certificate = try TestPKI.issue(server, by: self.root)
        try self.write(try TestPKI.pem([certificate]), "server.pem")
        try self.write(server.key.pemRepresentation, "server-key.pem")
    }

    /// A valid client leaf (SPIFFE ID `spiffe://gov.example/envoy/front`), valid now.
    static func leaf() -> TestPKI.Leaf {
        var leaf = TestPKI.Leaf()
        leaf.subject = TestPKI.name("envoy-front")
        leaf.uris = ["spiffe://gov.example/envoy/front"]
        leaf.notBefore = Self.now - TestPKI.day
        leaf.notAfter = Self.now + 30 * TestPKI.day
        return leaf
    }

    /// A client issued by the intermediate, presenting the intermediate after its leaf.
    func client(_ configure: (inout TestPKI.Leaf) -> Void = { _ in }) throws -> Client {
        var leaf = Self.leaf()
        configure(&leaf)
        return Client(
            chain: [try TestPKI.issue(leaf, by: self.intermediate), self.intermediate.certificate], key: leaf.key)
    }

    /// The listener's trust bundle: the root and the intermediate.
    var bundle: [Certificate] { [self.root.certificate, self.intermediate.certificate] }

    var serverCertificate: String { self.directory + "/server.pem" }
    var serverKey: String { self.directory + "/server-key.pem" }

    /// Writes `text` as `name` in ``directory``; returns its path.
    @discardableResult
    func write(_ text: String, _ name: String) throws -> String {
        let path = self.directory + "/" + name
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A CRL of the intermediate, current now, revoking `serials`.
    func crl(revoking serials: [Certificate.SerialNumber]) throws -> CertificateRevocationList {
        let der = try TestPKI.crl(
            by: self.intermediate, revoking: serials, thisUpdate: Self.now - TestPKI.day,
            nextUpdate: Self.now + 7 * TestPKI.day)
        return try CertificateRevocationList(derEncoded: der, issuers: self.bundle)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: self.directory)
    }
}

import Crypto
import Foundation
import GatehouseTestSupport
import NIOSSL
import SwiftASN1
import X509

/// Certificates for the admin listener's mTLS test, valid around the wall clock (a handshake is
/// judged now): a root and an issuing intermediate, the server's certificate, and clients.
struct AdminPKI: Sendable {
    let root: TestPKI.Authority
    let intermediate: TestPKI.Authority
    static let now = Date()

    /// A client's chain (leaf first) and key.
    struct Client: Sendable {
        var chain: [Certificate]
        var key: P256.Signing.PrivateKey

        /// The client's TLS: presents `chain`, trusts `root`, checks no host name.
        func tls(trusting root: Certificate) throws -> TLSConfiguration {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateChain = try self.chain.map {
                .certificate(try NIOSSLCertificate(bytes: Array(try $0.serializeAsPEM().pemString.utf8), format: .pem))
            }
            tls.privateKey = .privateKey(
                try NIOSSLPrivateKey(bytes: Array(self.key.pemRepresentation.utf8), format: .pem))
            tls.trustRoots = .certificates([
                try NIOSSLCertificate(bytes: Array(try root.serializeAsPEM().pemString.utf8), format: .pem)
            ])
            tls.certificateVerification = .noHostnameVerification
            return tls
        }
    }

    init(_ name: String = "Admin Test") throws {
        self.root = try TestPKI.root("\(name) Root")
        self.intermediate = try TestPKI.intermediate("\(name) Issuing CA", issuer: self.root)
    }

    /// The trust bundle: root and intermediate.
    var bundle: [Certificate] { [self.root.certificate, self.intermediate.certificate] }

    /// A client issued by the intermediate, with `spiffe` as its URI SAN (none when `nil`) and `CN=common`.
    func client(_ common: String, spiffe: String?) throws -> Client {
        var leaf = TestPKI.Leaf()
        leaf.subject = TestPKI.name(common)
        leaf.uris = spiffe.map { [$0] } ?? []
        leaf.notBefore = Self.now - TestPKI.day
        leaf.notAfter = Self.now + 30 * TestPKI.day
        return Client(
            chain: [try TestPKI.issue(leaf, by: self.intermediate), self.intermediate.certificate], key: leaf.key)
    }

    /// Writes the server's certificate and key into `directory`; returns their paths.
    func writeServer(into directory: URL) throws -> (certificate: String, key: String) {
        var leaf = TestPKI.Leaf()
        leaf.subject = TestPKI.name("gatehouse-admin")
        leaf.dnsNames = ["localhost"]
        leaf.uris = []
        leaf.extendedKeyUsage = [.serverAuth]
        leaf.notBefore = Self.now - TestPKI.day
        leaf.notAfter = Self.now + 30 * TestPKI.day
        let certificate = try TestPKI.issue(leaf, by: self.root)
        let certificatePath = directory.appendingPathComponent("admin.pem").path
        let keyPath = directory.appendingPathComponent("admin-key.pem").path
        try Data(try TestPKI.pem([certificate]).utf8).write(to: URL(fileURLWithPath: certificatePath))
        try Data(leaf.key.pemRepresentation.utf8).write(to: URL(fileURLWithPath: keyPath))
        return (certificatePath, keyPath)
    }
}

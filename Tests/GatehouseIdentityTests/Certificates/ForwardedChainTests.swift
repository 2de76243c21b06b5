import Crypto
import Foundation
import GatehouseCore
import GatehouseIdentity
import GatehouseTestSupport
import SwiftASN1
import Testing
import X509

/// `source.certificate` holding the leaf followed by intermediates (XFCC `Chain=`): the extras
/// are untrusted candidates for building the path, at most 8 certificates in all, leaf first.
@Suite("Forwarded certificate chains")
struct ForwardedChainTests {
    /// A root in the bundle, an intermediate the bundle does not hold, and a leaf it issued.
    struct Hierarchy {
        let root: TestPKI.Authority
        let intermediate: TestPKI.Authority
        let leaf: Certificate

        init() throws {
            self.root = try TestPKI.root()
            self.intermediate = try TestPKI.intermediate("Forwarded Issuing CA", issuer: self.root)
            self.leaf = try TestPKI.issue(by: self.intermediate)
        }

        /// A verifier whose bundle holds only the root.
        func rootOnly(crls: [[UInt8]] = []) throws -> ClientCertificateVerifier {
            try ChainPKI.verifier(bundle: [self.root.certificate], crls: crls)
        }
    }

    @Test("A leaf followed by its intermediate verifies against a root-only bundle")
    func leafAndIntermediate() async throws {
        let pki = try Hierarchy()
        let verifier = try pki.rootOnly()
        let chain = try ChainPKI.envoyEncoded([pki.leaf, pki.intermediate.certificate])
        guard case .verified(let peer) = await verifier.verify(urlEncodedPEM: chain, at: TestPKI.referenceTime) else {
            Issue.record("the forwarded chain was rejected")
            return
        }
        #expect(peer.spiffeID == "spiffe://gov.example/ns/registry/sa/api")
        // Without the intermediate, the same leaf does not chain, as before.
        let alone = await verifier.verify(urlEncodedPEM: try TestPKI.envoyEncoded(pki.leaf), at: TestPKI.referenceTime)
        #expect(ChainPKI.detail(alone) == .certificateUntrusted)
    }

    @Test("Parsed certificates verify the same way through verify(certificates:at:)")
    func parsedEntryPoint() async throws {
        let pki = try Hierarchy()
        let verifier = try pki.rootOnly()
        let verified = await verifier.verify(
            certificates: [pki.leaf, pki.intermediate.certificate], at: TestPKI.referenceTime)
        #expect(ChainPKI.detail(verified) == nil)
        #expect(
            ChainPKI.detail(await verifier.verify(certificates: [], at: TestPKI.referenceTime)) == .certificateMalformed
        )
    }

    @Test("The client's certificates never anchor a path: a chain to the client's own root is untrusted")
    func extrasAreNotTrusted() async throws {
        let pki = try Hierarchy()
        let attacker = try TestPKI.root("Attacker Root CA")
        let attackerIntermediate = try TestPKI.intermediate("Attacker Issuing CA", issuer: attacker)
        let leaf = try TestPKI.issue(by: attackerIntermediate)
        let chain = try ChainPKI.envoyEncoded([leaf, attackerIntermediate.certificate, attacker.certificate])
        let result = try await pki.rootOnly().verify(urlEncodedPEM: chain, at: TestPKI.referenceTime)
        #expect(ChainPKI.detail(result) == .certificateUntrusted)
    }

    @Test("An intermediate that claims the bundle root's name but has its own key does not chain")
    func lookAlikeIntermediate() async throws {
        let pki = try Hierarchy()
        // Same subject as the real intermediate, issued by a look-alike of the root with another key.
        let lookAlikeRoot = try ChainPKI.authority(pki.root.name)
        let forged = try ChainPKI.authority(pki.intermediate.name, issuer: lookAlikeRoot)
        let leaf = try TestPKI.issue(by: forged)
        let chain = try ChainPKI.envoyEncoded([leaf, forged.certificate, lookAlikeRoot.certificate])
        let result = try await pki.rootOnly().verify(urlEncodedPEM: chain, at: TestPKI.referenceTime)
        #expect(ChainPKI.detail(result) == .certificateUntrusted)
    }

    @Test("Extras that take no part in the path are ignored")
    func unusedExtras() async throws {
        let pki = try Hierarchy()
        let unrelated = try TestPKI.root("Unrelated Root CA")
        let chain = try ChainPKI.envoyEncoded([
            pki.leaf, unrelated.certificate, pki.intermediate.certificate, try TestPKI.issue(by: pki.root),
        ])
        #expect(
            ChainPKI.detail(try await pki.rootOnly().verify(urlEncodedPEM: chain, at: TestPKI.referenceTime)) == nil)
    }

    @Test("The first certificate is the leaf: an intermediate sent first is refused as a CA")
    func leafFirst() async throws {
        let pki = try Hierarchy()
        let chain = try ChainPKI.envoyEncoded([pki.intermediate.certificate, pki.leaf])
        let result = try await pki.rootOnly().verify(urlEncodedPEM: chain, at: TestPKI.referenceTime)
        #expect(ChainPKI.detail(result) == .certificateIsCA)
    }

    @Test("A forwarded intermediate is held to every rule: expired, it fails the chain")
    func expiredForwardedIntermediate() async throws {
        let root = try TestPKI.root()
        let expired = try TestPKI.intermediate(
            "Expired Issuing CA", issuer: root, notBefore: TestPKI.referenceDate - 400 * TestPKI.day,
            notAfter: TestPKI.referenceDate - TestPKI.day)
        let chain = try ChainPKI.envoyEncoded([try TestPKI.issue(by: expired), expired.certificate])
        let result = try await ChainPKI.verifier(bundle: [root.certificate]).verify(
            urlEncodedPEM: chain, at: TestPKI.referenceTime)
        #expect(ChainPKI.detail(result) == .certificateChainExpired)
    }

    @Test("A forwarded intermediate revoked by the root's CRL revokes its leaves")
    func revokedForwardedIntermediate() async throws {
        let pki = try Hierarchy()
        let crl = try TestPKI.crl(by: pki.root, revoking: [pki.intermediate.certificate.serialNumber])
        let chain = try ChainPKI.envoyEncoded([pki.leaf, pki.intermediate.certificate])
        let result = try await pki.rootOnly(crls: [crl]).verify(urlEncodedPEM: chain, at: TestPKI.referenceTime)
        #expect(ChainPKI.detail(result) == .certificateRevoked)
    }

    @Test("Eight certificates are read; a ninth is certificate_chain_too_long")
    func countLimit() async throws {
        let pki = try Hierarchy()
        let verifier = try pki.rootOnly()
        let filler = try (0..<6).map { _ in try TestPKI.issue(by: pki.root) }
        let eight = [pki.leaf, pki.intermediate.certificate] + filler
        #expect(
            ChainPKI.detail(
                await verifier.verify(urlEncodedPEM: try ChainPKI.envoyEncoded(eight), at: TestPKI.referenceTime))
                == nil)
        let nine = eight + [try TestPKI.issue(by: pki.root)]
        let result = await verifier.verify(urlEncodedPEM: try ChainPKI.envoyEncoded(nine), at: TestPKI.referenceTime)
        #expect(ChainPKI.detail(result) == .certificateChainTooLong)
        #expect(
            ChainPKI.detail(await verifier.verify(certificates: nine, at: TestPKI.referenceTime))
                == .certificateChainTooLong)
    }

    @Test("The 64 KiB bound covers the whole chain")
    func sizeLimit() async throws {
        let pki = try Hierarchy()
        let chain = try ChainPKI.envoyEncoded([pki.leaf, pki.intermediate.certificate])
        let padding = String(repeating: "%0A", count: (URLEncodedPEMLimits.bytes - chain.utf8.count) / 3 + 1)
        let result = try await pki.rootOnly().verify(urlEncodedPEM: chain + padding, at: TestPKI.referenceTime)
        #expect(ChainPKI.detail(result) == .certificateTooLarge)
    }

    @Test(
        "Anything but certificate blocks separated by whitespace is certificate_malformed",
        arguments: [
            "text between blocks", "a key after the leaf", "an extra that is not X.509", "a truncated second block",
        ])
    func malformedChains(kind: String) async throws {
        let pki = try Hierarchy()
        let leafPEM = try TestPKI.pem([pki.leaf])
        let intermediatePEM = try TestPKI.pem([pki.intermediate.certificate])
        let text =
            switch kind {
            case "text between blocks": leafPEM + "Subject: CN=Forwarded Issuing CA\n" + intermediatePEM
            case "a key after the leaf": leafPEM + TestPKI.pem([0x30, 0x03, 0x02, 0x01, 0x00], label: "PRIVATE KEY")
            case "an extra that is not X.509": leafPEM + TestPKI.pem(Array("not DER".utf8), label: "CERTIFICATE")
            default: leafPEM + String(intermediatePEM.dropLast(40))
            }
        let result = try await pki.rootOnly().verify(urlEncodedPEM: TestPKI.urlEncoded(text), at: TestPKI.referenceTime)
        #expect(ChainPKI.detail(result) == .certificateMalformed, "\(kind)")
    }
}

/// The limits of `source.certificate` as the tests need them.
enum URLEncodedPEMLimits {
    static let bytes = 64 * 1024
}

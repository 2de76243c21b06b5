import Crypto
import Foundation
import GatehouseCore
import GatehouseIdentity
import GatehouseTestSupport
import SwiftASN1
import Testing
import X509

/// CRLs of intermediates the bundle does not hold: accepted at load, verified against the
/// intermediate met while building a path, so a root-only bundle can revoke what its
/// intermediates issued.
@Suite("CRLs of intermediates")
struct IntermediateRevocationTests {
    static let revokedSerial = Certificate.SerialNumber(bytes: [0x0B, 0xAD, 0x01])

    /// A root, an intermediate outside the bundle, a leaf it revoked and a leaf it did not.
    struct Hierarchy {
        let root: TestPKI.Authority
        let intermediate: TestPKI.Authority
        let revoked: Certificate
        let good: Certificate

        init(
            intermediate make: (TestPKI.Authority) throws -> TestPKI.Authority = {
                try TestPKI.intermediate("Forwarded Issuing CA", issuer: $0)
            }
        ) throws {
            self.root = try TestPKI.root()
            self.intermediate = try make(self.root)
            var leaf = TestPKI.Leaf()
            leaf.serialNumber = IntermediateRevocationTests.revokedSerial
            self.revoked = try TestPKI.issue(leaf, by: self.intermediate)
            self.good = try TestPKI.issue(by: self.intermediate)
        }

        func check(_ leaf: Certificate, crls: [[UInt8]], at time: UnixTime = TestPKI.referenceTime) async throws
            -> DecisionReason?
        {
            let verifier = try ChainPKI.verifier(bundle: [self.root.certificate], crls: crls)
            return ChainPKI.detail(
                await verifier.verify(
                    urlEncodedPEM: try ChainPKI.envoyEncoded([leaf, self.intermediate.certificate]), at: time))
        }
    }

    @Test("A CRL whose issuer is in no bundle CA's name loads unverified, to be checked during path building")
    func loadsPending() throws {
        let pki = try Hierarchy()
        let crl = try CertificateRevocationList(
            derEncoded: try TestPKI.crl(by: pki.intermediate, revoking: [Self.revokedSerial]),
            issuers: [pki.root.certificate])
        #expect(crl.signer == nil)
        #expect(crl.isSigned(by: pki.intermediate.certificate))
        #expect(!crl.isSigned(by: pki.root.certificate))
    }

    @Test("A root-only bundle revokes through the CRL of the intermediate in the forwarded chain")
    func revokesThroughIntermediate() async throws {
        let pki = try Hierarchy()
        let crl = try TestPKI.crl(by: pki.intermediate, revoking: [Self.revokedSerial])
        #expect(try await pki.check(pki.revoked, crls: [crl]) == .certificateRevoked)
        #expect(try await pki.check(pki.good, crls: [crl]) == nil)
    }

    @Test("The outcome is remembered per intermediate: the same verifier answers alike on every check")
    func remembered() async throws {
        let pki = try Hierarchy()
        let verifier = try ChainPKI.verifier(
            bundle: [pki.root.certificate],
            crls: [try TestPKI.crl(by: pki.intermediate, revoking: [Self.revokedSerial])])
        for _ in 0..<3 {
            let revoked = await verifier.verify(
                urlEncodedPEM: try ChainPKI.envoyEncoded([pki.revoked, pki.intermediate.certificate]),
                at: TestPKI.referenceTime)
            let good = await verifier.verify(
                urlEncodedPEM: try ChainPKI.envoyEncoded([pki.good, pki.intermediate.certificate]),
                at: TestPKI.referenceTime)
            #expect(ChainPKI.detail(revoked) == .certificateRevoked)
            #expect(ChainPKI.detail(good) == nil)
        }
    }

    @Test("A CRL in the intermediate's name that its key does not verify makes revocation unknown, fail closed")
    func forgedIntermediateCRL() async throws {
        let pki = try Hierarchy()
        let forged = try TestPKI.crl(by: pki.intermediate, revoking: [], signingKey: P256.Signing.PrivateKey())
        #expect(try await pki.check(pki.good, crls: [forged]) == .certificateRevocationUnknown)
    }

    @Test("Of two intermediates sharing a name, the CRL counts only for the one whose key signed it")
    func reKeyedIntermediate() async throws {
        let pki = try Hierarchy()
        let reKeyed = try TestPKI.intermediate("Forwarded Issuing CA", issuer: pki.root)
        var leaf = TestPKI.Leaf()
        leaf.serialNumber = Self.revokedSerial
        let sameSerialOtherKey = try TestPKI.issue(leaf, by: reKeyed)
        let crl = try TestPKI.crl(by: pki.intermediate, revoking: [Self.revokedSerial])
        let verifier = try ChainPKI.verifier(bundle: [pki.root.certificate], crls: [crl])
        let first = await verifier.verify(
            urlEncodedPEM: try ChainPKI.envoyEncoded([pki.revoked, pki.intermediate.certificate]),
            at: TestPKI.referenceTime)
        let second = await verifier.verify(
            urlEncodedPEM: try ChainPKI.envoyEncoded([sameSerialOtherKey, reKeyed.certificate]),
            at: TestPKI.referenceTime)
        #expect(ChainPKI.detail(first) == .certificateRevoked)
        #expect(ChainPKI.detail(second) == .certificateRevocationUnknown)
    }

    @Test("A stale CRL of an intermediate makes revocation unknown")
    func staleIntermediateCRL() async throws {
        let pki = try Hierarchy()
        let stale = try TestPKI.crl(
            by: pki.intermediate, revoking: [], thisUpdate: TestPKI.referenceDate - 10 * TestPKI.day,
            nextUpdate: TestPKI.referenceDate - TestPKI.day)
        #expect(try await pki.check(pki.good, crls: [stale]) == .certificateRevocationUnknown)
    }

    @Test("An intermediate whose key usage lacks cRLSign cannot issue the CRL: revocation unknown")
    func intermediateWithoutCRLSign() async throws {
        let pki = try Hierarchy { root in
            try ChainPKI.authority(
                TestPKI.name("Forwarded Issuing CA"), issuer: root, keyUsage: KeyUsage(keyCertSign: true))
        }
        let crl = try TestPKI.crl(by: pki.intermediate, revoking: [Self.revokedSerial])
        #expect(try await pki.check(pki.revoked, crls: [crl]) == .certificateRevocationUnknown)
    }

    @Test("A CRL for another intermediate's name leaves this chain unchecked")
    func otherIntermediate() async throws {
        let pki = try Hierarchy()
        let other = try TestPKI.intermediate("Other Issuing CA", issuer: pki.root)
        let crl = try TestPKI.crl(by: other, revoking: [Self.revokedSerial])
        #expect(try await pki.check(pki.revoked, crls: [crl]) == nil)
    }

    @Test("Loaded from files: a root-only bundle and an intermediate's CRL revoke a forwarded leaf")
    func loadedFromFiles() async throws {
        let pki = try Hierarchy()
        try await ClientCertificateVerifierLoadingTests.withDirectory { directory in
            try ClientCertificateVerifierLoadingTests.write(
                try TestPKI.pem([pki.root.certificate]), "root.pem", in: directory)
            try ClientCertificateVerifierLoadingTests.write(
                TestPKI.pem(try TestPKI.crl(by: pki.intermediate, revoking: [Self.revokedSerial]), label: "X509 CRL"),
                "issuing.crl.pem", in: directory)
            let verifier = try ClientCertificateVerifier(
                settings: ClientCertificateVerifierLoadingTests.settings(
                    bundle: "root.pem", crls: ["issuing.crl.pem"], in: directory))
            let revoked = await verifier.verify(
                urlEncodedPEM: try ChainPKI.envoyEncoded([pki.revoked, pki.intermediate.certificate]),
                at: TestPKI.referenceTime)
            let good = await verifier.verify(
                urlEncodedPEM: try ChainPKI.envoyEncoded([pki.good, pki.intermediate.certificate]),
                at: TestPKI.referenceTime)
            #expect(ChainPKI.detail(revoked) == .certificateRevoked)
            #expect(ChainPKI.detail(good) == nil)
        }
    }
}

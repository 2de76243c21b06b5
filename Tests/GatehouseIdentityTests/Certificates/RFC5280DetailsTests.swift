import Crypto
import Foundation
import GatehouseCore
import GatehouseIdentity
import GatehouseTestSupport
import SwiftASN1
import Testing
import X509

/// RFC 5280 details swift-certificates leaves to its caller (issue #11, item 10), each decided
/// by a coded policy of Gatehouse's own.
@Suite("RFC 5280 details")
struct RFC5280DetailsTests {
    static func verify(
        _ leaf: Certificate, chain extras: [Certificate] = [], bundle: [Certificate],
        at time: UnixTime = TestPKI.referenceTime
    ) async throws -> CertificateVerification {
        let verifier = try ChainPKI.verifier(bundle: bundle)
        return await verifier.verify(urlEncodedPEM: try ChainPKI.envoyEncoded([leaf] + extras), at: time)
    }

    // MARK: keyCertSign

    @Test("A non-CA leaf asserting keyCertSign is refused with its own code")
    func keyCertSignOnLeaf() async throws {
        let root = try TestPKI.root()
        let leaf = try ChainPKI.leaf(by: root, keyUsage: KeyUsage(digitalSignature: true, keyCertSign: true))
        let result = try await Self.verify(leaf, bundle: [root.certificate])
        #expect(ChainPKI.detail(result) == .certificateKeyCertSignWithoutCA)
        #expect(ChainPKI.description(result).contains("keyCertSign"))
    }

    @Test("A leaf with keyCertSign and no digitalSignature keeps certificate_usage_invalid")
    func keyCertSignOnlyKeepsItsCode() async throws {
        let root = try TestPKI.root()
        let leaf = try ChainPKI.leaf(by: root, keyUsage: KeyUsage(keyCertSign: true))
        #expect(ChainPKI.detail(try await Self.verify(leaf, bundle: [root.certificate])) == .certificateUsageInvalid)
    }

    @Test("An issuing CA whose key usage lacks keyCertSign does not make a chain")
    func issuerWithoutKeyCertSign() async throws {
        let root = try TestPKI.root()
        let intermediate = try ChainPKI.authority(
            TestPKI.name("CRL-only CA"), issuer: root, keyUsage: KeyUsage(cRLSign: true))
        let result = try await Self.verify(
            try ChainPKI.leaf(by: intermediate), chain: [intermediate.certificate], bundle: [root.certificate])
        #expect(ChainPKI.detail(result) == .certificateChainInvalid)
        #expect(ChainPKI.description(result).contains("keyCertSign"))
    }

    @Test("A path length constraint counts the intermediates below the CA")
    func pathLength() async throws {
        let root = try ChainPKI.authority(TestPKI.name("Root"), pathLength: 0)
        let intermediate = try ChainPKI.authority(TestPKI.name("Issuing CA"), issuer: root)
        let direct = try await Self.verify(try ChainPKI.leaf(by: root), bundle: [root.certificate])
        let below = try await Self.verify(
            try ChainPKI.leaf(by: intermediate), chain: [intermediate.certificate], bundle: [root.certificate])
        #expect(ChainPKI.detail(direct) == nil)
        #expect(ChainPKI.detail(below) == .certificateChainInvalid)
    }

    // MARK: notAfter precision

    @Test(
        "notAfter is compared at the certificate's one-second precision",
        arguments: [
            (0, 0, true), (0, 5, true), (0, 999, true), (1, 0, false), (1, 5, false), (-1, 995, true),
        ])
    func notAfterPrecision(seconds: Int64, milliseconds: Int32, isValid: Bool) async throws {
        let root = try TestPKI.root()
        // The leaf's last valid second is the reference time.
        let leaf = try ChainPKI.leaf(by: root, notAfter: TestPKI.referenceDate)
        let time = ChainPKI.time(seconds: seconds, milliseconds: milliseconds)
        let result = try await Self.verify(leaf, bundle: [root.certificate], at: time)
        #expect(ChainPKI.detail(result) == (isValid ? nil : .certificateExpired), "at \(time)")
    }

    @Test("notBefore too: 5 ms before it is still before it")
    func notBeforePrecision() async throws {
        let root = try TestPKI.root()
        var leaf = TestPKI.Leaf()
        leaf.notBefore = TestPKI.referenceDate
        let certificate = try TestPKI.issue(leaf, by: root)
        let early = try await Self.verify(
            certificate, bundle: [root.certificate], at: ChainPKI.time(seconds: -1, milliseconds: 995))
        let onTime = try await Self.verify(
            certificate, bundle: [root.certificate], at: ChainPKI.time(seconds: 0, milliseconds: 5))
        #expect(ChainPKI.detail(early) == .certificateNotYetValid)
        #expect(ChainPKI.detail(onTime) == nil)
    }

    @Test("An intermediate's notAfter has the same precision")
    func intermediatePrecision() async throws {
        let root = try TestPKI.root()
        let intermediate = try TestPKI.intermediate(issuer: root, notAfter: TestPKI.referenceDate)
        let leaf = try TestPKI.issue(by: intermediate)
        let bundle = [root.certificate, intermediate.certificate]
        let inside = try await Self.verify(leaf, bundle: bundle, at: ChainPKI.time(milliseconds: 5))
        let after = try await Self.verify(leaf, bundle: bundle, at: ChainPKI.time(seconds: 1, milliseconds: 5))
        #expect(ChainPKI.detail(inside) == nil)
        #expect(ChainPKI.detail(after) == .certificateChainExpired)
    }
}

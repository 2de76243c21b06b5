import Crypto
import Foundation
import GatehouseCore
import GatehouseIdentity
import GatehouseTestSupport
import SwiftASN1
import Testing
import X509

/// Path building is bounded by a fixed number of signature checks per verification, so many
/// CAs sharing one subject with different keys cannot make a check take seconds.
@Suite("Path building limits")
struct PathBuildingLimitTests {
    static let sharedName = TestPKI.name("Pathological CA")

    /// `count` CAs named ``sharedName``, each with its own key; CA `k` is issued by CA `k + 1`
    /// (self-issued, so no path length applies), the last by `root`. `keyIdentifiers: false`
    /// leaves out the key identifiers that would let path building prefer the right issuer.
    static func sameNamedCAs(
        _ count: Int, root: TestPKI.Authority, keyIdentifiers: Bool
    ) throws -> [TestPKI.Authority] {
        var authorities: [TestPKI.Authority] = []
        var issuer = try ChainPKI.authority(Self.sharedName, issuer: root, keyIdentifiers: keyIdentifiers)
        authorities.append(issuer)
        for _ in 1..<count {
            issuer = try ChainPKI.authority(Self.sharedName, issuer: issuer, keyIdentifiers: keyIdentifiers)
            authorities.append(issuer)
        }
        return authorities.reversed()
    }

    /// Verifies `leaf` with `bundle` and `extras`, and reports how long it took.
    static func timedVerify(
        _ leaf: Certificate, extras: [Certificate] = [], bundle: [Certificate], label: String
    ) async throws -> CertificateVerification {
        let verifier = ClientCertificateVerifier(trustBundle: bundle, crls: [], trustDomain: "gov.example", xroad: [])
        let encoded = try ChainPKI.envoyEncoded([leaf] + extras)
        let clock = ContinuousClock()
        var result: CertificateVerification?
        let elapsed = await clock.measure {
            result = await verifier.verify(urlEncodedPEM: encoded, at: TestPKI.referenceTime)
        }
        // Not asserted (timing is the machine's); the bound is structural. Printed for the record.
        print("path building, \(label): \(elapsed) → \(ChainPKI.detail(result!)?.code ?? "verified")")
        return try #require(result)
    }

    @Test("40 CAs with one subject and different keys, chained to each other: refused after the fixed budget")
    func chainOfSameNamedCAs() async throws {
        let root = try TestPKI.root()
        let authorities = try Self.sameNamedCAs(40, root: root, keyIdentifiers: false)
        let leaf = try ChainPKI.leaf(by: authorities[0])
        let result = try await Self.timedVerify(
            leaf, bundle: [root.certificate] + authorities.map(\.certificate).shuffled(), label: "40 chained, bundle")
        #expect(ChainPKI.detail(result) == .certificatePathLimitExceeded)
        #expect(ChainPKI.description(result).contains("32 signature checks"))
    }

    @Test("40 same-named CAs that did not issue the leaf: refused after the fixed budget, not 40 × 40 checks")
    func decoysWithoutIdentifiers() async throws {
        let root = try TestPKI.root()
        let decoys = try (0..<40).map { _ in
            try ChainPKI.authority(Self.sharedName, issuer: root, keyIdentifiers: false)
        }
        let stranger = try ChainPKI.authority(Self.sharedName, keyIdentifiers: false)
        let leaf = try ChainPKI.leaf(by: stranger)
        let result = try await Self.timedVerify(
            leaf, bundle: [root.certificate] + decoys.map(\.certificate), label: "40 decoys, bundle")
        #expect(ChainPKI.detail(result) == .certificatePathLimitExceeded)
    }

    @Test("Among 40 same-named CAs, the issuer the leaf's key identifier names is followed first and verifies")
    func identifiedIssuerAmongDecoys() async throws {
        let root = try TestPKI.root()
        let decoys = try (0..<40).map { _ in try ChainPKI.authority(Self.sharedName, issuer: root) }
        let issuer = try ChainPKI.authority(Self.sharedName, issuer: root)
        let leaf = try ChainPKI.leaf(by: issuer)
        let result = try await Self.timedVerify(
            leaf, bundle: [root.certificate] + decoys.map(\.certificate) + [issuer.certificate],
            label: "issuer among 40 decoys")
        #expect(ChainPKI.detail(result) == nil)
    }

    @Test("Seven keys under one name, each certified by every other (42 CAs): refused after the fixed budget")
    func crossSignedSameNamedCAs() async throws {
        // Every simple path among the keys is a candidate chain, none reaches a root: an
        // exhaustive search explores 7! orderings (swift-certificates' Verifier took 91 s here).
        let root = try TestPKI.root()
        let keys = (0..<7).map { _ in P256.Signing.PrivateKey() }
        // Any certificate named `sharedName` stands for the issuer; only its name and key are used.
        let named = try ChainPKI.authority(Self.sharedName, keyIdentifiers: false).certificate
        var authorities: [TestPKI.Authority] = []
        for subject in keys.indices {
            for issuer in keys.indices where issuer != subject {
                authorities.append(
                    try ChainPKI.authority(
                        Self.sharedName, key: keys[subject],
                        issuer: TestPKI.Authority(certificate: named, key: keys[issuer]),
                        keyIdentifiers: false))
            }
        }
        let leaf = try ChainPKI.leaf(by: authorities[0])
        let result = try await Self.timedVerify(
            leaf, bundle: [root.certificate] + authorities.map(\.certificate), label: "42 cross-signed, bundle")
        #expect(ChainPKI.detail(result) == .certificatePathLimitExceeded)
    }

    @Test("A forwarded chain of same-named CAs is held to the same budget")
    func forwardedSameNamedCAs() async throws {
        let root = try TestPKI.root()
        let authorities = try Self.sameNamedCAs(40, root: root, keyIdentifiers: false)
        let leaf = try ChainPKI.leaf(by: authorities[0])
        // Seven extras (the most a forwarded chain may hold), the rest in the bundle.
        let result = try await Self.timedVerify(
            leaf, extras: authorities.prefix(7).map(\.certificate),
            bundle: [root.certificate] + authorities.dropFirst(7).map(\.certificate), label: "7 forwarded + 33 bundle")
        #expect(ChainPKI.detail(result) == .certificatePathLimitExceeded)
    }

    @Test("A path longer than ten certificates is not built")
    func pathLengthCap() async throws {
        let root = try TestPKI.root()
        // CA 1 issued by the root, CA k + 1 by CA k: nine intermediates, each with its own name.
        var authorities = [try ChainPKI.authority(TestPKI.name("CA 1"), issuer: root)]
        for index in 2...9 {
            authorities.append(try ChainPKI.authority(TestPKI.name("CA \(index)"), issuer: authorities[index - 2]))
        }
        let bundle = [root.certificate] + authorities.map(\.certificate)
        // Leaf, nine intermediates and the root: 11 certificates.
        let long = try ChainPKI.leaf(by: authorities[8])
        #expect(
            ChainPKI.detail(try await Self.timedVerify(long, bundle: bundle, label: "11-certificate path"))
                == .certificateUntrusted)
        // Leaf, eight intermediates and the root: 10, verified.
        let shorter = try ChainPKI.leaf(by: authorities[7])
        #expect(
            ChainPKI.detail(try await Self.timedVerify(shorter, bundle: bundle, label: "10-certificate path")) == nil)
    }
}

import GatehouseCore
import GatehouseIdentity
import GatehouseTestSupport
import SwiftASN1
import Testing
import X509

/// `ClientCertificateVerifier` as the listeners' `ListenerPeerVerifier`, without a socket: what
/// it answers for presented chains, at the tests' reference time.
@Suite("The listener peer verifier")
struct ListenerPeerVerifierTests {
    static func der(_ certificate: Certificate) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return serializer.serializedBytes
    }

    static func detail(_ verification: ListenerPeerVerification) -> String? {
        guard case .refused(let failure) = verification else { return nil }
        return failure.detail?.code
    }

    @Test("An accepted chain answers the verified path, leaf to root, and what the leaf names")
    func acceptedPath() async throws {
        let root = try TestPKI.root()
        let intermediate = try TestPKI.intermediate(issuer: root)
        let leaf = try TestPKI.issue(by: intermediate)
        // Only the root is in the bundle: the client's intermediate builds the path.
        let verifier = ClientCertificateVerifier(trustBundle: [root.certificate], crls: [], trustDomain: nil, xroad: [])
        let verification = await verifier.verify(
            chain: [try Self.der(leaf), try Self.der(intermediate.certificate)], at: TestPKI.referenceTime)
        guard case .accepted(let peer) = verification else {
            Issue.record("refused: \(verification)")
            return
        }
        #expect(
            peer.certificateChain == [
                try Self.der(leaf), try Self.der(intermediate.certificate), try Self.der(root.certificate),
            ])
        #expect(peer.identity.spiffeID == "spiffe://gov.example/ns/registry/sa/api")
        #expect(peer.identity.subject == "CN=client,O=Gatehouse Test")
    }

    @Test("No certificate, one that is not X.509, and more than a forwarded chain may hold are refused unread")
    func unreadable() async throws {
        let root = try TestPKI.root()
        let verifier = ClientCertificateVerifier(trustBundle: [root.certificate], crls: [], trustDomain: nil, xroad: [])
        let leaf = try Self.der(try TestPKI.issue(by: root))
        #expect(Self.detail(await verifier.verify(chain: [], at: TestPKI.referenceTime)) == "certificate_malformed")
        #expect(
            Self.detail(
                await verifier.verify(chain: [leaf, [0x30, 0x03, 0x02, 0x01, 0x00]], at: TestPKI.referenceTime))
                == "certificate_malformed")
        #expect(
            Self.detail(await verifier.verify(chain: Array(repeating: leaf, count: 9), at: TestPKI.referenceTime))
                == "certificate_chain_too_long")
    }
}

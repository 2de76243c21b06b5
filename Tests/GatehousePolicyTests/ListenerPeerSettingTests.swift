import GatehouseCore
import GatehousePolicy
import Testing

/// `authentication.mtls.listenerPeer`: read into the policy's settings, and refused without a
/// trust bundle, against which the listener peer's chain is verified.
@Suite("listenerPeer policy setting")
struct ListenerPeerSettingTests {
    static func compile(_ mtls: String) -> PolicyCompiler.Result {
        let text = """
            kind: Policy
            name: peers
            authentication:
              mtls: \(mtls)
            rules:
              - { name: any, action: allow, authenticated: true }
            """
        return PolicyCompiler.compile(sources: [PolicySource(path: "p.yaml", text: text)])
    }

    @Test("listenerPeer defaults to false and reads true")
    func reads() throws {
        let off = try #require(Self.compile("{ trustBundle: bundle.pem }").compiled)
        #expect(off.authentication.first??.mtls?.listenerPeer == false)
        let on = try #require(Self.compile("{ trustBundle: bundle.pem, listenerPeer: true }").compiled)
        #expect(on.authentication.first??.mtls?.listenerPeer == true)
    }

    @Test("listenerPeer without a trust bundle is policy_missing_key at its position")
    func needsTrustBundle() {
        let result = Self.compile("{ trustDomain: gov.example, listenerPeer: true }")
        #expect(result.compiled == nil)
        #expect(result.diagnostics.map(\.code.rawValue) == ["policy_missing_key"])
        #expect(result.diagnostics.first?.location.line == 4)
        #expect(result.diagnostics.first?.message.hasPrefix("listenerPeer needs 'trustBundle'") == true)
    }
}

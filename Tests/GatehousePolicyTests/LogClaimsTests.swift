import GatehouseCore
import GatehousePolicy
import Testing

/// A policy's `log: { claims: [...] }` reaches the compiled policy, and from there the decision's caller.
@Suite("Policy log claims", .bug(id: "13"))
struct LogClaimsTests {
    static func tree(_ log: String) throws -> DecisionTree {
        let text = """
            kind: Policy
            name: p
            \(log)
            rules:
              - { name: all, action: allow, paths: [/**], authenticated: true }
            """
        let result = PolicyCompiler.compile(sources: [PolicySource(path: "p.yaml", text: text)])
        return try #require(result.compiled, "\(result.summary)").tree
    }

    @Test("Parsed in order as dotted paths; none by default")
    func parsed() throws {
        #expect(
            try Self.tree("log: { claims: [department, realm_access.roles] }").policies[0].logClaims.map(\.description)
                == [
                    "department", "realm_access.roles",
                ])
        #expect(try Self.tree("log: { claims: department }").policies[0].logClaims.map(\.description) == ["department"])
        #expect(try Self.tree("").policies[0].logClaims.isEmpty)
    }

    @Test("The decision's caller holds the listed claims as JSON text, and only those")
    func callerClaims() throws {
        let tree = try Self.tree("log: { claims: [department, realm_access.roles, missing, level] }")
        let token = VerifiedToken(
            issuer: "https://idp", subject: "alice",
            claims: .object([
                "department": .string("births \"east\"\n"), "secret": .string("no"), "level": .number(3),
                "realm_access": .object(["roles": .array([.string("clerk"), .bool(true), .null, .number(1.5)])]),
            ]))
        let decision = tree.evaluate(AuthzRequest(path: "/a"), identity: Identity(token: token))
        #expect(decision.isAllowed)
        #expect(
            decision.caller
                == AuditedCaller(
                    issuer: "https://idp", subject: "alice",
                    claims: [
                        "department": "\"births \\\"east\\\"\\u000a\"",
                        "realm_access.roles": "[\"clerk\",true,null,1.5]",
                        "level": "3",
                    ]))
        let peer = PeerIdentity(spiffeID: "spiffe://gov/registry", subject: "CN=registry", serialNumber: "0a")
        let byCertificate = tree.evaluate(AuthzRequest(path: "/a"), identity: Identity(peer: peer))
        #expect(byCertificate.caller == AuditedCaller(spiffeID: "spiffe://gov/registry"))
        #expect(tree.evaluate(AuthzRequest(path: "/a"), identity: .anonymous).caller == AuditedCaller())
    }

    @Test("Object claims are logged with their keys sorted, so equal claims give equal text")
    func objectClaims() {
        let value = ClaimValue.object(["b": .number(2), "a": .object(["z": .null, "ä": .string("x")])])
        #expect(value.jsonText == "{\"a\":{\"z\":null,\"ä\":\"x\"},\"b\":2}")
    }
}

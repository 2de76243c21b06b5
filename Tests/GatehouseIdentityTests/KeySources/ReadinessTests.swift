import Crypto
import GatehouseCore
import GatehouseIdentity
import GatehousePolicy
import Logging
import Testing

/// The server is ready (gRPC health SERVING) only once every URL key set has loaded.
@Suite("Readiness waits for URL key sets")
struct ReadinessTests {
    @Test("A revision whose issuer's JWKS URL is down is not ready; once the set loads it is")
    func readyOnlyWhenLoaded() async throws {
        let server = try await LoopbackHTTPServer()
        let fetcher = HTTPFetcher()
        let policy = """
            kind: Policy
            name: remote
            authentication:
              jwt:
                - issuer: https://idp.example
                  jwks: { url: "\(server.baseURL)/jwks" }
                  algorithms: [ES256]
            rules:
              - { name: anyone, action: allow, paths: ["/**"] }
            """
        let result = PolicyCompiler.compile(sources: [PolicySource(path: "remote.yaml", text: policy)])
        let compiled = try #require(result.compiled, "\(result.diagnostics)")
        let registry = KeySetRegistry(fetcher: fetcher, logger: Logger(label: "test"))
        let authorizer = Authorizer()
        authorizer.activate(
            compiled.tree, authenticator: try IdentityLoader.load(compiled, keySets: registry),
            isLoaded: { registry.isLoaded })

        await registry.loadAll()  // the server answers 404 so far
        #expect(!authorizer.isReady)
        #expect(registry.all.first?.status.lastError?.contains("HTTP 404") == true)

        let key = P256.Signing.PrivateKey().publicKey
        server.answer("/jwks", .init(body: RemoteKeySetTests.jwks([("k1", key)])))
        await registry.loadAll()
        #expect(authorizer.isReady)

        try await fetcher.shutdown()
        try await server.stop()
    }
}

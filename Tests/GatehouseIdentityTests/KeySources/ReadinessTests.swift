import Crypto
import GatehouseCore
import GatehouseIdentity
import Logging
import Testing

/// The server is ready (gRPC health SERVING) only once every URL key set has loaded.
@Suite("Readiness waits for URL key sets", .timeLimit(.minutes(2)))
struct ReadinessTests {
    @Test("A revision whose issuer's JWKS URL is down is not ready; once the set loads it is")
    func readyOnlyWhenLoaded() async throws {
        let server = try await LoopbackHTTPServer()
        let fetcher = HTTPFetcher()
        // One policy whose only issuer takes its keys from the (failing) URL.
        let location = SourceLocation(file: "remote.yaml", line: 4, column: 7)
        let issuer = JWTIssuerSettings(
            issuer: Located("https://idp.example", at: location), keys: .url("\(server.baseURL)/jwks"),
            keysLocation: location, algorithms: ["ES256"])
        let tree = DecisionTree(
            revision: "r1",
            policies: [CompiledPolicy(name: "remote", location: location, selector: PolicySelector(), rules: [])])
        let registry = KeySetRegistry(fetcher: fetcher, logger: Logger(label: "test"))
        let authorizer = Authorizer()
        authorizer.activate(
            tree, authenticator: try IdentityLoader.load([AuthenticationSettings(jwt: [issuer])], keySets: registry),
            isLoaded: { registry.isLoaded })

        await registry.loadAll()  // the server answers 404 so far
        #expect(!authorizer.isReady)
        #expect(registry.all.first?.status.lastError?.code == .keySetFetchFailed)

        let key = P256.Signing.PrivateKey().publicKey
        server.answer("/jwks", .init(body: RemoteKeySetTests.jwks([("k1", key)])))
        await registry.loadAll()
        #expect(authorizer.isReady)

        try await fetcher.shutdown()
        try await server.stop()
    }
}

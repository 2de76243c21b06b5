import Benchmark
import Crypto
import EnvoyAuthAPI
import Foundation
import GRPCCore
import GRPCInProcessTransport
import GatehouseCore
import GatehouseGRPC
import GatehouseIdentity
import GatehousePolicy
import Logging
import PolicyFixtures
import _CryptoExtras

/// A whole Envoy Check with an RS256 bearer token, through the in-process gRPC transport:
/// protobuf decoding, the request model, policy selection, token verification (RS256 with a
/// 2048-bit key), rule evaluation, response building and protobuf encoding. One iteration is one
/// unary RPC; there is no decision cache yet (issue #5), so every check verifies the signature.
let benchmarks: @Sendable () -> Void = {
    let fixture = try! CheckFixture()
    Benchmark(
        "Check with RS256 token (in-process gRPC)",
        configuration: .init(
            metrics: [.wallClock, .mallocCountTotal, .throughput], warmupIterations: 200, scalingFactor: .one,
            maxDuration: .seconds(5), maxIterations: 50_000)
    ) { benchmark in
        try await fixture.run(benchmark)
    }
}

/// A policy with one RS256 issuer (its JWKS file in a temporary directory), a token, and a request.
final class CheckFixture: Sendable {
    let authorizer = Authorizer()
    let request: Envoy_Service_Auth_V3_CheckRequest

    init() throws {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "gatehouse-check-bench-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let primitives = try key.publicKey.getKeyPrimitives()
        let jwks =
            #"{"keys":[{"kty":"RSA","kid":"k1","alg":"RS256","use":"sig","n":"\#(Self.base64URL(primitives.modulus))","e":"\#(Self.base64URL(primitives.publicExponent))"}]}"#
        try Data(jwks.utf8).write(to: directory.appendingPathComponent("jwks.json"))
        let policy = """
            kind: Policy
            name: bench
            authentication:
              jwt:
                - issuer: https://issuer.bench.local
                  audiences: [bench-api]
                  jwks: { file: jwks.json }
            rules:
              - name: readers
                action: allow
                methods: [GET]
                paths: [/api/**]
                claims: { role: reader }
            response:
              allow:
                headers: [{ name: x-auth-sub, value: "${jwt.sub}" }]
            """
        let path = directory.appendingPathComponent("bench.yaml").path
        let result = PolicyCompiler.compile(sources: [PolicySource(path: path, text: policy)], checksFiles: true)
        guard let compiled = result.compiled else { throw FixtureError(description: "\(result.diagnostics)") }
        let registry = KeySetRegistry(fetcher: HTTPFetcher(), logger: Logger(label: "bench"))
        self.authorizer.activate(compiled.tree, authenticator: try IdentityLoader.load(compiled, keySets: registry))

        let now = Int(Date().timeIntervalSince1970)
        let header = Self.base64URL(Data(#"{"alg":"RS256","typ":"JWT","kid":"k1"}"#.utf8))
        let payload = Self.base64URL(
            Data(
                #"{"iss":"https://issuer.bench.local","aud":"bench-api","sub":"user-123","role":"reader","iat":\#(now),"exp":\#(now + 86_400)}"#
                    .utf8))
        let signature = try key.signature(for: Data("\(header).\(payload)".utf8), padding: .insecurePKCS1v1_5)
        let token = "\(header).\(payload).\(Self.base64URL(signature.rawRepresentation))"
        var request = Envoy_Service_Auth_V3_CheckRequest()
        request.attributes.request.http.method = "GET"
        request.attributes.request.http.path = "/api/resource"
        request.attributes.request.http.host = "bench.local"
        request.attributes.request.http.headers = ["authorization": "Bearer \(token)"]
        request.attributes.request.time.seconds = Int64(now)
        self.request = request
    }

    func run(_ benchmark: Benchmark) async throws {
        let transport = InProcessTransport()
        let service = AuthorizationService(authorizer: self.authorizer, logger: Logger(label: "bench"))
        try await withGRPCServer(transport: transport.server, services: [service]) { _ in
            try await withGRPCClient(transport: transport.client) { client in
                let authorization = Envoy_Service_Auth_V3_Authorization.Client(wrapping: client)
                benchmark.startMeasurement()
                for _ in benchmark.scaledIterations {
                    let response = try await authorization.check(self.request)
                    precondition(response.status.code == 0, "the benchmark check must be allowed")
                }
                benchmark.stopMeasurement()
            }
        }
    }

    static func base64URL(_ data: Data) -> String {
        Base64URL.encode(data)
    }
}

struct FixtureError: Error, CustomStringConvertible {
    var description: String
}
